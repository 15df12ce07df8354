import { planIdOf, planRunbookId, RECOVERY_PLAN_TYPE, type RecoveryPlanDefinition } from '../../kit';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';

/** The runbook id a workflow type runs, for every runbook in the catalog; a plan's run is named by its ID instead. */
export function catalogRunbookOf(workflowType: string): string | undefined {
  return Object.values(runbooks).find((r) => r.workflowType === workflowType)?.id;
}

/**
 * The recovery plan a plan's run ID names (`plan/evacuate-region/A` → evacuate-region), when Lifeboat ships it. Every
 * plan runs as one workflow type, so the ID, which the kit checks against the plan's input, is what says which.
 */
export function planOfRun(workflowId: string | undefined): RecoveryPlanDefinition | undefined {
  const planId = planIdOf((workflowId ?? '').split('/').slice(0, 2).join('/'));
  return planId !== undefined && Object.hasOwn(plans, planId) ? plans[planId] : undefined;
}

/** The runbook id a run runs: its workflow type's, or for a plan's run `plan/<id>` of the plan its ID names. */
export function runbookOfRun(
  run: { workflowType: string; workflowId: string | undefined },
  runbookOf: (workflowType: string) => string | undefined,
): string | undefined {
  if (run.workflowType !== RECOVERY_PLAN_TYPE) return runbookOf(run.workflowType);
  const plan = planOfRun(run.workflowId);
  return plan ? planRunbookId(plan.id) : undefined;
}
