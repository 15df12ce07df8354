import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import type { PlanVerifyReport } from '../../cli/verify/plan-members';
import type { VerifyReport } from '../../cli/verify/check';
import { approveUpdate, interveneUpdate, type PlanMemberView, type RunResult, type RunStatus } from '../../kit';
import { lifeboatInProcess } from '../helpers/cli';
import { planServices, switchEstate, type SwitchEstate } from '../helpers/switch-estate';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * `lifeboat verify` on a recovery plan's run, against the test server: an evacuation of four services that keep no
 * data (each a traffic and service-mode switch over a state file, test/fixtures/command-estate.mjs), so each member
 * takes seconds. The plan verifies with every member run it started and each one's delegation from it.
 */
const planId = 'plan/evacuate-region/A';
type PlanResult = RunResult<Record<string, PlanMemberView>>;

let ctx: TemporalTestContext;
let estate: SwitchEstate;
let targetsPath: string;

beforeAll(async () => {
  ctx = await connectToTestServer('verify-plan');
  estate = switchEstate();
  targetsPath = estate.targetsPath;
});

beforeEach(() => estate.reset());

afterEach(async () => {
  for (const id of [planId, ...planServices.map((s) => `region-failover/${s}`)]) {
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

function verify(runId: string, taskQueue: string, json = true) {
  return lifeboatInProcess(['verify', runId, ...(json ? ['--json'] : [])], {
    TEMPORAL_ADDRESS: ctx.address,
    TEMPORAL_NAMESPACE: ctx.namespace,
    LIFEBOAT_TASK_QUEUE: taskQueue,
  });
}

/** The plan started by alice and approved by its three signers: two SRE leads and one of airline operations. */
async function startApprovedPlan(taskQueue: string): Promise<WorkflowHandle> {
  const plan = await ctx.client.workflow.start('recoveryPlan', {
    taskQueue,
    workflowId: planId,
    args: [{ input: { from: 'A', to: 'B', mode: 'emergency' }, requestedBy: 'alice' }],
  });
  await waitForStatus(plan, (s) => s.state === 'waiting-approval', 60_000);
  for (const by of ['bob', 'carol', 'dave']) await plan.executeUpdate(approveUpdate, { args: [{ by }] });
  return plan;
}

test(
  'an evacuation verifies with its four member runs, each delegated by the plan run; a member started by hand with a copied delegation is refused at start and fails verify, and the plan still verifies',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    await worker.runUntil(async () => {
      const plan = await startApprovedPlan(taskQueue);
      const result = (await plan.result()) as PlanResult;
      expect(result.state, result.outcome).toBe('succeeded');

      const verified = await verify(planId, taskQueue);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      const report = JSON.parse(verified.stdout) as PlanVerifyReport;
      expect(report.ok).toBe(true);
      expect(report.decisions.filter((d) => d.result === 'verified').map((d) => d.signer)).toEqual(['alice', 'bob', 'carol', 'dave']);
      expect(report.members.map((m) => [m.member, m.runId, m.ok, m.delegation?.signers])).toEqual([
        ['booking', 'region-failover/booking', true, ['bob', 'carol', 'dave']],
        ['checkin', 'region-failover/checkin', true, ['bob', 'carol', 'dave']],
        ['crew', 'region-failover/crew', true, ['bob', 'carol', 'dave']],
        ['flightStatus', 'region-failover/flight-status', true, ['bob', 'carol', 'dave']],
      ]);
      for (const m of report.members) {
        expect(m.temporalRunId).toBe(result.output![m.member]!.temporalRunId);
        expect(m.delegation?.delegatedGates.length).toBeGreaterThan(0);
      }
      const text = await verify(planId, taskQueue, false);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        `== member booking (region-failover): region-failover/booking (Temporal run ${result.output!.booking!.temporalRunId}), succeeded`,
      );
      expect(text.stdout).toContain(`OK: ${planId} verifies, and so do the 4 member runs it started, each delegated by this plan run.`);

      // From a history file alone, the plan's own decisions verify, but its members cannot be checked.
      const file = join(estate.dir, 'plan-history.json');
      writeFileSync(file, historyToJSON(await plan.fetchHistory()));
      const offline = await lifeboatInProcess(['verify', planId, '--history', file, '--json'], { TEMPORAL_NAMESPACE: ctx.namespace });
      expect(offline.code, offline.stderr).toBe(1);
      const offlineReport = JSON.parse(offline.stdout) as PlanVerifyReport;
      expect(offlineReport.decisions.every((d) => d.result === 'verified')).toBe(true);
      expect(offlineReport.problems).toContainEqual(
        `member booking (region-failover/booking (run ${result.output!.booking!.temporalRunId})): its run is not in the history file: verify the plan against the server, without --history, to check its members and their delegations`,
      );

      // A member verified on its own is checked against the plan run that started it, too.
      const alone = await verify('region-failover/crew', taskQueue);
      expect(alone.code, alone.stdout).toBe(0);

      // The booking member's start, approvals and all, copied into a run nobody's plan started: refused before it moved anything.
      const booking = await ctx.client.workflow.getHandle('region-failover/booking', result.output!.booking!.temporalRunId).fetchHistory();
      const copied = await ctx.client.options.loadedDataConverter.payloadConverter.fromPayload(
        booking.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
      );
      const forged = await ctx.rawClient.workflow.start('regionFailover', { taskQueue, workflowId: 'region-failover/booking', args: [copied] });
      await expect(forged.result()).rejects.toThrow();
      const refused = await verify('region-failover/booking', taskQueue);
      expect(refused.code).toBe(1);
      expect((JSON.parse(refused.stdout) as VerifyReport).problems).toContainEqual(
        expect.stringMatching(/^the run refused to go on \(DecisionRefused\): start refused: a plan's approval only counts in a run its plan started/),
      );
      expect(estate.read('booking')).toMatchObject({ active: 'B' });
      // The plan's member is the run the plan started, not the newer one under the same ID.
      expect((await verify(planId, taskQueue)).code).toBe(0);
    });
  },
);

test(
  "a plan aborted while a member waits for an operator verifies: the member's undo ran on the plan's signed abort, which it checked itself",
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    // Region B of crew is in maintenance: its failover's preflight waits for an operator.
    estate.putInMaintenance('crew');
    await worker.runUntil(async () => {
      const plan = await startApprovedPlan(taskQueue);
      await waitForStatus(ctx.client.workflow.getHandle('region-failover/crew'), (s: RunStatus) => s.state === 'needs-intervention', 60_000);
      await plan.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'crew stays in A' }] });
      const result = (await plan.result()) as PlanResult;
      expect(result.state).toBe('aborted');

      const verified = await verify(planId, taskQueue);
      const report = JSON.parse(verified.stdout) as PlanVerifyReport;
      expect(report.problems).toEqual([]);
      expect(verified.code).toBe(0);
      const crew = report.members.find((m) => m.member === 'crew')!;
      expect(crew).toMatchObject({ state: 'aborted', ok: true });
      expect(report.members.find((m) => m.member === 'flightStatus')).toMatchObject({ state: 'not-started', ok: true });
    });
  },
);

test(
  'a member the plan started twice (its first run aborted, then retried) verifies run by run: both runs the plan started are checked',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    const setCrewB = (serving: string) => estate.setServingInB('crew', serving);
    setCrewB('maint');
    await worker.runUntil(async () => {
      const plan = await startApprovedPlan(taskQueue);
      const crew = ctx.client.workflow.getHandle('region-failover/crew');
      await waitForStatus(crew, (s: RunStatus) => s.state === 'needs-intervention', 60_000);
      await crew.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'B is in maintenance' }] });
      await waitForStatus(plan, (s) => s.state === 'needs-intervention', 60_000);
      setCrewB('ready');
      await plan.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'alice' }] });
      const result = (await plan.result()) as PlanResult;
      expect(result.state, result.outcome).toBe('succeeded');

      const verified = await verify(planId, taskQueue);
      const report = JSON.parse(verified.stdout) as PlanVerifyReport;
      expect(report.problems).toEqual([]);
      expect(verified.code).toBe(0);
      const crewRuns = report.members.filter((m) => m.member === 'crew');
      expect(crewRuns.map((m) => [m.state, m.report?.state, m.ok])).toEqual([
        ['retried', 'aborted', true],
        ['succeeded', 'succeeded', true],
      ]);
      expect(crewRuns[1]!.temporalRunId).toBe(result.output!.crew!.temporalRunId);
    });
  },
);

test('a plan aborted at its gate verifies with no member run to check: the plan started none', { timeout: 120_000 }, async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const plan = await ctx.client.workflow.start('recoveryPlan', {
      taskQueue,
      workflowId: planId,
      args: [{ input: { from: 'A', to: 'B', mode: 'planned' }, requestedBy: 'alice' }],
    });
    await waitForStatus(plan, (s) => s.state === 'waiting-approval', 60_000);
    await plan.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'region A recovered' }] });
    expect(((await plan.result()) as PlanResult).state).toBe('aborted');

    const verified = await verify(planId, taskQueue);
    const report = JSON.parse(verified.stdout) as PlanVerifyReport;
    expect(report.problems).toEqual([]);
    expect(verified.code).toBe(0);
    expect(report.decisions.map((d) => [d.signer, d.kind, d.result])).toEqual([
      ['alice', 'start', 'verified'],
      ['erin', 'abort', 'verified'],
    ]);
    expect(report.members).toEqual([]);
    const text = await verify(planId, taskQueue, false);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`OK: ${planId} verifies; it started no member run.`);
  });
});
