import {
  drillProcedureOf,
  type ApprovalPolicy,
  type Capability,
  type DrillKind,
  type ProcedureEntry,
  type RunbookDefinition,
  type StepRetry,
} from './definition';
import { retryPolicyOf } from './retry';

/** One entry of a dry run, as `lifeboat plan --json` prints it; `drillOnly` marks a step only a drill runs. */
export type PlanEntry =
  | {
      kind: 'step';
      name: string;
      title: string;
      undo: string | null;
      skippable: boolean;
      retry: Required<StepRetry>;
      activityRetry?: Required<StepRetry>;
      timeout: string | number;
      drillOnly?: true;
      uses?: readonly Capability[];
    }
  | { kind: 'gate'; name: string; title: string; policy: ApprovalPolicy };

/**
 * The ordered steps and gates of a runbook, read from the definition its workflow executes: the real procedure, or
 * with `drill` what a drill of that kind runs (its own steps in place, the procedure entries it skips left out).
 */
export function planOf(runbook: RunbookDefinition, drill?: DrillKind): PlanEntry[] {
  const own = drill ? drillProcedureOf(runbook, drill) : undefined;
  if (!own) return Object.values(runbook.procedure).map((entry) => planEntry(entry));
  return own.order.map((key) => (Object.hasOwn(own.steps, key) ? planEntry(own.steps[key]!, true) : planEntry(runbook.procedure[key]!)));
}

/** A kind of drill the runbook defines, as the plan lists it: its own steps, or why the runbook refuses it. */
export interface DrillSummary {
  kind: DrillKind;
  summary: string;
  refused: boolean;
  steps: string[];
}

/** What the plan says of each kind of drill: its summary, or why the runbook refuses it. */
export function drillsOf(runbook: RunbookDefinition): DrillSummary[] {
  return (['isolated', 'live'] as const).flatMap((kind): DrillSummary[] => {
    const drill = runbook.drills?.[kind];
    if (!drill) return [];
    if ('refused' in drill) return [{ kind, summary: drill.refused, refused: true, steps: [] }];
    return [{ kind, summary: drill.summary, refused: false, steps: Object.keys(drill.steps) }];
  });
}

function planEntry(entry: ProcedureEntry, drillOnly = false): PlanEntry {
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
        ...(drillOnly ? { drillOnly: true as const } : {}),
        ...(entry.uses ? { uses: entry.uses } : {}),
      };
}
