import { type RunStatus } from '../../kit';
import { drillProblems } from '../../kit/trust';
import type { ReadinessAtRun } from '../readiness-at';
import type { EndedByTemporal, ShownState, ShownStatus } from '../run-outcome';
import { incidentPath, objectivesFromDetection, type CountedObjectiveCheck, type PathPoint } from './path';

/** What a bar of the timeline stands for: work, waiting for approvers, waiting for an operator, or rolling back. */
export type BarKind = 'work' | 'gate-wait' | 'operator-wait' | 'undo';

export interface TimelineBar {
  label: string;
  kind: BarKind;
  /** Milliseconds from the run's start. */
  startMs: number;
  endMs: number;
  /** How it ended: a step's status, a gate's decision, an operator's choice, or `open`. */
  outcome: string;
}

export interface ApprovalRecord {
  gate: string;
  by: string;
  decision: 'approve' | 'reject';
  /** From the gate opening to this vote. */
  responseSeconds: number;
  comment?: string;
  /** The fingerprint of the key whose signature the run verified; absent for policy votes and old unsigned runs. */
  verifiedKey?: string;
}

export interface InterventionRecord {
  step: string;
  error: string;
  at: string;
  /** The operator's choice and who made it; absent while the run still waits. */
  action?: string;
  by?: string;
  reason?: string;
  waitedSeconds?: number;
}

/** Everything a report shows, derived from the run's status alone, so md, html and json agree. */
export interface RunReport {
  runId: string;
  runbook: string;
  title: string;
  target: string;
  /** The run's state, or `terminated` (`timed-out`, `canceled`) when Temporal ended it and the run never said so. */
  state: ShownState;
  /** Set when Temporal ended the run: who, why, the step it was in, and the undos that never ran. */
  endedByTemporal?: EndedByTemporal;
  drill?: RunStatus['drill'];
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  durationSeconds: number;
  outcome?: string;
  measurements: NonNullable<RunStatus['measurements']>;
  /** RTO counted from detection when the run knows when the outage was detected. */
  objectives: CountedObjectiveCheck[];
  /** The incident's path: detected, run started, gate opened, approved, traffic restored, verified, as far as reached. */
  path: PathPoint[];
  /** The scheduled readiness evaluation last made before the run started; absent when it was not looked up. */
  readinessBeforeRun?: ReadinessAtRun;
  /** For drills: why it did not pass (empty when it passed). */
  drillProblems?: string[];
  timeline: TimelineBar[];
  /** Time spent working against waiting for people, in seconds. */
  totals: { workSeconds: number; gateWaitSeconds: number; operatorWaitSeconds: number };
  approvals: ApprovalRecord[];
  interventions: InterventionRecord[];
  compensation: RunStatus['compensation'];
  pointOfNoReturn?: RunStatus['pointOfNoReturn'];
  /** The provider behind each step that recorded one (`switchTraffic` → `route53 (zone …, record …)`), as the worker saw it. */
  actedThrough: Record<string, string>;
}

const operatorActions = new Set(['retry', 'skip', 'abort']);
/** Step statuses a step is left in when Temporal ends the run under it. */
const cutOff = new Set(['running', 'retrying', 'needs-intervention']);
const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** What the report adds to the status from elsewhere: the detection time, and readiness before the run. */
export interface ReportContext {
  detectedAt?: string;
  readinessBeforeRun?: ReadinessAtRun;
}

/** Builds the report of a run, live or finished; a live run's open bars end at its last update. */
export function buildReport(status: ShownStatus, context: ReportContext = {}): RunReport {
  const t0 = Date.parse(status.startedAt);
  const end = Date.parse(status.finishedAt ?? status.updatedAt);
  const at = (iso: string | undefined) => (iso ? Date.parse(iso) : end) - t0;

  const interventions = interventionsOf(status);
  // Bars Temporal cut off (terminate, timeout) say so, rather than `running` in a run that has ended.
  const ended = status.endedByTemporal?.how;
  const timeline: TimelineBar[] = [
    ...status.steps
      .filter((s) => !s.name.endsWith(':approvers'))
      .map((s) => ({
        label: s.kind === 'undo' ? s.name : s.name,
        kind: s.kind === 'undo' ? ('undo' as const) : ('work' as const),
        startMs: at(s.startedAt),
        endMs: at(s.finishedAt),
        outcome: ended && cutOff.has(s.status) ? `${s.status}, then ${ended}` : s.status,
      })),
    ...status.gates.map((g) => ({
      label: `gate ${g.name}`,
      kind: 'gate-wait' as const,
      startMs: at(g.openedAt),
      endMs: at(g.decidedAt),
      outcome: ended && g.status === 'open' ? `open, then ${ended}` : g.status,
    })),
    ...interventions.map((i) => ({
      label: `operator: ${i.step}`,
      kind: 'operator-wait' as const,
      startMs: at(i.at),
      endMs: i.waitedSeconds !== undefined ? at(i.at) + i.waitedSeconds * 1000 : at(undefined),
      outcome: i.action ? `${i.action} by ${i.by}` : 'open',
    })),
  ].sort((a, b) => a.startMs - b.startMs || a.label.localeCompare(b.label));

  const gateWait = timeline.filter((b) => b.kind === 'gate-wait').reduce((sum, b) => sum + (b.endMs - b.startMs), 0);
  const operatorWait = timeline.filter((b) => b.kind === 'operator-wait').reduce((sum, b) => sum + (b.endMs - b.startMs), 0);
  const approvals = status.gates.flatMap((g) =>
    g.votes.map((v) => ({
      gate: g.name,
      by: v.by,
      decision: v.decision,
      responseSeconds: seconds(Date.parse(v.at) - Date.parse(g.openedAt)),
      ...(v.comment ? { comment: v.comment } : {}),
      ...(v.verified ? { verifiedKey: v.verified.fingerprint } : {}),
    })),
  );
  return {
    runId: status.runId,
    runbook: status.runbook,
    title: status.title,
    target: status.target,
    state: status.state,
    ...(status.endedByTemporal ? { endedByTemporal: status.endedByTemporal } : {}),
    // drillProblems reads the state only as words ("the run ended terminated"), so a shown state serves.
    ...(status.drill ? { drill: status.drill, drillProblems: drillProblems(status as RunStatus) } : {}),
    requestedBy: status.requestedBy,
    startedAt: status.startedAt,
    ...(status.finishedAt ? { finishedAt: status.finishedAt } : {}),
    durationSeconds: seconds(end - t0),
    ...(status.outcome ? { outcome: status.outcome } : {}),
    measurements: status.measurements ?? {},
    objectives: objectivesFromDetection(status),
    path: incidentPath(status, context.detectedAt ? { detectedAt: context.detectedAt } : {}),
    ...(context.readinessBeforeRun ? { readinessBeforeRun: context.readinessBeforeRun } : {}),
    timeline,
    actedThrough: actedThroughOf(status),
    totals: { workSeconds: seconds(end - t0 - gateWait - operatorWait), gateWaitSeconds: seconds(gateWait), operatorWaitSeconds: seconds(operatorWait) },
    approvals,
    interventions,
    compensation: status.compensation,
    ...(status.pointOfNoReturn ? { pointOfNoReturn: status.pointOfNoReturn } : {}),
  };
}

/** Pairs each `intervention-needed` in the audit trail with the operator decision that answered it. */
function interventionsOf(status: Pick<RunStatus, 'audit'>): InterventionRecord[] {
  const records: InterventionRecord[] = [];
  let open: InterventionRecord | undefined;
  for (const entry of status.audit) {
    if (entry.action === 'intervention-needed') {
      const [step, ...error] = (entry.detail ?? '').split(': ');
      open = { step: step ?? '?', error: error.join(': '), at: entry.at };
      records.push(open);
    } else if (open && operatorActions.has(entry.action)) {
      open.action = entry.action;
      open.by = entry.actor;
      if (entry.comment) open.reason = entry.comment;
      open.waitedSeconds = seconds(Date.parse(entry.at) - Date.parse(open.at));
      open = undefined;
    }
  }
  return records;
}

/** The providers a run recorded in its details (`actedThrough`), keeping only the named ones. */
function actedThroughOf(status: Pick<RunStatus, 'details'>): Record<string, string> {
  const recorded = (status.details as Record<string, unknown> | undefined)?.actedThrough;
  if (!recorded || typeof recorded !== 'object') return {};
  return Object.fromEntries(Object.entries(recorded).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
