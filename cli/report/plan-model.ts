import { planIdOf, type GateRecord, type PlanMemberState, type PlanMemberView, type RunStatus } from '../../kit';
import type { ShownState, ShownStatus } from '../run-outcome';
import { buildReport, type BarKind, type InterventionRecord } from './model';
import { objectivesFromDetection, type CountedObjectiveCheck } from './path';
import { decisionOf, forecastAgainstActual } from './plan-decision';
import { memberRow } from './plan-member-row';

export type {
  PlanBar,
  PlanMemberGate,
  PlanMemberRow,
  PlanSignature,
  PlanDecision,
  ForecastAgainstActual,
  OpenMemberGate,
  PlanReport,
  MemberStatusRead,
} from './plan-report-types';
import type {
  PlanBar,
  PlanMemberGate,
  PlanMemberRow,
  PlanSignature,
  PlanDecision,
  ForecastAgainstActual,
  OpenMemberGate,
  PlanReport,
  MemberStatusRead,
} from './plan-report-types';

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
