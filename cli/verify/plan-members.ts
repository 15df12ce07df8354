import type { Client } from '@temporalio/client';
import type { PlanMemberState, PlanMemberView } from '../../kit';
import { CliError } from '../errors';
import type { VerifyReport } from './check';
import { fetchHistoryChainFrom } from './history-chain';
import type { PayloadDecoder } from './history-decisions';
import type { DelegationFindings, PlanRunRecord } from './plan-delegation';
import { planOfRun } from './runbook-of';
import { runName } from './start-statement';
import { verifyRun, type RunVerification, type VerifyRunInputs } from './verify-run';

/** One member of a plan as verify checked it: its own run as any run, and its delegation from the plan run. */
export interface MemberVerification {
  member: string;
  runbook: string;
  /** The member's workflow ID, e.g. `region-failover/booking`. */
  runId: string;
  /** Temporal's run ID of the member run the plan started; absent when it started none. */
  temporalRunId?: string;
  /** Where the plan says the member is; `retried` for an earlier run of a member the plan started again. */
  state: PlanMemberState | 'retried';
  /** The member run's own report, when the plan started one and its history could be read. */
  report?: VerifyReport;
  delegation?: DelegationFindings;
  problems: string[];
  ok: boolean;
}

/** A plan run's report: its own, with every member's; `problems` and `ok` are the plan's and its members' together. */
export interface PlanVerifyReport extends VerifyReport {
  members: MemberVerification[];
}

export type MemberInputs = Pick<VerifyRunInputs, 'namespace' | 'decode' | 'codecHint' | 'seals'> & { client: Client | undefined };

/**
 * Verifies every member run a plan's run started, from the members its status lists (each by workflow ID and the
 * Temporal run ID the plan started), each as any run and with its delegation checked against this plan run. The plan
 * verifies only when it does itself and every member does.
 */
export async function verifyPlanMembers(planRun: RunVerification, inputs: MemberInputs): Promise<PlanVerifyReport> {
  const own = planRun.report;
  const problems: string[] = [];
  const plan = planOfRun(own.runId);
  const status = planRun.status?.value;
  const views = membersOf(status?.details.members);
  if (!plan) problems.push(`${own.runId} names no recovery plan Lifeboat ships, so its members cannot be checked against one`);
  const children = planRun.joined.children ?? [];
  if (!status) problems.push("the plan run's status cannot be read (no result, and no worker answered), so the members it started cannot be listed");
  // A plan stopped at its gate lists no members, and started none; one that started any must list them.
  else if (!views && children.length > 0)
    problems.push(
      `the plan run's status lists no members, yet its history shows it started ${children.map((c) => runName(c.workflowId, c.runId)).join(', ')}, so they cannot be checked as its members`,
    );
  const members: MemberVerification[] = [];
  if (plan && status && views) {
    const record: PlanRunRecord = { plan, namespace: inputs.namespace, first: planRun.first, status };
    // A history file holds one run of the plan's chain; the server has all of it.
    const started = inputs.client ? children : undefined;
    problems.push(...unlisted(started, views));
    for (const [member, view] of Object.entries(views)) {
      for (const run of runsOf(view, started)) {
        const checked = await verifyMember(member, { ...view, ...run }, record, inputs);
        if (run.missing) checked.problems.unshift(run.missing);
        checked.ok = checked.problems.length === 0;
        members.push(checked);
      }
    }
  }
  for (const m of members) problems.push(...m.problems.map((p) => `member ${m.member} (${runName(m.runId, m.temporalRunId ?? '')}): ${p}`));
  const all = [...own.problems, ...problems];
  return { ...own, problems: all, ok: all.length === 0, members };
}

async function verifyMember(
  member: string,
  view: Omit<PlanMemberView, 'state'> & { state: MemberVerification['state'] },
  planRun: PlanRunRecord,
  inputs: MemberInputs,
): Promise<MemberVerification> {
  const base = { member, runbook: view.runbook, runId: view.runId, state: view.state };
  // A member the plan never started (waiting, skipped before it began, or refused as already running) ran nothing here.
  if (!view.temporalRunId) return { ...base, problems: [], ok: true };
  const named = { ...base, temporalRunId: view.temporalRunId };
  if (!inputs.client) {
    const problem = 'its run is not in the history file: verify the plan against the server, without --history, to check its members and their delegations';
    return { ...named, problems: [problem], ok: false };
  }
  try {
    const { chain, lastRunId } = await fetchHistoryChainFrom(inputs.client, view.runId, view.temporalRunId);
    const checked = await verifyRun({ ...inputs, client: inputs.client, workflowId: view.runId, chain, lastRunId, planRun });
    const problems = checked.report.problems;
    return { ...named, report: checked.report, ...(checked.delegation ? { delegation: checked.delegation } : {}), problems, ok: problems.length === 0 };
  } catch (err) {
    const problem = err instanceof CliError ? err.message : `its run cannot be read: ${(err as Error).message}`;
    return { ...named, problems: [problem], ok: false };
  }
}

/**
 * The runs of one member to verify: every run of its workflow ID the plan's history shows it started, the earlier ones
 * (a member retried) as well as the one its status names, which must be among them. Read from a history file, the
 * plan's status is all there is.
 */
function runsOf(
  view: PlanMemberView,
  started: { workflowId: string; runId: string }[] | undefined,
): { temporalRunId?: string; state: MemberVerification['state']; missing?: string }[] {
  const latest = view.temporalRunId ? [{ temporalRunId: view.temporalRunId, state: view.state }] : [{ state: view.state }];
  if (!started) return latest;
  const runs = started.filter((c) => c.workflowId === view.runId).map((c) => c.runId);
  const earlier = runs.filter((r) => r !== view.temporalRunId).map((r) => ({ temporalRunId: r, state: 'retried' as const }));
  if (view.temporalRunId && !runs.includes(view.temporalRunId)) {
    const missing = `the plan's status names run ${view.temporalRunId} of ${view.runId}, but the plan run's history shows it never started that run`;
    return [...earlier, { ...latest[0]!, missing }];
  }
  return [...earlier, ...latest];
}

/** Child runs the plan's history shows it started that are none of its members. */
function unlisted(started: { workflowId: string; runId: string; workflowType: string }[] | undefined, views: Record<string, PlanMemberView>): string[] {
  return (started ?? [])
    .filter((c) => !Object.values(views).some((v) => v.runId === c.workflowId))
    .map((c) => `the plan run started ${runName(c.workflowId, c.runId)} (${c.workflowType}), which its status lists as none of its members`);
}

/** The plan's `details.members`, when it has the shape the kit writes. */
function membersOf(value: unknown): Record<string, PlanMemberView> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, Partial<PlanMemberView>>);
  const wellFormed = entries.every(
    ([, v]) => typeof v?.runId === 'string' && typeof v.runbook === 'string' && (v.temporalRunId === undefined || typeof v.temporalRunId === 'string'),
  );
  return wellFormed ? (value as Record<string, PlanMemberView>) : undefined;
}
