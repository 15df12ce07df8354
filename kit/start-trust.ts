import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { KitActivities, RunFacts, RunLookupActivities } from './activity-contracts';
import { digestOf, SignedDecision } from './decisions/statement';
import { proofOf, verifySignedDecision, type RunIdentity, type Verdict, type VerifiedDecision } from './decisions/verify';
import type { DrillKind, RunbookDefinition } from './definition';
import { ErrorType } from './errors';
import { checkPlanApproval, planMemberFor } from './plan-approval';
import { planIdOf, planRunbookId, RECOVERY_PLAN_TYPE } from './plan-names';
import type { PlanMemberDefinition } from './recovery-plan';
import type { PlanDelegation, RunTrust } from './run-trust';
import type { Roster } from './roster';
import type { DrillMode } from './status';

/** The workflow type of the drill launcher that schedules start (workflows/scheduled-drill.ts). */
export const SCHEDULED_DRILL_TYPE = 'scheduledDrill';

const kitActivities = proxyActivities<KitActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '1 second' } });
/** Temporal answers these; a schedule that has not yet recorded its action is asked again, a few times. */
const lookups = proxyActivities<RunLookupActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 6, initialInterval: '1 second', backoffCoefficient: 1.5, maximumInterval: '5 seconds' },
});

/** What a start rests on, as the run shows it and as a child it starts inherits it. */
export interface EstablishedStart {
  requestedBy: string;
  trust: RunTrust;
}

/** The parts of a run's request the start checks read. */
export interface StartRequest {
  input: unknown;
  requestedBy: string;
  start?: SignedDecision | undefined;
  /** The signed approvals of the plan that starts this run as a member; checked here, never taken on trust. */
  planApproval?: readonly SignedDecision[] | undefined;
}

function refuse(reason: string): never {
  throw ApplicationFailure.nonRetryable(`start refused: ${reason}`, ErrorType.DecisionRefused);
}

/**
 * Proves who started this run, from what the run can check itself; authority never comes from the request.
 * - A run started by a person (or the alert receiver) needs a start statement signed for this workflow ID, runbook,
 *   input and drill, valid at the moment Temporal started the run, and not used by any other run before (each signed
 *   start starts one run, see `claimStart`).
 * - A child run (a drill schedule's, a live drill's failback) asks Temporal who its parent really is: a run of a type
 *   allowed to start it, on this task queue, still running, whose own start is the very statement the child carries
 *   and covers this child's runbook, input and drill.
 * Refuses the run otherwise: nothing has happened yet, so nothing needs undoing.
 */
export async function establishTrust(definition: RunbookDefinition, request: StartRequest, drill: DrillMode | undefined): Promise<EstablishedStart> {
  const info = workflowInfo();
  const identity: RunIdentity = {
    namespace: info.namespace,
    workflowId: info.workflowId,
    runId: info.firstExecutionRunId,
    inputDigest: digestOf(request.input),
  };
  if (!request.start) refuse(`the start is not signed; start runs with lifeboat run (it signs as ${request.requestedBy}), or pass a signed start`);
  if (request.planApproval && !info.parent)
    refuse("a plan's approval only counts in a run its plan started; this run has no parent. Start the plan (lifeboat run <plan>), or this run without it");
  const roster: Roster = await kitActivities.loadRoster();
  const delegated = info.parent ? await delegatedStart(definition, request, drill, roster, info.parent) : undefined;
  const decision = delegated?.decision ?? (await ownStart(definition, request, drill, roster));
  if (decision.by !== request.requestedBy) refuse(`the start is signed by ${decision.by}, but the request names ${request.requestedBy} as requester`);
  const schedule = typeof decision.body.schedule === 'string' ? decision.body.schedule : undefined;
  const delegation = delegated?.delegation;
  return {
    requestedBy: decision.by,
    trust: {
      identity,
      roster,
      startProof: request.start,
      start: {
        verified: proofOf(decision),
        ...(info.parent ? { delegatedBy: info.parent.workflowId } : {}),
        ...(schedule ? { schedule } : {}),
        ...(delegated?.member ? { planMember: delegated.member } : {}),
      },
      ...(delegation ? { delegation } : {}),
    },
  };
}

/** A start nobody delegated: the statement must name exactly this run, and is claimed so it starts no other. */
async function ownStart(definition: RunbookDefinition, request: StartRequest, drill: DrillMode | undefined, roster: Roster): Promise<VerifiedDecision> {
  const info = workflowInfo();
  const verdict = verifySignedDecision(['start'], request.start, {
    namespace: info.namespace,
    workflowId: info.workflowId,
    runId: '',
    inputDigest: digestOf(request.input),
    // Temporal's own start time of this run, so a workflow task that waited for a worker does not change the verdict,
    // and nothing the request says about time counts.
    nowMs: info.runStartTime.getTime(),
    roster,
    used: new Set<string>(),
  });
  if (!verdict.ok) refuse(verdict.reason);
  const { decision } = verdict;
  checkCovers(decision, definition.id, drill?.kind);
  if (decision.body.schedule !== undefined)
    refuse(`a drill schedule's authorisation (${String(decision.body.schedule)}) only starts runs that schedule starts`);
  const claim = await lookups.claimStart({ nonce: decision.nonce, workflowId: info.workflowId, runId: info.runId, expiresAt: decision.expiresAt });
  if (!claim.claimed) refuse(`this signed start already started ${claim.heldBy}; each signed start starts one run, so sign a new one`);
  return decision;
}

/**
 * A start handed down by a parent. The parent named by `workflowInfo().parent` may be anyone's workflow under a
 * borrowed ID, so its type, task queue, state and own start are read from Temporal, and its start must cover this child.
 */
async function delegatedStart(
  definition: RunbookDefinition,
  request: StartRequest,
  drill: DrillMode | undefined,
  roster: Roster,
  parent: { workflowId: string; runId: string },
): Promise<{ decision: VerifiedDecision; member?: string; delegation?: PlanDelegation }> {
  const info = workflowInfo();
  const facts = await lookups.describeRun(parent);
  const from = `its parent ${parent.workflowId.slice(0, 200)} (${facts.workflowType.slice(0, 100)} on task queue ${facts.taskQueue.slice(0, 100)})`;
  if (facts.taskQueue !== info.taskQueue) refuse(`${from} does not run on this run's task queue ${info.taskQueue}, so it is not a Lifeboat run`);
  if (facts.status !== 'RUNNING') refuse(`${from} is ${facts.status.toLowerCase()}, not running`);
  const parentStart = startOf(facts);
  if (!parentStart || !sameSigned(parentStart, request.start!)) refuse(`the signed start this run carries is not ${from}'s own start`);
  const parentStartedMs = Date.parse(facts.startTime);
  if (facts.workflowType === SCHEDULED_DRILL_TYPE) {
    // A schedule's authorisation names the drill's own run ID, runbook, input and drill; the launcher checked the rest.
    const verdict = verifySignedDecision(['start'], request.start, {
      namespace: info.namespace,
      workflowId: info.workflowId,
      runId: '',
      inputDigest: digestOf(request.input),
      nowMs: parentStartedMs,
      roster,
      used: new Set<string>(),
      allowScheduleLifetime: true,
    });
    if (!verdict.ok) refuse(verdict.reason);
    checkCovers(verdict.decision, definition.id, drill?.kind);
    const schedule = verdict.decision.body.schedule;
    if (typeof schedule !== 'string' || !parent.workflowId.startsWith(`${schedule}-`))
      refuse(`${from} is not a run of the drill schedule the start authorises`);
    if (request.planApproval) refuse(`a plan's approval only counts in a run a plan started, not ${from}`);
    return { decision: verdict.decision };
  }
  if (facts.workflowType === RECOVERY_PLAN_TYPE) return planMemberStart(definition, request, drill, roster, parent, facts);
  if (request.planApproval) refuse(`a plan's approval only counts in a run a plan started, not ${from}`);
  const rule = definition.delegatedFrom?.[facts.workflowType];
  if (!rule) refuse(`${from} may not start ${definition.id}: only ${[SCHEDULED_DRILL_TYPE, ...Object.keys(definition.delegatedFrom ?? {})].join(' or ')} may`);
  const parentRequest = facts.argument as { input?: unknown; drill?: { kind?: DrillKind } } | null;
  const verdict = parentStartVerdict(request, parent, facts, roster);
  if (!verdict.ok) refuse(`${from}'s start does not hold: ${verdict.reason}`);
  const parentRunbook = String(verdict.decision.body.runbook);
  const parentDrill = verdict.decision.body.drill === 'isolated' || verdict.decision.body.drill === 'live' ? verdict.decision.body.drill : undefined;
  const why = rule({ runbook: parentRunbook, input: parentRequest?.input, drill: parentDrill }, { input: request.input, drill: drill?.kind });
  if (why) refuse(`${from}'s start does not cover this run: ${why}`);
  return { decision: verdict.decision };
}

/**
 * A member started by a recovery plan's run. The parent is a plan run of ours (type, task queue, running, checked by
 * the caller); here its own signed start must hold for the plan's run ID and input, the plan must be one this runbook
 * lets start it (`plans`, from the plans' catalog), and its definition must list this run, runbook and input, with the
 * plan's drill. The plan's approval, when the member carries one, must be that plan run's, by the people its gate
 * accepts (plan-approval.ts); it then stands for the member's delegable gates.
 */
async function planMemberStart(
  definition: RunbookDefinition,
  request: StartRequest,
  drill: DrillMode | undefined,
  roster: Roster,
  parent: { workflowId: string; runId: string },
  facts: RunFacts,
): Promise<{ decision: VerifiedDecision; member: string; delegation?: PlanDelegation }> {
  const info = workflowInfo();
  const from = `plan run ${parent.workflowId.slice(0, 200)}`;
  const parentRequest = facts.argument as { input?: unknown; drill?: { kind?: DrillKind } } | null;
  const parentStartedMs = Date.parse(facts.startTime);
  const verdict = parentStartVerdict(request, parent, facts, roster);
  if (!verdict.ok) refuse(`${from}'s start does not hold: ${verdict.reason}`);
  const planId = planIdOf(String(verdict.decision.body.runbook));
  const listing = (definition as PlanMemberDefinition).plans ?? {};
  const plan = planId !== undefined && Object.hasOwn(listing, planId) ? listing[planId] : undefined;
  if (!plan || parent.workflowId.split('/').slice(0, 2).join('/') !== planRunbookId(plan.id)) {
    refuse(`${from} is not a run of a plan that lists ${definition.id} (${Object.keys(listing).join(', ') || 'none does'})`);
  }
  if ((verdict.decision.body.drill ?? 'none') !== (drill?.kind ?? 'none'))
    refuse(`${from} is for drill ${String(verdict.decision.body.drill ?? 'none')}, but this run asks for ${drill?.kind ?? 'no drill'}`);
  const member = planMemberFor(plan, parentRequest?.input, definition.id, request.input);
  if (!member) refuse(`plan ${plan.id} lists no member that runs ${definition.id} on this input for ${from}'s input`);
  const planRun = { plan: plan.id, workflowId: parent.workflowId, runId: facts.firstRunId, inputDigest: digestOf(parentRequest?.input), member };
  if (!request.planApproval) return { decision: verdict.decision, member, delegation: { ...planRun, signers: [] } };
  const approval = checkPlanApproval(
    {
      plan,
      namespace: info.namespace,
      workflowId: parent.workflowId,
      runId: facts.firstRunId,
      input: parentRequest?.input,
      startedMs: parentStartedMs,
      requestedBy: verdict.decision.by,
    },
    request.planApproval,
    roster,
  );
  if (!approval.ok) refuse(`the plan's approval this run carries does not hold: ${approval.reason}`);
  return {
    decision: verdict.decision,
    member,
    delegation: { ...planRun, signers: approval.signers },
  };
}

/**
 * Whether the signed start a child carries is its parent's own: a start statement for the parent's workflow ID and
 * input, valid when Temporal started the parent. A drill schedule's authorisation (a live drill's, a plan drill's) may
 * be as old as its schedule; the launcher checked it when it started the parent.
 */
function parentStartVerdict(request: StartRequest, parent: { workflowId: string }, facts: RunFacts, roster: Roster): Verdict {
  const parentRequest = facts.argument as { input?: unknown } | null;
  return verifySignedDecision(['start'], request.start, {
    namespace: workflowInfo().namespace,
    workflowId: parent.workflowId,
    runId: '',
    inputDigest: digestOf(parentRequest?.input),
    nowMs: Date.parse(facts.startTime),
    roster,
    used: new Set<string>(),
    allowScheduleLifetime: true,
  });
}

/** Refuses a start statement that is for another runbook or another kind of drill than this run. */
function checkCovers(decision: VerifiedDecision, runbook: string, drill: DrillKind | undefined): void {
  if (decision.body.runbook !== runbook) refuse(`the signed start is for runbook ${String(decision.body.runbook)}, not ${runbook}`);
  if ((decision.body.drill ?? 'none') !== (drill ?? 'none'))
    refuse(`the signed start is for drill ${String(decision.body.drill ?? 'none')}, but the request asks for ${drill ?? 'no drill'}`);
}

/** The signed start in a run's first argument: a runbook run's `start`, or a drill launcher's. */
function startOf(facts: RunFacts): SignedDecision | undefined {
  const start = (facts.argument as { start?: unknown } | null)?.start;
  const parsed = SignedDecision.safeParse(start);
  return parsed.success ? parsed.data : undefined;
}

function sameSigned(a: SignedDecision, b: SignedDecision): boolean {
  return a.statement === b.statement && a.signature === b.signature;
}

/**
 * Checks that the run this one continued from is a run of the same workflow type on the same task queue that Temporal
 * closed as continued-as-new: anyone can continue *into* one of our types from a workflow of their own, with a carried
 * state of their own making, and such a chain must run nothing.
 */
export async function checkPredecessor(): Promise<void> {
  const info = workflowInfo();
  const previous = info.continuedFromExecutionRunId;
  if (!previous) refuse('carried-over state is only taken from a run that continued as this one');
  const facts = await lookups.describeRun({ workflowId: info.workflowId, runId: previous });
  if (facts.workflowType !== info.workflowType || facts.taskQueue !== info.taskQueue) {
    refuse(
      `this run continued from ${facts.workflowType.slice(0, 100)} on task queue ${facts.taskQueue.slice(0, 100)}, not from ${info.workflowType} on ${info.taskQueue}: carried-over state from another workflow is not evidence`,
    );
  }
  if (facts.status !== 'CONTINUED_AS_NEW') refuse(`the run this one claims to continue from is ${facts.status.toLowerCase()}, not continued-as-new`);
}

/**
 * Proves that a drill launcher run was started by the drill schedule its signed authorisation names, for exactly the
 * runbook, input and drill it is about to start: the launcher is registered on the task queue like every runbook, so
 * anyone with namespace access can start it by hand with any argument. Returns the verified authorisation.
 */
export async function verifyScheduledDrillStart(spec: {
  runbook: string;
  input: unknown;
  drill: DrillMode;
  requestedBy: string;
  start?: SignedDecision | undefined;
  childWorkflowId: string;
}): Promise<VerifiedDecision> {
  const info = workflowInfo();
  if (info.parent) refuse(`a drill launcher is started by a drill schedule, not by another workflow (${info.parent.workflowId.slice(0, 200)})`);
  if (info.continuedFromExecutionRunId) refuse('a drill launcher never continues as new');
  if (!spec.start) refuse('the drill has no signed authorisation; create its schedule with lifeboat drill schedule, which signs it');
  const roster: Roster = await kitActivities.loadRoster();
  const verdict = verifySignedDecision(['start'], spec.start, {
    namespace: info.namespace,
    workflowId: spec.childWorkflowId,
    runId: '',
    inputDigest: digestOf(spec.input),
    nowMs: info.runStartTime.getTime(),
    roster,
    used: new Set<string>(),
    allowScheduleLifetime: true,
  });
  if (!verdict.ok) refuse(verdict.reason);
  const { decision } = verdict;
  checkCovers(decision, spec.runbook, spec.drill.kind);
  if (decision.by !== spec.requestedBy) refuse(`the authorisation is signed by ${decision.by}, but the drill names ${spec.requestedBy} as requester`);
  const schedule = decision.body.schedule;
  if (typeof schedule !== 'string') refuse("the signed start is not a drill schedule's authorisation (it names no schedule)");
  if (!info.workflowId.startsWith(`${schedule}-`))
    refuse(`this run's ID ${info.workflowId.slice(0, 200)} is not one drill schedule ${schedule} gives its runs`);
  const started = await lookups.checkScheduledStart({ scheduleId: schedule, workflowId: info.workflowId, firstExecutionRunId: info.firstExecutionRunId });
  if (!started.ok) refuse(started.reason);
  return decision;
}
