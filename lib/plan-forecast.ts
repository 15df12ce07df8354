import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { z } from 'zod';
import { runIdFor, type RecoveryPlanDefinition, type RunStatus } from '../kit';
import { criticalPath, rtoForecast, type OverObjective, type RtoForecast } from '../kit/trust';
import { workSecondsOf } from './run-work-time';

export { workSecondsOf } from './run-work-time';

/** How much history a forecast reads: the most recent few succeeded runs of each member within a lookback. */
export interface PlanForecastOptions {
  /** Succeeded runs per member the forecast is based on, newest first. */
  runsPerMember?: number;
  /** How far back a run may have finished and still count: older runs ran on an estate that has since changed. */
  lookbackDays?: number;
  /** The moment the forecast is made; tests pin it. */
  now?: Date;
}

const defaults = { runsPerMember: 5, lookbackDays: 30 };

/** One run a member's durations are based on. */
export interface MemberRunDuration {
  /** Temporal's run ID of that run, so a person can open it (`lifeboat report` and the Web UI name runs by it). */
  temporalRunId: string;
  /** Its work: wall time less its waits for approvers and operators (see workSecondsOf). */
  seconds: number;
  drill: 'isolated' | 'live' | 'none';
  finishedAt: string;
}

/** A member, what it acts on, the workflow ID its runs have, and the runs its range comes from, newest first. */
export interface MemberHistory {
  member: string;
  /** Its runbook's target for the plan input (`booking`), the last part of its workflow ID. */
  target: string;
  workflowId: string;
  runs: MemberRunDuration[];
}

/**
 * A plan's RTO forecast as a person reads it before signing: what it is based on, how it compares with the objective,
 * and, when it is not ready, which member makes it so. Never a guess: a member with no history leaves the forecast
 * unknown and the plan not ready.
 */
export interface PlanForecastReport {
  plan: string;
  objectiveSeconds: number;
  forecastAt: string;
  basis: { runsPerMember: number; lookbackDays: number };
  members: MemberHistory[];
  /** The min, median and max along the critical path (absent while any member is unknown). */
  forecast: RtoForecast;
  /**
   * The critical path at the members' medians; while a member is unknown, the longest chain of members instead, since
   * the slowest one cannot be known.
   */
  criticalPath: string[];
  /** The member that takes the median forecast past the objective. */
  tooSlow?: OverObjective;
  /** Members with no succeeded run in the lookback. */
  noHistory: string[];
  ready: boolean;
  /** Why the plan is not ready, a sentence each; empty when it is. */
  reasons: string[];
  /** One line: the forecast, its range and basis, the objective and the critical path. */
  summary: string;
  /** What the forecast does not include, and how thin its basis is where it is. */
  notes: string[];
}

/**
 * Each member's workflow ID for a plan input (`region-failover/booking`), as the plan's run will start it. Throws,
 * naming the field, when the input fails the plan's schema.
 */
export function memberWorkflowIdsOf(plan: RecoveryPlanDefinition, planInput: unknown): { member: string; target: string; workflowId: string }[] {
  const parsed = plan.input.safeParse(planInput);
  if (!parsed.success) {
    const { field, message } = firstIssueOf(parsed.error);
    throw new PlanInputError(`invalid input for plan ${plan.id}: ${field}: ${message}`, field);
  }
  return Object.entries(plan.members).map(([member, { runbook, input }]) => {
    const memberInput = runbook.input.safeParse(input(parsed.data));
    if (!memberInput.success) {
      // definePlan checked the plan's examples; another input can still derive one its runbook refuses.
      const { field, message } = firstIssueOf(memberInput.error);
      throw new PlanInputError(`plan ${plan.id}, member ${member}: its input fails ${runbook.id}'s schema at ${field}: ${message}`, field);
    }
    const target = runbook.target(memberInput.data);
    return { member, target, workflowId: runIdFor(runbook.id, target) };
  });
}

/** A plan input that cannot be forecast because a schema refuses it; `field` names the first field at fault, as typed. */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** The first issue of a zod error: its field as a person names it (`mode`, `regions.0`), and its message. */
function firstIssueOf(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0];
  return { field: issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(the input itself)', message: issue?.message ?? 'refused' };
}

/**
 * Forecasts a plan's RTO from its members' recent succeeded runs (real runs and drills alike) in Temporal: each
 * member's runs are the finished runs of its workflow ID, read from their results (the run's final RunStatus).
 */
export async function forecastPlan(
  client: Client,
  plan: RecoveryPlanDefinition,
  planInput: unknown,
  options: PlanForecastOptions = {},
): Promise<PlanForecastReport> {
  const runsPerMember = options.runsPerMember ?? defaults.runsPerMember;
  const lookbackDays = options.lookbackDays ?? defaults.lookbackDays;
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - lookbackDays * 86_400_000);
  const histories = await Promise.all(
    memberWorkflowIdsOf(plan, planInput).map(async ({ member, target, workflowId }) => ({
      member,
      target,
      workflowId,
      runs: await recentWorkOf(client, workflowId, since, runsPerMember),
    })),
  );
  return forecastReport(plan, histories, { runsPerMember, lookbackDays, now });
}

/** The newest succeeded runs of one workflow ID that finished since `since`, each with its work time. */
async function recentWorkOf(client: Client, workflowId: string, since: Date, limit: number): Promise<MemberRunDuration[]> {
  const query = [
    `WorkflowId = '${quoted(workflowId)}'`,
    `ExecutionStatus = 'Completed'`,
    `LifeboatState = 'succeeded'`,
    `CloseTime >= '${since.toISOString()}'`,
  ].join(' AND ');
  // A few more than needed: a result that turns out unreadable or unfinished is skipped, not counted.
  const candidates: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query })) {
    candidates.push(wf);
    if (candidates.length >= limit * 2) break;
  }
  candidates.sort((a, b) => (b.closeTime?.getTime() ?? 0) - (a.closeTime?.getTime() ?? 0));
  const runs: MemberRunDuration[] = [];
  for (const wf of candidates) {
    if (runs.length >= limit) break;
    const status = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as RunStatus | undefined;
    const duration = status?.state === 'succeeded' ? durationOf(wf.runId, status) : undefined;
    if (duration) runs.push(duration);
  }
  return runs;
}

/** One run's entry in a member's history, or undefined for a run that never finished. */
export function durationOf(temporalRunId: string, status: RunStatus): MemberRunDuration | undefined {
  const seconds = workSecondsOf(status);
  if (seconds === undefined || status.finishedAt === undefined) return undefined;
  return { temporalRunId, seconds, drill: status.drill?.kind ?? 'none', finishedAt: status.finishedAt };
}

/** Temporal's list query quotes strings in single quotes; a quote inside one is escaped. */
function quoted(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

/**
 * The report from each member's history, pure: the forecast along the critical path, whether it meets the objective,
 * and the words a person reads. Members missing from `histories` count as having none.
 */
export function forecastReport(
  plan: RecoveryPlanDefinition,
  histories: readonly MemberHistory[],
  basis: { runsPerMember: number; lookbackDays: number; now: Date },
): PlanForecastReport {
  const members = Object.keys(plan.members).map(
    (member) => histories.find((h) => h.member === member) ?? { member, target: '(unknown)', workflowId: '(unknown)', runs: [] as MemberRunDuration[] },
  );
  const forecast = rtoForecast(
    plan,
    members.map((m) => ({ member: m.member, seconds: m.runs.map((r) => r.seconds) })),
  );
  const path = forecast.forecast?.median.path ?? criticalPath(plan, () => 1).members;
  const reasons = [
    ...forecast.unknown.map((member) =>
      noHistoryReason(
        members.find((m) => m.member === member)!,
        basis.lookbackDays,
      ),
    ),
    ...(forecast.overObjective ? [overReason(forecast.overObjective)] : []),
  ];
  const runs = members.reduce((sum, m) => sum + m.runs.length, 0);
  return {
    plan: plan.id,
    objectiveSeconds: forecast.objectiveSeconds,
    forecastAt: basis.now.toISOString(),
    basis: { runsPerMember: basis.runsPerMember, lookbackDays: basis.lookbackDays },
    members,
    forecast,
    criticalPath: path,
    ...(forecast.overObjective ? { tooSlow: forecast.overObjective } : {}),
    noHistory: forecast.unknown,
    ready: reasons.length === 0,
    reasons,
    summary: summaryOf(forecast, path, runs, basis.lookbackDays),
    notes: notesOf(members, basis.runsPerMember),
  };
}

function noHistoryReason(history: MemberHistory, lookbackDays: number): string {
  return (
    `${history.member} has no succeeded run of ${history.workflowId} in the last ${lookbackDays} days, so the forecast is unknown; ` +
    `a run or a drill of ${history.workflowId} gives it one`
  );
}

function overReason(over: OverObjective): string {
  return `${over.member} is too slow: along the critical path it is forecast to end at ${durationText(over.endsAtSeconds)}, past the objective of ${durationText(over.objectiveSeconds)}`;
}

/** `forecast 18m 40s (14m–25m) from 12 runs, objective 45m; critical path booking → checkin → flightStatus`. */
function summaryOf(forecast: RtoForecast, path: string[], runs: number, lookbackDays: number): string {
  const objective = `objective ${durationText(forecast.objectiveSeconds)}`;
  const chain = path.join(' → ');
  if (!forecast.forecast) {
    return `forecast unknown: no succeeded run in the last ${lookbackDays} days of ${forecast.unknown.join(', ')}; ${objective}; critical path by dependencies ${chain}`;
  }
  const { min, median, max } = forecast.forecast;
  const over = forecast.overObjective ? ` (over it at ${forecast.overObjective.member})` : '';
  return `forecast ${durationText(median.seconds)} (${durationText(min.seconds)}–${durationText(max.seconds)}) from ${runs} run${runs === 1 ? '' : 's'}, ${objective}${over}; critical path ${chain}`;
}

function notesOf(members: readonly MemberHistory[], runsPerMember: number): string[] {
  const thin = members.filter((m) => m.runs.length > 0 && m.runs.length < runsPerMember);
  return [
    ...thin.map((m) => `${m.member}: based on ${m.runs.length} run${m.runs.length === 1 ? '' : 's'} only, fewer than the ${runsPerMember} looked for`),
    `work time only: the plan's gate and each member's waits for approvers or an operator are left out, and live state (a standby's replication lag) does not change the numbers; lifeboat readiness <runbook> checks each standby`,
  ];
}

/** Seconds as a person reads a recovery time: `45m`, `18m 40s`, `1h 5m`, `12.5s`. */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  return rest > 0 ? `${minutes}m ${rest}s` : `${minutes}m`;
}
