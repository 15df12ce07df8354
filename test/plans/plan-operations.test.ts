import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { approveUpdate, interveneUpdate, type PlanMemberView, type RunResult, type RunStatus, statusQuery } from '../../kit';
import { temporalCli } from '../helpers/cli';
import { createTestWorker, connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { planServices, switchEstate, type SwitchEstate } from '../helpers/switch-estate';
import { decisionStatement, signAs } from '../helpers/signing';
import { startWorkerProcess } from '../helpers/worker-process';

/**
 * What an incident commander does with a plan when things go wrong, on an estate of four services that keep no data
 * (booking, checkin, crew and flight-status, each a user's own traffic and service-mode switch over a state file,
 * test/fixtures/command-estate.mjs), so each member's failover takes seconds: a member that needs an operator holds
 * only the members after it; a skipped member lets them go on; an abort stops the plan and its running members and
 * leaves the finished ones where they are; a service held by a run outside the plan waits for an operator; a worker
 * killed mid-plan starts no member twice; and forged plan approvals move nothing.
 */
type PlanResult = RunResult<Record<string, PlanMemberView>>;

let ctx: TemporalTestContext;
let estate: SwitchEstate;
let targetsPath: string;
const active = () => estate.active();
const putInMaintenance = (service: string) => estate.putInMaintenance(service);
const workers: ChildProcess[] = [];

beforeAll(async () => {
  ctx = await connectToTestServer('plan-operations');
  estate = switchEstate();
  targetsPath = estate.targetsPath;
});

beforeEach(() => estate.reset());

afterEach(async () => {
  for (const w of workers.splice(0)) if (w.exitCode === null) w.kill('SIGKILL');
  for (const id of ['plan/evacuate-region/A', ...planServices.map((s) => `region-failover/${s}`)]) {
    await ctx.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
});

afterAll(async () => {
  await ctx?.close();
  estate?.remove();
});

async function startPlan(taskQueue: string): Promise<WorkflowHandle> {
  const handle = await ctx.client.workflow.start('recoveryPlan', {
    taskQueue,
    workflowId: 'plan/evacuate-region/A',
    args: [{ input: { from: 'A', to: 'B', mode: 'emergency' }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
  return handle;
}

async function approvePlan(handle: WorkflowHandle): Promise<void> {
  for (const by of ['bob', 'carol', 'dave']) await handle.executeUpdate(approveUpdate, { args: [{ by }] });
}

const membersOf = (status: RunStatus) => (status.details.members ?? {}) as Record<string, PlanMemberView>;
const statesOf = (status: RunStatus) => Object.fromEntries(Object.entries(membersOf(status)).map(([name, m]) => [name, m.state]));

test(
  'a member that needs an operator holds only the members after it; skipping it lets them go on, and the report lists the skip',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    putInMaintenance('checkin');
    await worker.runUntil(async () => {
      const plan = await startPlan(taskQueue);
      await approvePlan(plan);
      // Booking and crew finish; checkin's own run waits for an operator; flight-status waits for checkin.
      const held = await waitForStatus(plan, (s) => membersOf(s).crew?.state === 'succeeded' && membersOf(s).booking?.state === 'succeeded', 60_000);
      const checkin = ctx.client.workflow.getHandle('region-failover/checkin');
      await waitForStatus(checkin, (s) => s.state === 'needs-intervention', 60_000);
      expect(statesOf(await plan.query(statusQuery))).toMatchObject({ booking: 'succeeded', crew: 'succeeded', checkin: 'running', flightStatus: 'waiting' });
      expect(held.state).not.toBe('succeeded');

      // The on-call engineer gives up on checkin's run: it ends aborted, and the plan asks what to do with the member.
      await checkin.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'B is in maintenance' }] });
      const asking = await waitForStatus(plan, (s) => s.state === 'needs-intervention', 60_000);
      expect(asking.intervention).toMatchObject({ step: 'checkin', options: ['retry', 'skip', 'abort'] });
      expect(asking.intervention!.error).toContain('member checkin (region-failover/checkin) ended aborted');
      expect(membersOf(asking).flightStatus?.state).toBe('waiting');

      await plan.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'alice', reason: 'checkin stays in A for now' }] });
      const result = (await plan.result()) as PlanResult;
      expect(result.state, result.outcome).toBe('succeeded');
      expect(statesOf(result)).toEqual({ booking: 'succeeded', checkin: 'skipped', crew: 'succeeded', flightStatus: 'succeeded' });
      expect(result.steps.find((s) => s.name === 'checkin')?.status).toBe('skipped');
      expect(result.audit.some((a) => a.actor === 'alice' && a.action === 'skip' && a.comment === 'checkin stays in A for now')).toBe(true);
    });
    expect(active()).toEqual({ booking: 'B', checkin: 'A', crew: 'B', 'flight-status': 'B' });
  },
);

test(
  'aborting the plan aborts the member still running (signed, passed on) and starts none of the rest; finished members stay moved',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    putInMaintenance('crew');
    await worker.runUntil(async () => {
      const plan = await startPlan(taskQueue);
      await approvePlan(plan);
      const crew = ctx.client.workflow.getHandle('region-failover/crew');
      await waitForStatus(crew, (s) => s.state === 'needs-intervention', 60_000);
      await waitForStatus(plan, (s) => membersOf(s).checkin?.state === 'succeeded', 60_000);

      await plan.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'stop here; crew stays in A' }] });
      const result = (await plan.result()) as PlanResult;
      expect(result.state).toBe('aborted');
      expect(statesOf(result)).toEqual({ booking: 'succeeded', checkin: 'succeeded', crew: 'aborted', flightStatus: 'not-started' });

      // The crew member checked the plan's abort itself and ran its undo; its trail says who aborted and through what.
      const crewStatus = (await crew.result()) as RunStatus;
      expect(crewStatus.state).toBe('aborted');
      expect(crewStatus.audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'plan-abort', detail: 'passed on by plan run plan/evacuate-region/A' }),
          expect.objectContaining({ actor: 'alice', action: 'abort', verified: expect.objectContaining({ fingerprint: expect.stringMatching(/^SHA256:/) }) }),
        ]),
      );
      // flight-status was never started by this plan.
      const flightStatusRuns = await countRuns('region-failover/flight-status', result.startedAt);
      expect(flightStatusRuns).toBe(0);
    });
    expect(active()).toEqual({ booking: 'B', checkin: 'B', crew: 'A', 'flight-status': 'A' });
  },
);

test(
  'a service held by a run outside the plan: the member waits for an operator, told which run holds it, and a retry after that run ends moves it',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    await worker.runUntil(async () => {
      const standalone = await ctx.client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: 'region-failover/crew',
        args: [{ input: { service: 'crew', mode: 'emergency' }, requestedBy: 'erin' }],
      });
      await waitForStatus(standalone, (s) => s.state === 'waiting-approval', 60_000);
      const plan = await startPlan(taskQueue);
      await approvePlan(plan);
      const asking = await waitForStatus(plan, (s) => s.state === 'needs-intervention', 60_000);
      expect(asking.intervention?.step).toBe('crew');
      expect(asking.intervention?.error).toContain('region-failover/crew is already running, started outside this plan');
      expect(membersOf(asking).crew).toMatchObject({ state: 'needs-operator' });
      // The others went on; flight-status waits for crew.
      await waitForStatus(plan, (s) => membersOf(s).checkin?.state === 'succeeded', 60_000);
      expect(membersOf(await plan.query(statusQuery)).flightStatus?.state).toBe('waiting');

      await standalone.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'the plan moves crew' }] });
      await standalone.result();
      await plan.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'alice' }] });
      const result = (await plan.result()) as PlanResult;
      expect(result.state, result.outcome).toBe('succeeded');
      expect(statesOf(result)).toEqual({ booking: 'succeeded', checkin: 'succeeded', crew: 'succeeded', flightStatus: 'succeeded' });
    });
    expect(active()).toEqual({ booking: 'B', checkin: 'B', crew: 'B', 'flight-status': 'B' });
  },
);

test('a worker killed with SIGKILL mid-plan: a new worker resumes the plan, and no member is started twice', { timeout: 240_000 }, async () => {
  const taskQueue = testTaskQueue();
  const first = await startWorkerProcess(ctx, { taskQueue, targetsPath, env: { LIFEBOAT_TEST_STALL_AFTER: 'setActiveBackend' } });
  workers.push(first);
  const plan = await startPlan(taskQueue);
  const stalled = new Promise<void>((done) => first.stdout!.on('data', (d: Buffer) => d.toString().includes('stalled setActiveBackend') && done()));
  await approvePlan(plan);
  // A member switched its traffic and the worker died before Temporal heard of it.
  await stalled;
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  workers.push(await startWorkerProcess(ctx, { taskQueue, targetsPath }));
  const result = (await plan.result()) as PlanResult;
  expect(result.state, result.outcome).toBe('succeeded');
  expect(statesOf(result)).toEqual({ booking: 'succeeded', checkin: 'succeeded', crew: 'succeeded', flightStatus: 'succeeded' });
  for (const view of Object.values(result.output!)) expect(await countRuns(view.runId, result.startedAt), view.runId).toBe(1);
  expect(active()).toEqual({ booking: 'B', checkin: 'B', crew: 'B', 'flight-status': 'B' });
});

test(
  'forged plan decisions move nothing: a member started outside the plan with a copied approval, plan aborts from another run, an unsigned approval through the stock CLI, and borrowed workflow IDs',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    await worker.runUntil(async () => {
      // A real plan run, approved by three people: its first member's start carries the plan's start and approval. The
      // members it starts first stop at their preflight, so the real plan moves nothing either.
      putInMaintenance('booking');
      putInMaintenance('crew');
      const plan = await startPlan(taskQueue);
      await approvePlan(plan);
      const booking = ctx.client.workflow.getHandle('region-failover/booking');
      await waitForStatus(booking, (s) => s.state === 'needs-intervention', 60_000);
      const history = await booking.fetchHistory();
      const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
      const copied = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString()) as { planApproval?: unknown[]; start?: unknown };
      expect(copied.planApproval).toHaveLength(3);
      const crew = ctx.client.workflow.getHandle('region-failover/crew');
      await waitForStatus(crew, (s) => s.state === 'needs-intervention', 60_000);

      // A plan's abort that is not one: typed into the stock CLI unsigned, and a real signature on an abort of the
      // member's own run (not its plan's). Each is refused and counted; the member still waits for its operator.
      const sendPlanAbort = (payload: unknown) =>
        temporalCli(
          ['workflow', 'signal', '--workflow-id', 'region-failover/booking', '--name', 'plan-abort', '--input', JSON.stringify(payload)],
          ctx.address,
        );
      expect((await sendPlanAbort({ by: 'alice', reason: 'stop' })).code).toBe(0);
      const ownRun = signAs(decisionStatement(await booking.query(statusQuery), 'abort', 'alice', {}));
      expect((await sendPlanAbort(ownRun)).code).toBe(0);
      const refusedAborts = await waitForStatus(booking, (s) => (s.refused?.count ?? 0) >= 2, 30_000);
      expect(refusedAborts.state).toBe('needs-intervention');
      expect(refusedAborts.abortRequested).toBeUndefined();
      expect(refusedAborts.refused?.lastReason).toContain('not an abort of plan run plan/evacuate-region/A');

      await plan.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice' }] });
      await plan.result();
      await booking.result();
      await crew.result();

      // An insider starts crew's failover by hand with the copied start and approval, as if the plan had started it.
      const forged = JSON.stringify({
        input: { service: 'crew', mode: 'emergency' },
        requestedBy: 'alice',
        start: copied.start,
        planApproval: copied.planApproval,
      });
      const started2 = await temporalCli(
        ['workflow', 'start', '--type', 'regionFailover', '--task-queue', taskQueue, '--workflow-id', 'region-failover/crew', '--input', forged],
        ctx.address,
      );
      expect(started2.code, started2.stderr).toBe(0);
      const refused = (await ctx.client.workflow
        .getHandle('region-failover/crew')
        .result()
        .catch((err: Error) => err)) as Error;
      expect(refused).toBeInstanceOf(Error);
      const crewStatus = await ctx.client.workflow.getHandle('region-failover/crew').query(statusQuery);
      expect(crewStatus.state).toBe('failed');
      expect(crewStatus.outcome).toContain("a plan's approval only counts in a run its plan started");

      // An approval typed by hand into the stock CLI, no signature: refused and counted, the plan's gate still waits.
      const second = await startPlan(taskQueue);
      const signal = await temporalCli(
        ['workflow', 'signal', '--workflow-id', 'plan/evacuate-region/A', '--name', 'approve', '--input', JSON.stringify({ by: 'bob', gate: 'approve-plan' })],
        ctx.address,
      );
      expect(signal.code, signal.stderr).toBe(0);
      const after = await waitForStatus(second, (s) => (s.refused?.count ?? 0) > 0, 30_000);
      expect(after.state).toBe('waiting-approval');
      expect(after.gates.find((g) => g.name === 'approve-plan')?.votes).toEqual([]);
      expect(after.refused?.lastReason).toContain('not a signed decision');
      await second.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice' }] });
      await second.result();

      // Borrowed workflow IDs: the plan's type under a member's ID, and a runbook's type under a plan's ID.
      const borrowed = async (type: string, workflowId: string, request: unknown) => {
        const startedByHand = await temporalCli(
          ['workflow', 'start', '--type', type, '--task-queue', taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify(request)],
          ctx.address,
        );
        expect(startedByHand.code, startedByHand.stderr).toBe(0);
        const err = (await ctx.client.workflow
          .getHandle(workflowId)
          .result()
          .catch((e: Error) => e)) as Error & { cause?: Error };
        return String(err.cause?.message ?? err.message);
      };
      expect(
        await borrowed('recoveryPlan', 'region-failover/flight-status', {
          input: { from: 'A', to: 'B', mode: 'planned' },
          requestedBy: 'alice',
          start: copied.start,
        }),
      ).toContain('names no recovery plan');
      expect(
        await borrowed('regionFailover', 'plan/evacuate-region/B', { input: { service: 'crew', mode: 'planned' }, requestedBy: 'alice', start: copied.start }),
      ).toContain('its input makes it region-failover on crew');
    });
    // Nothing moved: the real members stopped at their preflight, the forged one was refused at start.
    expect(active()).toEqual({ booking: 'A', checkin: 'A', crew: 'A', 'flight-status': 'A' });
  },
);

/** How many runs of a workflow ID started since `since`, as Temporal lists them. */
async function countRuns(workflowId: string, since: string): Promise<number> {
  let count = 0;
  for await (const run of ctx.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) if (run.startTime.getTime() >= Date.parse(since) - 1000) count++;
  return count;
}
