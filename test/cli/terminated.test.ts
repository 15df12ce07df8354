import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConsoleApi } from '../../cli/console/api';
import type { RunReport } from '../../cli/report/model';
import { shownStatus, stateShown, type ShownStatus } from '../../cli/run-outcome';
import type { RunStatus, StepRecord } from '../../kit';
import type { TestEstate } from '../../estate/testing';
import { lifeboatInProcess, temporalCli } from '../helpers/cli';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { approveByLeads, estateSnapshot, sql } from '../runbooks/region-helpers';

const runId = 'region-failover/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;
let targetsPath: string;

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ fleetHosts: 4 }, 'cli-terminated'));
});
afterAll(() => closeRunbookSuite({ ctx, estate }, [runId]));

const undosNotRun = [
  { step: 'fence', undo: 'Unfence the source database' },
  { step: 'drain', undo: 'Restore the source region at the load balancer' },
];

test('a failover terminated with the stock temporal CLI while it waits in catchUp shows as terminated everywhere, with its step, the undos that never ran and what to do next', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(
      ['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--set', 'catchUpTimeoutSeconds=240', '--as', 'alice'],
      env,
    );
    expect(started.stderr).toBe('');
    const handle = ctx.client.workflow.getHandle(runId);
    await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
    // B stops replaying and A takes one more booking: the standby can never catch up, so catchUp waits (fenced, drained).
    await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_pause()');
    try {
      const booked = await fetch(`${estate.catalog.loadBalancer!.clientUrl}/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idempotencyKey: `ahead-${taskQueue}`, flight: 'LB901', seat: '2A', passenger: 'Ahead' }),
      });
      expect(booked.status).toBe(201);
      await approveByLeads(handle);
      const waiting = await waitForStatus(handle, (s) => s.currentStep === 'catchUp' && s.steps.some((x) => x.name === 'fence' && x.status === 'succeeded'));
      expect(waiting.state).toBe('running');
      const terminated = await temporalCli(['workflow', 'terminate', '--workflow-id', runId, '--reason', 'standby stuck, giving up'], ctx.address);
      expect(terminated.code, terminated.stderr).toBe(0);
    } finally {
      await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_resume()');
    }
    // The hole the run leaves: A fenced and drained, nobody serves booking, and no undo ran.
    expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'A', A: { fenced: true, lbServer: 'DRAIN' }, B: { role: 'standby' } });

    const text = await lifeboatInProcess(['status', runId], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('state: terminated');
    expect(text.stdout).toMatch(/TERMINATED by Temporal at \S+ by \S+: standby stuck, giving up/);
    expect(text.stdout).toContain('it last said "running" and was in catchUp');
    expect(text.stdout).toContain('undos that never ran: fence (Unfence the source database), drain (Restore the source region at the load balancer)');
    expect(text.stdout).toContain('  1. check the estate now: lifeboat targets check --service booking; lifeboat readiness region-failover --target booking');
    expect(text.stdout).toContain(
      '  2. undo by hand, in this order: 1) fence: Unfence the source database; 2) drain: Restore the source region at the load balancer',
    );
    expect(text.stdout).toContain(
      '  3. then, if the service must still move: lifeboat run region-failover --set service=booking --set mode=planned --as <you>',
    );
    // No gate or abort hint for a run that can take no decision any more.
    expect(text.stdout).not.toContain('next: lifeboat approve');

    const json = await lifeboatInProcess(['status', runId, '--json'], env);
    const status = JSON.parse(json.stdout) as ShownStatus;
    expect(status.state).toBe('terminated');
    expect(status.endedByTemporal).toMatchObject({
      how: 'terminated',
      reason: 'standby stuck, giving up',
      by: expect.any(String),
      lastState: 'running',
      inStep: 'catchUp',
      undosNotRun,
      statusRead: true,
    });
    expect(status.outcome).toContain('undos never run: fence, drain');

    const list = await lifeboatInProcess(['list'], env);
    expect(list.stdout).toMatch(new RegExp(`${runId} +terminated +alice `));
    const listed = JSON.parse((await lifeboatInProcess(['list', '--json', '--state', 'terminated'], env)).stdout) as Record<string, string>[];
    expect(listed).toEqual([expect.objectContaining({ runId, state: 'terminated', lastState: 'running', temporalStatus: 'TERMINATED' })]);
    expect(JSON.parse((await lifeboatInProcess(['list', '--json', '--state', 'running'], env)).stdout)).toEqual([]);

    const report = JSON.parse((await lifeboatInProcess(['report', runId, '--format', 'json'], env)).stdout) as RunReport;
    expect(report.state).toBe('terminated');
    expect(report.endedByTemporal).toMatchObject({ inStep: 'catchUp', undosNotRun });
    const md = (await lifeboatInProcess(['report', runId], env)).stdout;
    expect(md).toContain('**terminated**: terminated by Temporal');
    expect(md).toContain('## Ended by Temporal, not by Lifeboat');
    expect(md).toContain('| fence | Unfence the source database |');
    expect(md).toContain('lifeboat run region-failover --set service=booking --set mode=planned --as &lt;you&gt;');

    const api = new ConsoleApi({ client: ctx.rawClient, namespace: ctx.namespace, taskQueue, rpId: 'localhost', drillControls: false });
    const page = JSON.parse(JSON.stringify(await api.run(runId))) as { status: ShownStatus };
    expect(page.status).toMatchObject({ state: 'terminated', endedByTemporal: { inStep: 'catchUp', undosNotRun } });
    expect(await api.runs({})).toEqual([expect.objectContaining({ runId, state: 'terminated' })]);
    await expect(api.prepareDecision(runId, { kind: 'abort', by: 'bob' })).rejects.toThrow(`${runId} was terminated by Temporal; it takes no decisions`);
  });

  // With no worker to replay it, the state still comes from Temporal; the steps are then unknown and status says so.
  const alone = JSON.parse((await lifeboatInProcess(['status', runId, '--json'], env)).stdout) as ShownStatus;
  expect(alone).toMatchObject({ state: 'terminated', endedByTemporal: { how: 'terminated', statusRead: false, lastState: 'running' } });
  expect(alone.endedByTemporal!.next[0]).toMatch(/^no worker answered .* start a worker/);
}, 180_000);

test('a run that times out in Temporal while it waits for an operator shows as timed-out in status and list, in the step it waited in', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const id = `kit-exercise/timeout-${taskQueue}`;
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: id,
      workflowExecutionTimeout: '4 seconds',
      args: [{ input: { target: `timeout-${taskQueue}`, flakyFailures: 2 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await expect.poll(async () => (await handle.describe()).status.name, { timeout: 20_000 }).toBe('TIMED_OUT');
    const status = JSON.parse((await lifeboatInProcess(['status', id, '--json'], env)).stdout) as ShownStatus;
    expect(status.state).toBe('timed-out');
    // kit-exercise is a test runbook, outside the CLI's catalog: its undos are unknown here, and status says so.
    expect(status.endedByTemporal).toMatchObject({ how: 'timed-out', lastState: 'needs-intervention', inStep: 'flaky', statusRead: true });
    expect(status.endedByTemporal!.undosNotRun).toBeUndefined();
    const text = (await lifeboatInProcess(['status', id], env)).stdout;
    expect(text).toContain('TIMED OUT by Temporal');
    expect(text).toContain('undos that never ran: unknown here (the runbook is not in this CLI)');
    expect(text).not.toContain('next: lifeboat retry');
    const listed = JSON.parse((await lifeboatInProcess(['list', '--json', '--state', 'timed-out'], env)).stdout) as Record<string, string>[];
    expect(listed).toEqual([expect.objectContaining({ runId: id, state: 'timed-out', lastState: 'needs-intervention' })]);
  });
}, 60_000);

const at = (s: number) => new Date(Date.parse('2026-12-01T10:00:00.000Z') + s * 1000).toISOString();
const done = (name: string, from: number, status: StepRecord['status'] = 'succeeded'): StepRecord => ({
  name,
  title: name,
  kind: 'step',
  status,
  startedAt: at(from),
  ...(status === 'running' ? {} : { finishedAt: at(from + 1) }),
  attempts: 1,
});

/** A failback as its status last read: rebuilt, drained and fenced in B, promoted A, then stopped in `steps`' last. */
function failback(steps: StepRecord[], extra: Partial<RunStatus> = {}): RunStatus {
  return {
    runId: 'region-failback/booking',
    runbook: 'region-failback',
    title: 'Fail a service back to its home region',
    target: 'booking',
    state: 'running',
    requestedBy: 'alice',
    startedAt: at(0),
    updatedAt: at(60),
    currentStep: steps.find((x) => x.status === 'running')?.name,
    steps,
    gates: [],
    compensation: [],
    details: {},
    audit: [],
    ...extra,
  } as RunStatus;
}

test('a failback terminated in catchUp, with B drained and fenced, names both undos and the failback to run again', () => {
  const shown = shownStatus(
    { executionStatus: 'TERMINATED', closedAt: at(61), reason: 'oops', identity: 'mallory@laptop' },
    failback([
      done('resolve', 1),
      done('rebuild', 2),
      done('preflight', 3),
      done('assess', 4),
      done('drain', 5),
      done('fence', 6),
      done('catchUp', 7, 'running'),
    ]),
  );
  expect(shown.state).toBe('terminated');
  expect(shown.endedByTemporal).toMatchObject({ by: 'mallory@laptop', reason: 'oops', inStep: 'catchUp', undosNotRun: undosNotRun, statusRead: true });
  expect(shown.endedByTemporal!.next.at(-1)).toBe('then fail back again: lifeboat run region-failback --set service=booking --as <you>');
});

test('past the point of no return the undos before it are gone: a timed-out run names only later ones and the way back', () => {
  const shown = shownStatus(
    { executionStatus: 'TIMED_OUT', closedAt: at(61) },
    failback([done('drain', 5), done('fence', 6), done('catchUp', 7), done('promote', 8), done('measureLoss', 9), done('openTarget', 10, 'running')], {
      pointOfNoReturn: { step: 'promote', at: at(9), undoInstead: 'lifeboat run region-failover --set service=booking --set mode=planned' },
    }),
  );
  expect(shown.state).toBe('timed-out');
  expect(shown.endedByTemporal).toMatchObject({ how: 'timed-out', inStep: 'openTarget', undosNotRun: [] });
  expect(shown.endedByTemporal!.next).toContain(
    'the point of no return was passed after promote: to go back, lifeboat run region-failover --set service=booking --set mode=planned --as <you>',
  );
  expect(shown.endedByTemporal!.next).toContain(
    'or finish by hand what it had left, in order: openTarget (Switch the target service to read-write); switchTraffic (Point the load balancer at the target region); verify (Verify through the load balancer: a synthetic booking, then health green for the verify window); reprotect (Rebuild the region left behind as a standby of the new primary, so the next failover works); notify (Notify: RTO, RPO and each step’s timings)',
  );
  // An undo the run itself ran is not listed again; a run that had ended itself keeps its own state.
  const compensated = failback([done('drain', 5), done('fence', 6)], { compensation: [{ step: 'fence', status: 'succeeded' }] });
  expect(shownStatus({ executionStatus: 'TERMINATED' }, compensated).endedByTemporal!.undosNotRun).toEqual([undosNotRun[1]]);
  expect(stateShown('TERMINATED', 'aborted')).toBe('aborted');
  expect(stateShown('RUNNING', 'running')).toBe('running');
});
