import type { ReadinessCheckSpec, RunbookDefinition } from './definition';

/** The outcome of one check at one evaluation. */
export interface ReadinessCheckResult {
  name: string;
  ready: boolean;
  reason: string;
  fix: string;
}

/** One evaluation of a runbook on a target: every check, and whether all passed. */
export interface ReadinessEvaluation {
  runbook: string;
  target: string;
  ready: boolean;
  checkedAt: string;
  checks: ReadinessCheckResult[];
  /** Set when this evaluation differs from the previous one (ready to not ready, or back) and a notification went out. */
  changed?: { from: boolean; to: boolean; notified: boolean };
}

/** Days a runbook's last drill may be old before the runbook counts as not ready, unless it says otherwise. */
export const defaultDrillWindowDays = 7;

/** The kit's own check, which every runbook has: its gates can be passed by the roster as it is now. */
export const approversCheck: ReadinessCheckSpec = {
  name: 'approvers',
  verifies: "every gate's policy can be met by roster people who have keys, not counting the requester",
  fix: "add people with keys to the gate's groups in the roster (a person without keys can decide nothing)",
  probe: { kind: 'approvers' },
};

/**
 * The kit's other check, which every runbook has: the workers of every region run the same build, roster, targets file
 * and trust root, as `lifeboat workers` shows. A region whose worker cannot load its roster refuses every start and gate
 * it picks up, so the runbook is not ready until it is fixed.
 */
export const workersCheck: ReadinessCheckSpec = {
  name: 'workers-agree',
  verifies: 'every worker on the task queue answers, loads its roster, and runs the same build, roster, targets file and trust root',
  fix: 'run lifeboat workers to see which worker differs, then deploy the same reviewed files to every region (docs/production.md)',
  probe: { kind: 'workers-agree' },
};

/**
 * The kit's findings check, which every runbook has: an audit finding (a failed drill, a missed objective) left open
 * past its deadline makes the runbook not ready, naming the finding, until a passing drill or an accepted risk closes it.
 */
export const findingsCheck: ReadinessCheckSpec = {
  name: 'findings',
  verifies: 'no audit finding of this runbook and target is open past its deadline',
  fix: 'fix what the finding names, run a drill that passes, then lifeboat finding close <F-n> --proof <drill run id> (or --accept-risk)',
  probe: { kind: 'findings-within-deadline' },
};

/** A drill-recency check for a runbook rehearsed at least every `withinDays` days. */
export function drillCheck(withinDays = defaultDrillWindowDays): ReadinessCheckSpec {
  return {
    name: 'last-drill',
    verifies: `the last drill of this runbook and target passed, within ${withinDays} days`,
    fix: `run a drill (lifeboat run <runbook> --drill isolated ...) or schedule one with lifeboat drill schedule --every 24h`,
    probe: { kind: 'drill-recency', withinDays },
  };
}

/** The checks a readiness evaluation runs for a runbook: the kit's approvers and workers checks, the runbook's own, then its findings. */
export function readinessOf(runbook: RunbookDefinition): ReadinessCheckSpec[] {
  return [approversCheck, workersCheck, ...(runbook.readiness ?? []), findingsCheck];
}

/** The target a readiness evaluation uses when none is given: the runbook's usual one. */
export function readinessTargetOf(runbook: RunbookDefinition): string {
  return runbook.readinessTarget ?? runbook.id;
}

/** The schedule (and workflow-ID prefix) of the scheduled readiness of a runbook on a target. */
export function readinessScheduleId(runbookId: string, target: string): string {
  return `readiness/${runbookId}/${target}`;
}

/**
 * Whether an evaluation is a transition worth a notification: ready to not ready, or back. With no previous
 * evaluation the baseline is "ready", so a first evaluation that finds a problem says so once and a ready one is quiet.
 */
export function transitionOf(previous: Pick<ReadinessEvaluation, 'ready'> | undefined, ready: boolean): { from: boolean; to: boolean } | undefined {
  const from = previous?.ready ?? true;
  return from === ready ? undefined : { from, to: ready };
}

/** The one line a notification and history show for an evaluation: the failing checks with their reasons. */
export function readinessSummary(evaluation: Pick<ReadinessEvaluation, 'ready' | 'checks'>): string {
  const failing = evaluation.checks.filter((c) => !c.ready);
  if (failing.length === 0) return `all ${evaluation.checks.length} checks pass`;
  return failing.map((c) => `${c.name}: ${c.reason}`).join('; ');
}
