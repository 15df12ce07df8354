/** The name of a plan's one gate, which its approvals answer (`lifeboat approve plan/evacuate-region/A`). */
export const PLAN_GATE = 'approve-plan';

/** The workflow type every recovery plan runs as; the plan is the one its run ID names (`plan/<id>/<target>`). */
export const RECOVERY_PLAN_TYPE = 'recoveryPlan';

/** The runbook id a plan runs under, and the prefix of its run IDs: `plan/evacuate-region`. */
export function planRunbookId(planId: string): string {
  return `plan/${planId}`;
}

/** The plan a plan's runbook id names (`plan/evacuate-region` → `evacuate-region`), or undefined for a runbook's. */
export function planIdOf(runbookId: string): string | undefined {
  return runbookId.startsWith('plan/') ? runbookId.slice('plan/'.length) : undefined;
}
