import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  checkLostWrites,
  checkReportNumbers,
  checkTrafficOneRegion,
  recordedRpoOf,
  reportedOutage,
  startChaosLoad,
  watchPrimaries,
  type ChaosLoad,
} from '../../chaos/invariants';
import type { RunReport } from '../../cli/report/model';
import { breakRegion } from '../../estate/estate';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import type { RunResult } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { approveByLeads, sql } from '../runbooks/region-helpers';

/**
 * The checkers against real failovers with no fault injected: a correct run must pass every one of them, or the
 * chaos suite would cry wolf. Each failover has an estate of its own, as each leaves it switched.
 */
const runId = 'region-failover/booking';
let ctx: TemporalTestContext;

beforeAll(async () => {
  ctx = await connectToTestServer('default');
});
afterAll(() => ctx?.close());

/** Waits until the load has had `count` more requests answered. */
async function flowing(load: ChaosLoad, count: number): Promise<void> {
  const target = load.acknowledged() + count;
  await expect.poll(() => load.acknowledged(), { timeout: 30_000 }).toBeGreaterThanOrEqual(target);
}

/** Runs region-failover on `estate` with the leads' approval; returns its result and the report `lifeboat report --format json` prints. */
async function failover(estate: TestEstate, input: object): Promise<{ result: RunResult<SwitchResult>; report: RunReport }> {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  return worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { service: 'booking', verifyWindowSeconds: 2, ...input }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
    await approveByLeads(handle);
    const result = (await handle.result()) as RunResult<SwitchResult>;
    const printed = await lifeboatInProcess(['report', runId, '--format', 'json'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
    return { result, report: JSON.parse(printed.stdout) as RunReport };
  });
}

test('a planned failover under load: one writable primary throughout, traffic in B, nothing lost, and a report that matches the load', async () => {
  const estate = await startTestEstate({ fleetHosts: 2 });
  try {
    const watch = watchPrimaries(estate.catalog);
    const load = startChaosLoad(estate.catalog, ['booking']);
    await flowing(load, 10);
    const { result, report } = await failover(estate, { mode: 'planned' });
    expect(result.state).toBe('succeeded');
    await flowing(load, 10);
    const measured = await load.measured();

    expect(await watch.stop()).toEqual([]);
    expect(watch.sampleCount()).toBeGreaterThan(0);
    expect(await checkTrafficOneRegion(estate.catalog, ['booking'])).toEqual([]);
    expect(checkLostWrites(measured, { mode: 'planned' })).toEqual([]);
    expect(reportedOutage(report)).toBeDefined();
    expect(checkReportNumbers(report, measured)).toEqual([]);
    console.log(`planned: report outage ${JSON.stringify(reportedOutage(report))}, load outages ${JSON.stringify(measured[0]!.outages)}`);
  } finally {
    await estate.stop();
  }
}, 180_000);

test('an emergency failover after region A breaks: it loses no more than it recorded, and its report matches the load', async () => {
  const estate = await startTestEstate({ fleetHosts: 2 });
  try {
    const load = startChaosLoad(estate.catalog, ['booking'], { ratePerSecond: 20 });
    await flowing(load, 20);
    // The fault's time is the detection the run is given: from then on clients had no service.
    const detectedAt = new Date().toISOString();
    await breakRegion(estate.dir, 'A');
    const { result, report } = await failover(estate, { mode: 'emergency', detectedAt });
    expect(result.state).toBe('succeeded');
    await flowing(load, 10);
    const measured = await load.measured();

    expect(await checkTrafficOneRegion(estate.catalog, ['booking'])).toEqual([]);
    expect(checkLostWrites(measured, { mode: 'emergency', recordedRpo: [recordedRpoOf(report)] })).toEqual([]);
    expect(checkReportNumbers(report, measured)).toEqual([]);
    console.log(
      `emergency: ${measured[0]!.lost} lost (report ${report.measurements.rpoWrites}), reaching back ${measured[0]!.lostSeconds} s ` +
        `(report ${report.measurements.rpoSeconds} s); report outage ${JSON.stringify(reportedOutage(report))}, load outages ${JSON.stringify(measured[0]!.outages)}`,
    );
  } finally {
    await estate.stop();
  }
}, 180_000);

test('an emergency failover from a standby that stopped receiving: the writes it lost are exactly those it records, as far back as it records', async () => {
  const estate = await startTestEstate({ fleetHosts: 2 });
  try {
    const load = startChaosLoad(estate.catalog, ['booking'], { ratePerSecond: 20 });
    await flowing(load, 10);
    // B stops receiving WAL: every booking A acknowledges from now on is lost with A.
    await sql(estate.catalog, 'B', "ALTER SYSTEM SET primary_conninfo = ''");
    await sql(estate.catalog, 'B', 'SELECT pg_reload_conf()');
    await flowing(load, 20);
    const detectedAt = new Date().toISOString();
    await breakRegion(estate.dir, 'A');
    const { result, report } = await failover(estate, { mode: 'emergency', detectedAt });
    expect(result.state).toBe('succeeded');
    await flowing(load, 10);
    const measured = await load.measured();

    expect(measured[0]!.lost).toBeGreaterThanOrEqual(20);
    expect(report.measurements.rpoWrites).toBe(measured[0]!.lost);
    expect(checkLostWrites(measured, { mode: 'emergency', recordedRpo: [recordedRpoOf(report)] })).toEqual([]);
    expect(checkLostWrites(measured, { mode: 'planned' })).toHaveLength(1);
    expect(checkReportNumbers(report, measured)).toEqual([]);
    console.log(
      `emergency with loss: ${measured[0]!.lost} lost (report ${report.measurements.rpoWrites}), reaching back ${measured[0]!.lostSeconds} s ` +
        `(report ${report.measurements.rpoSeconds} s); report outage ${JSON.stringify(reportedOutage(report))}, load outages ${JSON.stringify(measured[0]!.outages)}`,
    );
  } finally {
    await estate.stop();
  }
}, 180_000);
