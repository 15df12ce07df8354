import { type RunStatus } from '../../kit';
import { checkObjectives, type ObjectiveCheck } from '../../kit/trust';

/**
 * The step whose end gives customers service again, per runbook. It lives here, beside the report, rather than in
 * the catalog, because the catalog is part of the workflow bundle and this is only read afterwards.
 */
export const restoringStep: Readonly<Record<string, string>> = {
  'region-failover': 'switchTraffic',
  'region-failback': 'switchTraffic',
  'isolate-vendor-module': 'contain',
  'manual-booking-mode': 'switchMode',
  'kit-exercise': 'apply',
};

/** The step that confirms the recovery from outside. */
const verifyingStep = 'verify';

export type Milestone = 'detected' | 'run started' | 'gate opened' | 'approved' | 'traffic restored' | 'verified';

/** One point the incident passed, and the leg that led to it from the point before. */
export interface PathPoint {
  milestone: Milestone;
  at: string;
  /** Milliseconds from the run's start; negative for a detection before it. */
  atMs: number;
  /** The leg from the previous point; absent on the first. */
  legSeconds?: number;
  /** From detection, or from the run's start when nothing says when the outage was detected. */
  elapsedSeconds: number;
  /**
   * Traffic restored only: the switch may have taken effect as early as this (when its step began), though the run
   * saw clients served only at `at`; the true moment lies between. Wide when the target stalled after the switch or
   * a worker was lost mid-step; set whenever the run recorded when it saw clients served, or its switch ran twice.
   */
  earliest?: string;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * When the outage was detected, from what the run knows: an explicit time (the run's input, an alert's startsAt),
 * else the RTO a region switch reports, whose start and detection figures are both counted to the same instant.
 */
export function detectedAtOf(status: Pick<RunStatus, 'details' | 'startedAt'>, given?: string): string | undefined {
  if (given) return given;
  const rto = status.details?.rto as { fromStartSeconds?: unknown; fromDetectionSeconds?: unknown } | undefined;
  if (typeof rto?.fromStartSeconds !== 'number' || typeof rto.fromDetectionSeconds !== 'number') return undefined;
  return new Date(Date.parse(status.startedAt) - Math.round((rto.fromDetectionSeconds - rto.fromStartSeconds) * 1000)).toISOString();
}

/** The incident's path as far as the run has gone: detected, run started, gate opened, approved, traffic restored, verified. */
export function incidentPath(
  status: Pick<RunStatus, 'details' | 'startedAt' | 'runbook' | 'steps' | 'gates'>,
  opts: { detectedAt?: string } = {},
): PathPoint[] {
  const t0 = Date.parse(status.startedAt);
  const points: { milestone: Milestone; at: string; earliest?: string }[] = [];
  const detectedAt = detectedAtOf(status, opts.detectedAt);
  if (detectedAt) points.push({ milestone: 'detected', at: detectedAt });
  points.push({ milestone: 'run started', at: status.startedAt });
  const ended = (name: string | undefined) =>
    status.steps.find((s) => s.kind === 'step' && s.name === name && s.status === 'succeeded' && s.finishedAt)?.finishedAt;
  // Restored when the run first saw clients served in the target (its verify step records it), else, for a run
  // from before it recorded that, when its switch step ended.
  const servedAt = typeof status.details?.servedAt === 'string' ? status.details.servedAt : undefined;
  const restoredAt = ended(restoringStep[status.runbook]) && (servedAt ?? ended(restoringStep[status.runbook]));
  const gates = status.gates.filter((g) => !restoredAt || g.openedAt <= restoredAt);
  const firstGate = gates[0];
  if (firstGate) points.push({ milestone: 'gate opened', at: firstGate.openedAt });
  const approved = gates.filter((g) => g.status === 'approved' && g.decidedAt).at(-1);
  if (approved?.decidedAt) points.push({ milestone: 'approved', at: approved.decidedAt });
  const restoring = status.steps.find((s) => s.kind === 'step' && s.name === restoringStep[status.runbook] && s.status === 'succeeded');
  if (restoredAt) {
    // What the run knows is a window: clients may have been served from the moment its switch began (a switch that
    // took effect before its worker was lost, or before a stalled verify could see it) up to when it saw them served.
    const window = restoring && (servedAt !== undefined || restoring.attempts > 1) && restoring.startedAt < restoredAt;
    points.push({ milestone: 'traffic restored', at: restoredAt, ...(window ? { earliest: restoring.startedAt } : {}) });
  }
  const verifiedAt = ended(verifyingStep);
  if (verifiedAt) points.push({ milestone: 'verified', at: verifiedAt });
  const origin = Date.parse(points[0]!.at);
  return points.map((p, i) => ({
    ...p,
    atMs: Date.parse(p.at) - t0,
    ...(i > 0 ? { legSeconds: seconds(Date.parse(p.at) - Date.parse(points[i - 1]!.at)) } : {}),
    elapsedSeconds: seconds(Date.parse(p.at) - origin),
  }));
}

/** An objective check, saying where its RTO was counted from. */
export type CountedObjectiveCheck = ObjectiveCheck & { countedFrom?: 'detection' | 'run start' };

/**
 * The objectives as the report and drill history judge them: RTO from detection when the run knows when the outage
 * was detected, else from the run's start. The workflow's own drill verdict still counts from the start; this
 * comparison is made here, after the fact, so no running workflow changes what it decides.
 */
export function objectivesFromDetection(status: Pick<RunStatus, 'objectives' | 'measurements'>): CountedObjectiveCheck[] {
  const m = status.measurements ?? {};
  const fromDetection = m.rtoFromDetectionSeconds !== undefined;
  const checks = checkObjectives({ objectives: status.objectives, measurements: fromDetection ? { ...m, rtoSeconds: m.rtoFromDetectionSeconds } : m });
  return checks.map((c) => (c.objective === 'rto' ? { ...c, countedFrom: fromDetection ? 'detection' : 'run start' } : c));
}

/** The path in one line per leg, for `lifeboat status`. */
export function pathLines(path: PathPoint[]): string[] {
  return path.map((p) => `  ${p.milestone.padEnd(17)} ${p.at}${p.legSeconds !== undefined ? `  +${p.legSeconds}s` : ''}  (${p.elapsedSeconds}s in)`);
}
