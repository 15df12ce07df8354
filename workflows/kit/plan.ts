import type { ApprovalPolicy, ProcedureEntry, RunbookDefinition, StepRetry } from './definition';
import { retryPolicyOf } from './retry';

/** One entry of a dry run, as `lifeboat plan --json` prints it. */
export type PlanEntry =
  | { kind: 'step'; name: string; title: string; undo: string | null; skippable: boolean; retry: Required<StepRetry>; activityRetry?: Required<StepRetry>; timeout: string | number }
  | { kind: 'gate'; name: string; title: string; policy: ApprovalPolicy };

/** The ordered steps and gates of a runbook, read from the definition its workflow executes. */
export function planOf(runbook: RunbookDefinition): PlanEntry[] {
  return Object.values(runbook.procedure).map(planEntry);
}

/** The steps an isolated drill of the runbook adds, in the order it runs them; empty when it adds none. */
export function isolatedDrillPlanOf(runbook: RunbookDefinition): PlanEntry[] {
  return Object.values(runbook.isolatedDrillSteps ?? {}).map(planEntry);
}

function planEntry(entry: ProcedureEntry): PlanEntry {
  return entry.kind === 'gate'
    ? { kind: 'gate', name: entry.name, title: entry.title, policy: entry.policy }
    : {
        kind: 'step',
        name: entry.name,
        title: entry.title,
        undo: entry.undo ?? null,
        skippable: entry.skippable ?? false,
        retry: retryPolicyOf(entry.retry),
        ...(entry.activityRetry ? { activityRetry: retryPolicyOf(entry.activityRetry) } : {}),
        timeout: entry.timeout ?? '1 minute',
      };
}
