import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { breakRegion } from '../../estate/estate';
import { countLostBookings } from '../../estate/load';
import { stopRecorded } from '../../estate/processes';
import { estateLayout } from '../../estate/state-dir';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { interveneUpdate, rejectUpdate, statusQuery, type RunResult } from '../../kit';
import type { IsolatedDrillResult } from '../../workflows/region-failover-drill';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import type { RunReport } from '../../cli/report/model';
import type { PathPoint } from '../../cli/report/path';
import { lifeboatInProcess } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { approveByLeads, estateSnapshot, expectOutagesWithin, loadThroughBalancer, moreBookings, sql } from './region-helpers';
import { estateAdapters } from '../../dev/estate/adapters';

const runId = 'region-failover/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;

beforeAll(async () => {
  ({ ctx, estate } = await openRunbookSuite({ fleetHosts: 4 }, 'region-failover'));
});
afterAll(() => closeRunbookSuite({ ctx, estate }, [runId]));

const cli = (taskQueue: string, args: string[]) => lifeboatInProcess(args, { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });

test('an unknown service fails the run at once, with no operator to wait for, and leaves the estate as it was', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  const before = await estateSnapshot(estate.catalog);
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: 'region-failover/nosuch',
      args: [{ input: { service: 'nosuch', mode: 'planned' }, requestedBy: 'alice' }],
    });
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ state: 'failed', outcome: expect.stringMatching(/the targets file has no service "nosuch"; it has booking/) });
    expect(status.steps.every((s) => s.status !== 'needs-intervention')).toBe(true);
  });
  expect(await estateSnapshot(estate.catalog)).toEqual(before);
});

test('a rejection at the gate leaves the load balancer, the fencing and the modes as they were', async () => {
  const taskQueue = testTaskQueue();
  const before = await estateSnapshot(estate.catalog);
  expect(before).toMatchObject({ active: 'A', A: { role: 'primary', fenced: false, mode: 'normal' }, B: { role: 'standby' } });
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const started = await cli(taskQueue, ['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--as', 'alice']);
    expect(started.stderr).toBe('');
    expect(started.stdout).toContain(`started ${runId}`);
    const handle = ctx.client.workflow.getHandle(runId);
    const waiting = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    expect(waiting.details.regions).toMatchObject({ service: 'booking', source: 'A', target: 'B' });
    expect(waiting.details.dataAtRisk).toMatchObject({ sourceServiceAnswers: true, sourceDatabaseAnswers: true });
    expect(waiting.gates[0]).toMatchObject({ name: 'approve', quorum: 2, approvers: { groups: ['sre-leads'] }, eligible: ['bob', 'carol'] });
    await handle.executeUpdate(rejectUpdate, { args: [{ by: 'carol', comment: 'not during the bank run' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toBe('gate "approve" rejected by carol: not during the bank run');
    expect(result.steps.map((s) => s.name)).toEqual(['preflight', 'assess', 'approve:approvers']);
  });
  expect(await estateSnapshot(estate.catalog)).toEqual(before);
}, 90_000);

test('an abort while the standby cannot catch up unfences the source and restores it at the load balancer', async () => {
  const taskQueue = testTaskQueue();
  const before = await estateSnapshot(estate.catalog);
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { service: 'booking', mode: 'planned', catchUpTimeoutSeconds: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_pause()');
    try {
      // One more booking in A that B, paused, cannot replay: the fenced primary is now ahead of the standby.
      const booked = await fetch(`${estate.catalog.loadBalancer!.clientUrl}/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idempotencyKey: `ahead-${taskQueue}`, flight: 'LB900', seat: '1A', passenger: 'Ahead' }),
      });
      expect(booked.status).toBe(201);
      await approveByLeads(handle);
      const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
      expect(stuck.intervention).toMatchObject({ step: 'catchUp', options: ['retry', 'abort'] });
      expect(stuck.intervention!.error).toMatch(/region B has not replayed .* yet/);
      const during = await estateSnapshot(estate.catalog);
      expect(during).toMatchObject({ active: 'A', A: { fenced: true, lbServer: 'DRAIN' } });
      await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'bob', reason: 'standby stuck; stay in A' }] });
      const result = (await handle.result()) as RunResult;
      expect(result.state).toBe('aborted');
      expect(result.compensation).toEqual([
        { step: 'fence', status: 'succeeded' },
        { step: 'drain', status: 'succeeded' },
      ]);
      expect(result.pointOfNoReturn).toBeUndefined();
    } finally {
      await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_resume()');
    }
  });
  expect(await estateSnapshot(estate.catalog)).toEqual(before);
}, 90_000);

test('an abort puts the source back at the load balancer as it was before the run: in maintenance, where an operator had put it', async () => {
  const taskQueue = testTaskQueue();
  const traffic = estateAdapters(estate.catalog);
  await traffic.drainBackend({ region: 'A', state: 'maint' });
  try {
    const before = await estateSnapshot(estate.catalog);
    expect(before).toMatchObject({ active: 'A', A: { lbServer: 'MAINT', fenced: false } });
    const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { service: 'booking', mode: 'planned', catchUpTimeoutSeconds: 1 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_pause()');
      try {
        // Straight to region A, which the load balancer no longer sends anyone to: the standby is now behind.
        const booked = await fetch(`${estate.catalog.services.booking.regions.A.url}/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ idempotencyKey: `ahead-${taskQueue}`, flight: 'LB902', seat: '1A', passenger: 'Ahead' }),
        });
        expect(booked.status).toBe(201);
        await approveByLeads(handle);
        await waitForStatus(handle, (s) => s.state === 'needs-intervention');
        expect((await estateSnapshot(estate.catalog)).A.lbServer).toBe('DRAIN');
        await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'bob', reason: 'stay in A' }] });
        expect(((await handle.result()) as RunResult).state).toBe('aborted');
      } finally {
        await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_resume()');
      }
    });
    // Not "ready": an abort never puts back into rotation a server that was out of it before the run.
    expect(await estateSnapshot(estate.catalog)).toEqual(before);
  } finally {
    await traffic.drainBackend({ region: 'A', state: 'ready' });
    await expect.poll(async () => (await estateSnapshot(estate.catalog)).A.lbServer, { timeout: 10_000 }).toBe('UP');
  }
}, 90_000);

test('an isolated drill promotes and writes to a clone of the standby, and production never notices', async () => {
  const taskQueue = testTaskQueue();
  const before = await estateSnapshot(estate.catalog);
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  const load = loadThroughBalancer(estate.catalog);
  try {
    await moreBookings(load, 10);
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { service: 'booking', mode: 'planned' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
      });
      const result = (await handle.result()) as RunResult<IsolatedDrillResult>;
      expect(result.state).toBe('succeeded');
      await recordHistory(handle, 'region-failover-isolated-drill-signed');
      expect(result.steps.map((s) => s.name)).toEqual(['preflight', 'assess', 'drillClone', 'drillPromote', 'drillVerify', 'drillRemove']);
      expect(result.output).toMatchObject({ drill: 'isolated', source: 'A', target: 'B', clone: { removed: true, bookingId: expect.any(Number) } });
      expect(result.measurements).toMatchObject({ rtoSeconds: expect.any(Number), rpoBytes: expect.any(Number) });
      expect(result.gates[0]).toMatchObject({ status: 'approved', votes: [{ by: 'drill-policy' }] });
    });
    await moreBookings(load, 10);
    const counters = await load.stop();
    expect(counters.failures).toBe(0);
  } finally {
    await load.stop();
  }
  expect(await estateSnapshot(estate.catalog)).toEqual(before);
  expect(existsSync(join(estate.dir, 'drills')) ? readdirSync(join(estate.dir, 'drills')) : []).toEqual([]);
}, 90_000);

test('an isolated drill aborted halfway, once its clone exists, still removes the clone and leaves production as it was', async () => {
  const taskQueue = testTaskQueue();
  const before = await estateSnapshot(estate.catalog);
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { service: 'booking', mode: 'planned' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'people' } }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await approveByLeads(handle);
    const building = await waitForStatus(handle, (s) => s.steps.some((x) => x.name === 'drillClone'));
    expect(building.state).toBe('running');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'bob', reason: 'drill called off' }] });
    const result = (await handle.result()) as RunResult<IsolatedDrillResult>;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toBe('aborted by bob: drill called off');
    expect(result.steps.find((x) => x.name === 'drillClone')?.status).toBe('succeeded');
    expect(result.compensation).toEqual([{ step: 'drillClone', status: 'succeeded' }]);
    expect(result.details.drillResult).toEqual({ failed: [expect.stringMatching(/^the run ended aborted/)] });
  });
  expect(await estateSnapshot(estate.catalog)).toEqual(before);
  expect(existsSync(join(estate.dir, 'drills')) ? readdirSync(join(estate.dir, 'drills')) : []).toEqual([]);
}, 90_000);

test('a planned failover under load loses no acknowledged booking and reports the switch window', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  const load = loadThroughBalancer(estate.catalog);
  try {
    await moreBookings(load, 20);
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { service: 'booking', mode: 'planned', incidentId: 'INC-4', verifyWindowSeconds: 2 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      await approveByLeads(handle);
      const result = (await handle.result()) as RunResult<SwitchResult>;
      expect(result.state).toBe('succeeded');
      await recordHistory(handle, 'region-failover-planned-signed');
      await moreBookings(load, 20);
      const counters = await load.stop();
      const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());

      expect(lost).toMatchObject({ lost: 0 });
      expect(lost.checked).toBeGreaterThanOrEqual(40);
      const out = result.output!;
      expect(out).toMatchObject({ service: 'booking', mode: 'planned', source: 'A', target: 'B', incidentId: 'INC-4' });
      expect(out.rpo).toEqual({ bytes: 0, seconds: 0, lostAcknowledgedBookings: 0 });
      expect(out.switchWindow.ms).toBeGreaterThan(0);
      expect(out.switchWindow.ms).toBeLessThan(15_000);
      expectOutagesWithin(counters, out.switchWindow);
      expect(result.measurements).toMatchObject({ rpoBytes: 0, rpoWrites: 0, rpoSeconds: 0, rtoSeconds: out.rto.fromStartSeconds });
      expect(result.pointOfNoReturn).toMatchObject({ step: 'promote', undoInstead: 'lifeboat run region-failback --set service=booking' });
      expect(out.stepTimings.map((s) => s.step)).toEqual([
        'preflight',
        'assess',
        'approve:approvers',
        'drain',
        'fence',
        'catchUp',
        'promote',
        'measureLoss',
        'openTarget',
        'switchTraffic',
        'verify',
        'notify',
      ]);
      expect(result.steps.every((s) => s.status === 'succeeded' && s.attempts === 1)).toBe(true);
      console.log(
        `planned failover: switch window ${out.switchWindow.ms} ms, load downtime ${counters.downtimeMs} ms, ${counters.failures} failed requests, RTO ${out.rto.fromStartSeconds}s (${out.rto.fromApprovalSeconds}s from approval)`,
      );
    });
  } finally {
    await load.stop();
  }
  expect(await estateSnapshot(estate.catalog)).toMatchObject({
    active: 'B',
    A: { role: 'primary', fenced: true, lbServer: 'DRAIN' },
    B: { role: 'primary', fenced: false, mode: 'normal', lbServer: expect.stringMatching(/^UP/) },
  });
}, 120_000);

test('an emergency failover after region A breaks serves from B, reports the RPO the load counter saw, and refuses a second start', async () => {
  const emergency = await startTestEstate({ fleetHosts: 4 });
  const taskQueue = testTaskQueue();
  try {
    const { worker } = await createTestWorker(ctx, taskQueue, {}, join(emergency.dir, 'lifeboat.targets.json'));
    const load = loadThroughBalancer(emergency.catalog, 40);
    try {
      await moreBookings(load, 40);
      await breakRegion(emergency.dir, 'A');
      const detectedAt = new Date().toISOString();
      await worker.runUntil(async () => {
        const handle = await ctx.client.workflow.start('regionFailover', {
          taskQueue,
          workflowId: runId,
          args: [{ input: { service: 'booking', mode: 'emergency', detectedAt, verifyWindowSeconds: 2 }, requestedBy: 'alice' }],
        });
        const waiting = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
        expect(waiting.details.dataAtRisk).toMatchObject({ sourceServiceAnswers: false, sourceDatabaseAnswers: false, lagBytes: null });
        // While the run waits, the path already starts at the detection its input gave.
        const live = JSON.parse((await cli(taskQueue, ['status', runId, '--json'])).stdout) as { path: PathPoint[] };
        expect(live.path.map((p) => p.milestone)).toEqual(['detected', 'run started', 'gate opened']);
        expect(live.path[0]).toMatchObject({ at: detectedAt, elapsedSeconds: 0 });

        const again = await cli(taskQueue, ['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=emergency', '--as', 'erin']);
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(/^error: region-failover\/booking is already running \(started by alice at .*, now waiting-approval\)/);

        await approveByLeads(handle);
        const result = (await handle.result()) as RunResult<SwitchResult>;
        expect(result.state).toBe('succeeded');
        await recordHistory(handle, 'region-failover-emergency-signed');
        await moreBookings(load, 20);
        const counters = await load.stop();
        const lost = await countLostBookings(emergency.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());

        const out = result.output!;
        expect(out).toMatchObject({ mode: 'emergency', source: 'A', target: 'B' });
        expect(out.rpo.lostAcknowledgedBookings).toBe(lost.lost);
        expect(out.rpo.bytes).toBeNull(); // region A's database never answered, so the WAL it kept is unknown
        expect(result.measurements?.rpoWrites).toBe(lost.lost);
        expect(out.rto.fromDetectionSeconds).toBeGreaterThanOrEqual(out.rto.fromStartSeconds);
        const report = JSON.parse((await cli(taskQueue, ['report', runId, '--format', 'json'])).stdout) as RunReport;
        expect(report.path.map((p) => p.milestone)).toEqual(['detected', 'run started', 'gate opened', 'approved', 'traffic restored', 'verified']);
        expect(report.path.at(-1)!.elapsedSeconds).toBeCloseTo(out.rto.fromDetectionSeconds!, 0);
        expect(report.objectives.find((c) => c.objective === 'rto')).toMatchObject({ countedFrom: 'detection', measuredSeconds: out.rto.fromDetectionSeconds });
        expect((await cli(taskQueue, ['status', runId])).stdout).toMatch(
          /path:\n {2}detected .*\n {2}run started .*\n {2}gate opened .*\n {2}approved .*\n {2}traffic restored .*\n {2}verified /,
        );
        expect(result.details.sourceFence).toMatchObject({ fenced: false });
        expect(result.steps.map((s) => s.name)).toContain('recordPosition');
        expect(result.steps.map((s) => s.name)).not.toContain('catchUp');
        console.log(
          `emergency failover: ${lost.lost} of ${lost.checked} acknowledged bookings lost, load downtime ${counters.downtimeMs} ms, RTO ${out.rto.fromDetectionSeconds}s from detection`,
        );
      });
    } finally {
      await load.stop();
    }
    const health = (await (await fetch(`${emergency.catalog.loadBalancer!.clientUrl}/health`)).json()) as { region: string; db: { writable: boolean } };
    expect(health).toMatchObject({ region: 'B', db: { writable: true } });
    expect(await estateSnapshot(emergency.catalog)).toMatchObject({ active: 'B', A: { role: 'down' }, B: { role: 'primary', mode: 'normal' } });
  } finally {
    await emergency.stop();
  }
}, 180_000);

test('an emergency failover fences the source database when only its service is down, and measures the WAL it kept', async () => {
  const partial = await startTestEstate({ fleetHosts: 4 });
  const taskQueue = testTaskQueue();
  try {
    await stopRecorded(estateLayout(partial.dir).run, 'booking-A', 0);
    const { worker } = await createTestWorker(ctx, taskQueue, {}, join(partial.dir, 'lifeboat.targets.json'));
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { service: 'booking', mode: 'emergency', verifyWindowSeconds: 1 }, requestedBy: 'alice' }],
      });
      const waiting = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      expect(waiting.details.dataAtRisk).toMatchObject({ sourceServiceAnswers: false, sourceDatabaseAnswers: true, lagBytes: expect.any(Number) });
      await approveByLeads(handle);
      const result = (await handle.result()) as RunResult<SwitchResult>;
      expect(result.state).toBe('succeeded');
      expect(result.details.sourceFence).toMatchObject({ fenced: true, finalLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) });
      expect(result.output!.rpo).toMatchObject({ bytes: 0, seconds: 0 });
      expect(result.measurements).toMatchObject({ rpoBytes: 0 });
    });
    // The old primary answers but refuses writes, so nothing can split the brain when its service comes back.
    expect(await estateSnapshot(partial.catalog)).toMatchObject({ active: 'B', A: { role: 'primary', fenced: true }, B: { role: 'primary', fenced: false } });
  } finally {
    await partial.stop();
  }
}, 120_000);
