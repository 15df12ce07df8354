import { ApplicationFailure, condition, ParentClosePolicy, startChild, WorkflowIdReusePolicy, type ChildWorkflowHandle } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { defineRunbook, gate, runIdFor, step, type GateSpec, type RunbookDefinition, type StepSpec } from './definition';
import { describeError, ErrorType, RunAborted } from './errors';
import { planAbortSignal } from './messages';
import { PLAN_GATE, planRunbookId, RECOVERY_PLAN_TYPE } from './plan-names';
import type { RecoveryPlanDefinition } from './recovery-plan';
import { planLayers } from './recovery-plan-graph';
import type { RunbookRun } from './runbook-run-api';
import { runSearchAttributes } from './search-attributes';
import type { RunResult } from './status';

/** Where a member of a plan is, as the plan's status shows it. */
export type PlanMemberState = 'waiting' | 'running' | 'succeeded' | 'needs-operator' | 'skipped' | 'aborted' | 'not-started';

/** One member as the plan's status shows it (`details.members`): what it runs, where it is, and what it measured. */
export interface PlanMemberView {
  runbook: string;
  /** The member's own run, e.g. `region-failover/booking`. */
  runId: string;
  /** Temporal's run ID of the member's run this plan started (the latest, after a retry). */
  temporalRunId?: string;
  target: string;
  after: string[];
  state: PlanMemberState;
  startedAt?: string;
  finishedAt?: string;
  /** The member run's own state when it ended. */
  outcome?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  rpoWrites?: number;
  /** Why the member waits for an operator. */
  error?: string;
}

/** A plan's step per member: started once the members it waits for are done; an operator may retry or skip it. */
function memberStep(name: string, plan: RecoveryPlanDefinition): StepSpec {
  const member = plan.members[name]!;
  return step({
    title: `${name}: ${member.runbook.title}${member.after?.length ? ` (after ${member.after.join(', ')})` : ''}`,
    skippable: true,
    retry: { maximumAttempts: 1 },
  }) as StepSpec;
}

/**
 * The runbook a plan runs as: its one gate, then a step per member. So `lifeboat status`, `approve`, `retry`,
 * `skip`, `abort`, `report` and `verify` work on a plan's run as on any runbook's, and its run ID is
 * `plan/<id>/<target>`. The members themselves are child runs with their own IDs (see {@link runPlanMembers}).
 */
export function planRunbookOf(plan: RecoveryPlanDefinition): RunbookDefinition {
  const procedure: Record<string, GateSpec | StepSpec> = {
    [PLAN_GATE]: gate({ title: plan.gate.title, policy: plan.gate.policy }),
  };
  for (const name of Object.keys(plan.members)) procedure[name] = memberStep(name, plan);
  return defineRunbook({
    id: planRunbookId(plan.id),
    title: plan.title,
    description: plan.description,
    workflowType: RECOVERY_PLAN_TYPE,
    input: plan.input,
    target: (input) => plan.target(input),
    objectives: { rtoSeconds: plan.objectives.rtoSeconds, ...(plan.objectives.rpoSeconds !== undefined ? { rpoSeconds: plan.objectives.rpoSeconds } : {}) },
    procedure,
  });
}

type MemberResult = RunResult<unknown>;

/**
 * Runs a plan: its gate, then every member as a child run once the members it waits for are done, side by side where
 * nothing orders them. A member that fails waits for an operator (retry, skip or abort the plan) and holds only the
 * members after it. An abort of the plan is handed to the members still running, signed as it was given, and their
 * own undo runs; members not started stay so, members done stay where they are.
 */
export async function runPlanMembers(
  run: RunbookRun<unknown>,
  plan: RecoveryPlanDefinition,
  definition: RunbookDefinition,
  input: unknown,
): Promise<Record<string, PlanMemberView>> {
  const approved = await run.gate(definition.procedure[PLAN_GATE] as GateSpec);
  const approvals = run.status.drill?.approvals === 'policy' ? [] : run.countedApprovals(approved);
  const views = initialViews(plan, input);
  const show = () => run.report('members', views);
  show();
  const done = new Map<string, Promise<void>>();
  // Wave by wave, so every member it waits for is in `done` before a member is, whatever order the plan declares them.
  for (const name of planLayers(plan).flat()) {
    const member = plan.members[name]!;
    const ready = Promise.all((member.after ?? []).map((before) => done.get(before)!));
    done.set(
      name,
      ready.then(async () => {
        const spec = definition.procedure[name] as StepSpec & { skippable: true };
        const result = await run.step(spec, () => runMember(run, { plan, input, name, views, show, approvals }));
        // Undefined is an operator's skip, or a member that said itself why it did not run (aborted with the plan, or
        // nothing to rehearse in this drill).
        if (result === undefined && views[name]!.state !== 'aborted' && views[name]!.state !== 'skipped') {
          views[name]!.state = 'skipped';
          delete views[name]!.error;
          show();
        }
        throwIfAborted(run);
      }),
    );
  }
  const settled = await Promise.allSettled(done.values());
  for (const view of Object.values(views)) if (view.state === 'waiting') view.state = 'not-started';
  show();
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  measurePlan(run, views, input);
  return views;
}

function throwIfAborted(run: RunbookRun<unknown>): void {
  const abort = run.status.abortRequested;
  if (abort) throw new RunAborted(`aborted by ${abort.by}${abort.reason ? `: ${abort.reason}` : ''}`, abort.by);
}

function initialViews(plan: RecoveryPlanDefinition, input: unknown): Record<string, PlanMemberView> {
  const views: Record<string, PlanMemberView> = {};
  for (const [name, member] of Object.entries(plan.members)) {
    const memberInput = member.runbook.input.parse(member.input(input));
    const target = member.runbook.target(memberInput);
    views[name] = { runbook: member.runbook.id, runId: runIdFor(member.runbook.id, target), target, after: [...(member.after ?? [])], state: 'waiting' };
  }
  return views;
}

interface MemberContext {
  plan: RecoveryPlanDefinition;
  input: unknown;
  name: string;
  views: Record<string, PlanMemberView>;
  show: () => void;
  approvals: readonly unknown[];
}

type Settled = { result: MemberResult } | { error: unknown };

/**
 * Starts one member and waits for it. An abort of the plan while it runs is passed on to it, signed as it was given,
 * and the member's undo is awaited; the member then counts as aborted, and the plan's abort goes on.
 */
async function runMember(run: RunbookRun<unknown>, ctx: MemberContext): Promise<MemberResult | undefined> {
  const { plan, input, name, views, show, approvals } = ctx;
  const view = views[name]!;
  throwIfAborted(run);
  const member = plan.members[name]!;
  const handle = await startMember(run, ctx, member.runbook, member.input(input), approvals);
  view.state = 'running';
  view.temporalRunId = handle.firstExecutionRunId;
  view.startedAt = new Date(Date.now()).toISOString();
  delete view.finishedAt;
  delete view.outcome;
  delete view.error;
  show();
  let settled: Settled | undefined;
  void handle.result().then(
    (result) => (settled = { result }),
    (error: unknown) => (settled = { error }),
  );
  await condition(() => settled !== undefined || run.status.abortRequested !== undefined);
  if (settled === undefined) {
    const proof = run.abortProof;
    if (proof) await handle.signal(planAbortSignal, proof);
    run.audit('lifeboat', 'member-abort', `${name}: the plan's abort was passed to ${view.runId}; waiting for its undo`);
    await condition(() => settled !== undefined);
  }
  const outcome = settled!;
  view.finishedAt = new Date(Date.now()).toISOString();
  if ('error' in outcome) {
    view.state = run.status.abortRequested ? 'aborted' : 'needs-operator';
    view.error = describeError(outcome.error).slice(0, 500);
    show();
    if (run.status.abortRequested) return undefined;
    throw outcome.error;
  }
  const result = outcome.result;
  view.outcome = result.state;
  const measured = result.measurements;
  if (measured?.rtoSeconds !== undefined) view.rtoSeconds = measured.rtoSeconds;
  if (measured?.rpoSeconds !== undefined) view.rpoSeconds = measured.rpoSeconds;
  if (measured?.rpoWrites !== undefined) view.rpoWrites = measured.rpoWrites;
  if (result.state === 'succeeded') {
    view.state = 'succeeded';
    show();
    return result;
  }
  // A drill of a kind the member has nothing to rehearse with (an isolated drill of a service that keeps no data, so
  // has no standby to clone): the plan's drill passes over it, says so, and goes on.
  const drill = run.status.drill?.kind;
  if (drill !== undefined && result.details?.nothingToRehearse === drill) {
    view.state = 'skipped';
    view.error = `nothing to rehearse in ${drill === 'isolated' ? 'an' : 'a'} ${drill} drill: ${(result.outcome ?? '').slice(0, 300)}`;
    show();
    return undefined;
  }
  if (run.status.abortRequested) {
    view.state = 'aborted';
    show();
    return undefined;
  }
  view.state = 'needs-operator';
  view.error = `${view.runId} ended ${result.state}: ${(result.outcome ?? 'no outcome').slice(0, 400)}`;
  show();
  throw ApplicationFailure.nonRetryable(
    `member ${name} (${view.runId}) ended ${result.state}: ${(result.outcome ?? 'no outcome').slice(0, 400)}; retry it (lifeboat retry ${run.status.runId}) or skip it`,
    ErrorType.Precondition,
  );
}

async function startMember(
  run: RunbookRun<unknown>,
  ctx: MemberContext,
  runbook: RunbookDefinition,
  memberInput: unknown,
  approvals: readonly unknown[],
): Promise<ChildWorkflowHandle<(request: unknown) => Promise<MemberResult>>> {
  const view = ctx.views[ctx.name]!;
  const drill = run.status.drill;
  try {
    return await startChild<(request: unknown) => Promise<MemberResult>>(runbook.workflowType, {
      workflowId: view.runId,
      args: [
        {
          input: memberInput,
          requestedBy: run.status.requestedBy,
          ...(drill ? { drill: { kind: drill.kind, approvals: drill.approvals } } : {}),
          ...(run.startProof ? { start: run.startProof } : {}),
          ...(approvals.length > 0 ? { planApproval: approvals } : {}),
        },
      ],
      // A member outlives a plan that is terminated: it finishes, or undoes, its own switch rather than stop halfway.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: runSearchAttributes({
        runbook: runbook.id,
        target: view.target,
        state: 'running',
        requestedBy: run.status.requestedBy,
        ...(drill ? { drill: drill.kind } : {}),
      }),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    view.state = 'needs-operator';
    view.error = `${view.runId} is already running, started outside this plan; one run per service at a time`;
    ctx.show();
    throw ApplicationFailure.nonRetryable(
      `${view.runId} is already running, started outside this plan (lifeboat status ${view.runId} says who started it and how far it is); when it has ended, retry member ${ctx.name} (lifeboat retry ${run.status.runId}), or skip it`,
      ErrorType.Precondition,
    );
  }
}

/** The plan's own measurements: its RTO from its start (and from detection) to its last member's end, its worst loss. */
function measurePlan(run: RunbookRun<unknown>, views: Record<string, PlanMemberView>, input: unknown): void {
  const ended = Date.now();
  const detectedAt = (input as { detectedAt?: unknown } | null)?.detectedAt;
  if (typeof detectedAt === 'string' && !Number.isNaN(Date.parse(detectedAt))) {
    run.measure({ rtoFromDetectionSeconds: Math.round((ended - Date.parse(detectedAt)) / 100) / 10 });
  }
  const rpoSeconds = Math.max(0, ...Object.values(views).map((v) => v.rpoSeconds ?? 0));
  const rpoWrites = Object.values(views).reduce((sum, v) => sum + (v.rpoWrites ?? 0), 0);
  run.measure({ rtoSeconds: Math.round((ended - Date.parse(run.status.startedAt)) / 100) / 10, rpoSeconds, rpoWrites });
}
