import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { breakRegion, startEstate } from '../../estate/estate';
import { countLostBookings } from '../../estate/load';
import type { TestEstate } from '../../estate/testing';
import type { RunResult } from '../../workflows/kit';
import type { FailbackResult } from '../../workflows/region-failback';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { recordHistory } from '../helpers/histories';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { approveByLeads, estateSnapshot, expectOutagesWithin, loadThroughBalancer, moreBookings, sql } from './region-helpers';

let ctx: TemporalTestContext;
let estate: TestEstate;

beforeAll(async () => {
  ({ ctx, estate } = await openRunbookSuite({ fleetHosts: 4 }, 'region-failback'));
});
afterAll(() => closeRunbookSuite({ ctx, estate }, ['region-failover/booking-failback-test', 'region-failback/booking-failback-test']));

/**
 * Starts a run as alice, has both leads approve it, and returns its result. The workflow ids carry a suffix: the
 * failover test file runs `region-failover/booking` at the same time on the same server.
 */
async function approvedRun<T>(taskQueue: string, workflowType: string, input: object, name?: string): Promise<RunResult<T>> {
  const runbook = workflowType === 'regionFailover' ? 'region-failover' : 'region-failback';
  const handle: WorkflowHandle = await ctx.client.workflow.start(workflowType, {
    taskQueue,
    workflowId: `${runbook}/booking`,
    args: [{ input, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval' || s.state === 'needs-intervention' || s.state === 'failed', 120_000);
  await approveByLeads(handle);
  const result = (await handle.result()) as RunResult<T>;
  if (name) await recordHistory(handle, name);
  return result;
}

test('an isolated drill of failback is refused before anything is touched', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailback', {
      taskQueue,
      workflowId: 'region-failback/booking',
      args: [{ input: { service: 'booking' }, requestedBy: 'alice', drill: { kind: 'isolated' } }],
    });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toMatch(/^region-failback has no isolated drill: it rebuilds real databases/);
    expect(result.steps).toEqual([]);
  });
});

test('after an emergency failover, failback rebuilds region A, returns to it under load with nothing lost, and the next failover works', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    // The outage: region A breaks, and the service fails over to B.
    await breakRegion(estate.dir, 'A');
    const failover = await approvedRun<SwitchResult>(taskQueue, 'regionFailover', { service: 'booking', mode: 'emergency', verifyWindowSeconds: 1 });
    expect(failover.state).toBe('succeeded');

    // Region A comes back: its service and its database, which still thinks it is the primary.
    await startEstate({ dir: estate.dir });
    expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { role: 'primary' }, B: { role: 'primary' } });

    const load = loadThroughBalancer(estate.catalog);
    try {
      await moreBookings(load, 20);
      const failback = await approvedRun<FailbackResult>(
        taskQueue,
        'regionFailback',
        { service: 'booking', verifyWindowSeconds: 2 },
        'region-failback-after-emergency-signed',
      );
      expect(failback.state).toBe('succeeded');
      await moreBookings(load, 20);
      const counters = await load.stop();
      const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());

      const out = failback.output!;
      expect(lost.lost).toBe(0);
      expect(out).toMatchObject({ mode: 'planned', source: 'B', target: 'A', rpo: { bytes: 0, lostAcknowledgedBookings: 0 } });
      expect(out.rebuilt).toMatchObject({ region: 'A', method: 'pg_rewind' });
      expect(out.reprotected).toMatchObject({ region: 'B', method: expect.stringMatching(/^(pg_rewind|base-backup)$/) });
      expectOutagesWithin(counters, out.switchWindow);
      expect(failback.pointOfNoReturn).toMatchObject({ step: 'promote', undoInstead: 'lifeboat run region-failover --set service=booking --set mode=planned' });
      console.log(
        `failback: rebuilt A by ${out.rebuilt.method}, reprotected B by ${out.reprotected?.method}; switch window ${out.switchWindow.ms} ms, load downtime ${counters.downtimeMs} ms, ${lost.checked} bookings checked`,
      );
    } finally {
      await load.stop();
    }
    expect(await estateSnapshot(estate.catalog)).toMatchObject({
      active: 'A',
      A: { role: 'primary', fenced: false, mode: 'normal', lbServer: 'UP' },
      B: { role: 'standby', fenced: false },
    });

    // The estate is as it was before the outage, so a planned failover works again.
    const next = await approvedRun<SwitchResult>(taskQueue, 'regionFailover', { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 });
    expect(next.state).toBe('succeeded');
    expect(next.output).toMatchObject({ source: 'A', target: 'B', rpo: { bytes: 0, lostAcknowledgedBookings: 0 } });
  });
}, 300_000);

test('failback after a planned failover rewinds the fenced old primary and leaves no region fenced', async () => {
  // The previous test ends with a planned failover to B: A is a fenced primary that still runs, the usual drill state.
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { role: 'primary', fenced: true }, B: { role: 'primary', fenced: false } });
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const failback = await approvedRun<FailbackResult>(
      taskQueue,
      'regionFailback',
      { service: 'booking', verifyWindowSeconds: 1, incidentId: 'DRILL-7' },
      'region-failback-after-planned-signed',
    );
    expect(failback.state).toBe('succeeded');
    expect(failback.output).toMatchObject({
      source: 'B',
      target: 'A',
      incidentId: 'DRILL-7',
      rebuilt: { region: 'A', method: 'pg_rewind' },
      reprotected: { region: 'B' },
    });
  });
  expect(await estateSnapshot(estate.catalog)).toMatchObject({
    active: 'A',
    A: { role: 'primary', fenced: false, mode: 'normal' },
    B: { role: 'standby', fenced: false },
  });
  const timelines = await sql<{ name: string }>(estate.catalog, 'A', `SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history' ORDER BY name`);
  // Four promotions in this file (B, A, B, A), each exactly once, and A followed every one of them.
  expect(timelines.map((t) => t.name)).toEqual(['00000002.history', '00000003.history', '00000004.history', '00000005.history']);
}, 120_000);
