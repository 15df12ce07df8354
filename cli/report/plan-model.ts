import { PLAN_GATE, planIdOf, type GateRecord, type PlanMemberState, type PlanMemberView, type RunStatus } from '../../kit';
import type { PlanForecastReport } from '../../lib/plan-forecast';
import type { ShownState, ShownStatus } from '../run-outcome';
import { buildReport, type BarKind, type InterventionRecord } from './model';
import { objectivesFromDetection, type CountedObjectiveCheck } from './path';

/** One stretch of a member's row: its work, or a wait for people (approvers, an operator), never both. */
export interface PlanBar {
  kind: BarKind;
  /** Milliseconds from the plan run's start. */
  startMs: number;
  endMs: number;
  /** What the stretch was: `work`, `gate approve`, `operator: checkin`. */
  label: string;
}

/** One of a member's gates as its own run recorded it: taken by the plan's approval, or waiting for its own people. */
export interface PlanMemberGate {
  name: string;
  title: string;
  status: GateStatus;
  /** The plan's approval stood for it (the member checked it itself). */
  delegated: boolean;
  openedAt: string;
  decidedAt?: string;
}

/** A member's row: where it is, what it measured, and its time split into work and waits for people. */
export interface PlanMemberRow {
  member: string;
  runbook: string;
  /** The member's own run, e.g. `region-failover/booking`. */
  runId: string;
  target: string;
  after: string[];
  state: PlanMemberState;
  /** Milliseconds from the plan's start to the member's first start, and to its end (absent while it runs). */
  startMs?: number;
  endMs?: number;
  rtoSeconds?: number;
  rpoSeconds?: number;
  rpoWrites?: number;
  outcome?: string;
  error?: string;
  /** On the chain of members that decided when the plan ended. */
  onCriticalPath: boolean;
  bars: PlanBar[];
  totals: { workSeconds: number; gateWaitSeconds: number; operatorWaitSeconds: number };
  gates: PlanMemberGate[];
  /** Why the member's own status is missing here (its waits are then unknown and its whole span counts as work). */
  statusNote?: string;
}

/** A signature on the plan's one decision. */
export interface PlanSignature {
  by: string;
  decision: 'approve' | 'reject';
  at: string;
  /** From the gate opening to this vote. */
  responseSeconds: number;
  comment?: string;
  keyType?: string;
  /** The key fingerprint the plan's workflow verified; absent for an unsigned (policy or test) vote. */
  fingerprint?: string;
}

/** The plan's one decision: its gate, its policy and who signed it. */
export interface PlanDecision {
  gate: string;
  title?: string;
  status: GateStatus | 'not opened';
  openedAt?: string;
  decidedAt?: string;
  quorum?: number;
  requires?: { group: string; atLeast: number }[];
  waitedSeconds?: number;
  signers: PlanSignature[];
}

/** The forecast made before the decision, set beside what the plan then took. */
export interface ForecastAgainstActual {
  summary: string;
  objectiveSeconds: number;
  /** Absent while any member had no history: the forecast was unknown. */
  medianSeconds?: number;
  minSeconds?: number;
  maxSeconds?: number;
  criticalPath: string[];
  /** The plan's RTO from its start, as measured. */
  actualSeconds?: number;
  /**
   * The same less the wait for the plan's decision: the forecast counts work only, so this is what it forecast.
   * Absent while the plan has not finished.
   */
  actualAfterDecisionSeconds?: number;
  /** actualAfterDecisionSeconds less the median: positive when the plan took longer than forecast. */
  errorSeconds?: number;
  withinRange?: boolean;
}

/** A member's gate that waits for its own people (not delegable), with the page to decide it on. */
export interface OpenMemberGate {
  member: string;
  runId: string;
  gate: string;
  title: string;
  openedAt: string;
}

/** Everything a plan run's report shows, from the plan's status and each member's own: md, html, json and the console agree. */
export interface PlanReport {
  kind: 'plan';
  plan: string;
  runId: string;
  title: string;
  target: string;
  state: ShownState;
  outcome?: string;
  drill?: RunStatus['drill'];
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  /** Milliseconds the chart spans, from the plan's start to its end (or its last update while it runs). */
  spanMs: number;
  durationSeconds: number;
  measurements: NonNullable<RunStatus['measurements']>;
  objectives: CountedObjectiveCheck[];
  decision: PlanDecision;
  /** The plan's own wait for its decision, drawn on a row of its own. */
  decisionBar?: PlanBar;
  members: PlanMemberRow[];
  /** The members whose chain decided when the plan ended, in the order they ran. */
  criticalPath: string[];
  skipped: { member: string; by?: string; reason?: string }[];
  notStarted: string[];
  openGates: OpenMemberGate[];
  /** The plan's own waits for an operator (a member that failed: retry, skip or abort). */
  interventions: InterventionRecord[];
  forecast?: ForecastAgainstActual;
}

/** A member's own status, as read by its run ID, or why it could not be read. */
export type MemberStatusRead = { status: ShownStatus } | { note: string };

type GateStatus = GateRecord['status'];

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** True for a plan run's status (`plan/evacuate-region`), whose report is the plan's. */
export function isPlanRun(status: Pick<RunStatus, 'runbook'>): boolean {
  return planIdOf(status.runbook) !== undefined;
}

/** The members a plan run's status lists (details.members), in the plan's order. */
export function planMembersOf(status: Pick<RunStatus, 'details'>): Record<string, PlanMemberView> {
  const members = status.details?.members;
  return members && typeof members === 'object' ? (members as Record<string, PlanMemberView>) : {};
}

/**
 * Builds the report of a plan run, live or finished: a row per member, its work apart from its waits for people (read
 * from the member's own status), the actual critical path, the one decision and its signers, and the forecast.
 * `planned` stands in for the members while the plan, at its gate, has not listed them yet.
 */
export function buildPlanReport(
  status: ShownStatus,
  memberStatuses: Record<string, MemberStatusRead | undefined>,
  planned: Record<string, PlanMemberView> = {},
): PlanReport {
  const t0 = Date.parse(status.startedAt);
  const end = Date.parse(status.finishedAt ?? status.updatedAt);
  const planReport = buildReport(status);
  // Before its decision a plan lists no members; `planned` are those it will start (see plannedMembers).
  const listed = planMembersOf(status);
  const views = Object.keys(listed).length > 0 ? listed : planned;
  const rows = Object.entries(views).map(([member, view]) => memberRow(member, view, status, memberStatuses[member], planReport.interventions, t0, end));
  const path = actualCriticalPath(rows);
  for (const row of rows) row.onCriticalPath = path.includes(row.member);
  const decision = decisionOf(status);
  const forecast = forecastAgainstActual(status, decision);
  return {
    kind: 'plan',
    plan: planIdOf(status.runbook) ?? status.runbook,
    runId: status.runId,
    title: status.title,
    target: status.target,
    state: status.state,
    ...(status.outcome ? { outcome: status.outcome } : {}),
    ...(status.drill ? { drill: status.drill } : {}),
    requestedBy: status.requestedBy,
    startedAt: status.startedAt,
    ...(status.finishedAt ? { finishedAt: status.finishedAt } : {}),
    spanMs: Math.max(0, end - t0),
    durationSeconds: seconds(end - t0),
    measurements: status.measurements ?? {},
    objectives: objectivesFromDetection(status),
    decision,
    ...(decision.openedAt
      ? {
          decisionBar: {
            kind: 'gate-wait' as const,
            startMs: Date.parse(decision.openedAt) - t0,
            endMs: (decision.decidedAt ? Date.parse(decision.decidedAt) : end) - t0,
            label: `gate ${decision.gate}`,
          },
        }
      : {}),
    members: rows,
    criticalPath: path,
    skipped: rows
      .filter((r) => r.state === 'skipped')
      .map((r) => {
        const skip = planReport.interventions.find((i) => i.step === r.member && i.action === 'skip');
        // An operator's skip gives who and why; a member that skipped itself (nothing to rehearse in a drill) says why.
        const reason = skip?.reason ?? r.error;
        return { member: r.member, ...(skip?.by ? { by: skip.by } : {}), ...(reason ? { reason } : {}) };
      }),
    notStarted: rows.filter((r) => r.state === 'not-started' || r.state === 'waiting').map((r) => r.member),
    openGates: rows.flatMap((r) =>
      r.gates
        .filter((g) => g.status === 'open' && !g.delegated)
        .map((g) => ({ member: r.member, runId: r.runId, gate: g.name, title: g.title, openedAt: g.openedAt })),
    ),
    interventions: planReport.interventions,
    ...(forecast ? { forecast } : {}),
  };
}

/** One member's row: its span, from the plan's step for it to its run's end, with its own waits and the plan's for it set apart. */
function memberRow(
  member: string,
  view: PlanMemberView,
  plan: ShownStatus,
  read: MemberStatusRead | undefined,
  planInterventions: InterventionRecord[],
  t0: number,
  planEnd: number,
): PlanMemberRow {
  const own = read && 'status' in read ? read.status : undefined;
  const step = plan.steps.find((s) => s.kind === 'step' && s.name === member);
  // The plan's step began with the member's first start; a retry starts a later run, which the view then names.
  const firstStart = earliest(step?.startedAt, view.startedAt);
  const finished = view.finishedAt ?? (step?.finishedAt && view.state !== 'running' ? step.finishedAt : undefined);
  const startMs = firstStart !== undefined ? firstStart - t0 : undefined;
  const endMs = finished ? Date.parse(finished) - t0 : undefined;
  const waits: PlanBar[] = [];
  if (own) {
    const ownT0 = Date.parse(own.startedAt) - t0;
    for (const bar of buildReport(own).timeline) {
      if (bar.kind !== 'gate-wait' && bar.kind !== 'operator-wait') continue;
      // A gate the plan's approval took opened and closed at once: nothing to draw, but it is listed with the gates.
      if (bar.endMs - bar.startMs <= 0) continue;
      waits.push({ kind: bar.kind, startMs: ownT0 + bar.startMs, endMs: ownT0 + bar.endMs, label: bar.label });
    }
  }
  for (const i of planInterventions.filter((p) => p.step === member)) {
    const from = Date.parse(i.at) - t0;
    waits.push({
      kind: 'operator-wait',
      startMs: from,
      endMs: i.waitedSeconds !== undefined ? from + i.waitedSeconds * 1000 : planEnd - t0,
      label: `operator: ${member}`,
    });
  }
  const spanEnd = endMs ?? (startMs !== undefined ? planEnd - t0 : undefined);
  const bars = startMs !== undefined && spanEnd !== undefined ? splitWork(startMs, spanEnd, waits) : [];
  const total = (kind: BarKind) => seconds(bars.filter((b) => b.kind === kind).reduce((sum, b) => sum + (b.endMs - b.startMs), 0));
  return {
    member,
    runbook: view.runbook,
    runId: view.runId,
    target: view.target,
    after: view.after ?? [],
    state: view.state,
    ...(startMs !== undefined ? { startMs } : {}),
    ...(endMs !== undefined ? { endMs } : {}),
    ...(view.rtoSeconds !== undefined
      ? { rtoSeconds: view.rtoSeconds }
      : own?.measurements?.rtoSeconds !== undefined
        ? { rtoSeconds: own.measurements.rtoSeconds }
        : {}),
    ...(view.rpoSeconds !== undefined
      ? { rpoSeconds: view.rpoSeconds }
      : own?.measurements?.rpoSeconds !== undefined
        ? { rpoSeconds: own.measurements.rpoSeconds }
        : {}),
    ...(view.rpoWrites !== undefined ? { rpoWrites: view.rpoWrites } : {}),
    ...(view.outcome ? { outcome: view.outcome } : {}),
    ...(view.error ? { error: view.error } : {}),
    onCriticalPath: false,
    bars,
    totals: { workSeconds: total('work'), gateWaitSeconds: total('gate-wait'), operatorWaitSeconds: total('operator-wait') },
    gates: (own?.gates ?? []).map((g) => ({
      name: g.name,
      title: g.title,
      status: g.status,
      delegated: g.delegatedFrom !== undefined,
      openedAt: g.openedAt,
      ...(g.decidedAt ? { decidedAt: g.decidedAt } : {}),
    })),
    ...(read && 'note' in read ? { statusNote: read.note } : {}),
  };
}

function earliest(...isos: (string | undefined)[]): number | undefined {
  const times = isos.filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return times.length ? Math.min(...times) : undefined;
}

/**
 * The member's span cut into work and waits: each wait (clipped to the span) is drawn as itself, and what no wait
 * covers is work. Overlapping waits of two kinds go to the one that began first, so no moment counts twice.
 */
export function splitWork(startMs: number, endMs: number, waits: PlanBar[]): PlanBar[] {
  const bars: PlanBar[] = [];
  let at = startMs;
  for (const wait of [...waits].sort((a, b) => a.startMs - b.startMs)) {
    const from = Math.max(wait.startMs, at);
    const to = Math.min(wait.endMs, endMs);
    if (to <= from) continue;
    if (from > at) bars.push({ kind: 'work', startMs: at, endMs: from, label: 'work' });
    bars.push({ ...wait, startMs: from, endMs: to });
    at = to;
  }
  if (endMs > at) bars.push({ kind: 'work', startMs: at, endMs, label: 'work' });
  return bars;
}

/**
 * The chain that decided when the plan ended, as it ran: the member that ended last, then, before it, the member it
 * waited for that ended last, and so on. Members still running count as ending now.
 */
export function actualCriticalPath(rows: Pick<PlanMemberRow, 'member' | 'after' | 'startMs' | 'endMs'>[]): string[] {
  const endOf = (r: Pick<PlanMemberRow, 'startMs' | 'endMs'>) => r.endMs ?? (r.startMs !== undefined ? Infinity : undefined);
  const byName = new Map(rows.map((r) => [r.member, r]));
  const latest = (names: string[]) =>
    names
      .map((n) => byName.get(n))
      .filter((r): r is (typeof rows)[number] => r !== undefined && endOf(r) !== undefined)
      .reduce<(typeof rows)[number] | undefined>((best, r) => (best === undefined || endOf(r)! > endOf(best)! ? r : best), undefined);
  const path: string[] = [];
  for (let at = latest(rows.map((r) => r.member)); at !== undefined && !path.includes(at.member); at = latest(at.after)) path.unshift(at.member);
  return path;
}

/** The plan's one decision: its gate as the plan run recorded it, and each signer with the key the workflow verified. */
function decisionOf(status: ShownStatus): PlanDecision {
  const gate = status.gates.filter((g) => g.name === PLAN_GATE).at(-1);
  if (!gate) return { gate: PLAN_GATE, status: 'not opened', signers: [] };
  const opened = Date.parse(gate.openedAt);
  return {
    gate: gate.name,
    title: gate.title,
    status: gate.status,
    openedAt: gate.openedAt,
    ...(gate.decidedAt ? { decidedAt: gate.decidedAt, waitedSeconds: seconds(Date.parse(gate.decidedAt) - opened) } : {}),
    quorum: gate.quorum,
    ...(gate.requires ? { requires: gate.requires.map((r) => ({ group: r.group, atLeast: r.atLeast })) } : {}),
    signers: gate.votes.map((v) => ({
      by: v.by,
      decision: v.decision,
      at: v.at,
      responseSeconds: seconds(Date.parse(v.at) - opened),
      ...(v.comment ? { comment: v.comment } : {}),
      ...(v.verified ? { keyType: v.verified.keyType, fingerprint: v.verified.fingerprint } : {}),
    })),
  };
}

/** The forecast the plan's gate showed (details.forecast), against the RTO the plan then measured. */
function forecastAgainstActual(status: ShownStatus, decision: PlanDecision): ForecastAgainstActual | undefined {
  const report = status.details?.forecast as Partial<PlanForecastReport> | undefined;
  if (!report || typeof report !== 'object' || typeof report.summary !== 'string') return undefined;
  const range = report.forecast?.forecast;
  const actual = status.measurements?.rtoSeconds;
  const afterDecision = actual !== undefined ? seconds(actual * 1000 - (decision.waitedSeconds ?? 0) * 1000) : undefined;
  return {
    summary: report.summary,
    objectiveSeconds: report.objectiveSeconds ?? status.objectives?.rtoSeconds ?? 0,
    ...(range ? { medianSeconds: range.median.seconds, minSeconds: range.min.seconds, maxSeconds: range.max.seconds } : {}),
    criticalPath: report.criticalPath ?? [],
    ...(actual !== undefined ? { actualSeconds: actual } : {}),
    ...(afterDecision !== undefined ? { actualAfterDecisionSeconds: afterDecision } : {}),
    ...(range && afterDecision !== undefined
      ? {
          errorSeconds: seconds((afterDecision - range.median.seconds) * 1000),
          withinRange: afterDecision >= range.min.seconds && afterDecision <= range.max.seconds,
        }
      : {}),
  };
}
