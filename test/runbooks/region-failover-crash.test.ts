import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { countLostBookings } from '../../estate/load';
import type { TestEstate } from '../../estate/testing';
import { interveneUpdate, type RunResult, type RunStatus } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { printed, startWorkerProcess } from '../helpers/worker-process';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { approveByLeads, estateSnapshot, loadThroughBalancer, moreBookings, sql as sqlOn } from './region-helpers';

/** Not the product's `region-failover/booking`: other test files run that one at the same time on the same server. */
const runId = 'region-failover/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  ({ ctx, estate } = await openRunbookSuite({ fleetHosts: 4 }, 'region-crash'));
});
afterEach(() => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
});
afterAll(() => closeRunbookSuite({ ctx, estate }, [runId]));

/** Starts a worker process on the estate's targets and keeps it for the after-each kill. */
async function startWorker(taskQueue: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = await startWorkerProcess(ctx, { taskQueue, targetsPath: join(estate.dir, 'lifeboat.targets.json'), env });
  workers.push(child);
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

const sql = <T>(region: 'A' | 'B', text: string) => sqlOn<T>(estate.catalog, region, text);

const step = (s: RunStatus, name: string) => s.steps.filter((x) => x.name === name).at(-1);

// First in the file: it needs the estate as it started, and an abort leaves it so.
test('a worker killed inside the fence, after the fence took effect: an abort still lifts it, and the estate ends as it started', async () => {
  const taskQueue = testTaskQueue();
  const before = await estateSnapshot(estate.catalog);
  expect(before).toMatchObject({ active: 'A', A: { role: 'primary', fenced: false }, B: { role: 'standby' } });
  const handle = await ctx.client.workflow.start('regionFailover', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { service: 'booking', mode: 'planned', catchUpTimeoutSeconds: 5 }, requestedBy: 'alice' }],
  });
  let worker = await startWorker(taskQueue, { LIFEBOAT_TEST_STALL_AFTER: 'fenceDatabase' });
  const fenceStalled = printed(worker, 'stalled fenceDatabase');
  try {
    await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
    // The standby is held back and the primary writes once more, so the run waits in catch-up, before promotion.
    await sql('B', 'SELECT pg_wal_replay_pause()');
    const booked = await fetch(`${estate.catalog.loadBalancer!.clientUrl}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idempotencyKey: `ahead-${taskQueue}`, flight: 'LB901', seat: '1A', passenger: 'Ahead' }),
    });
    expect(booked.status).toBe(201);
    await approveByLeads(handle);
    await fenceStalled;
    expect((await estateSnapshot(estate.catalog)).A.fenced).toBe(true);
    await killHard(worker);

    worker = await startWorker(taskQueue);
    // The dead attempt times out; the retry on the new worker finds the source fenced already, by the dead one.
    const waiting = await waitForStatus(handle, (s) => s.currentStep === 'catchUp', 90_000);
    expect(step(waiting, 'fence')).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(waiting.details.sourceFence).toMatchObject({ fenced: true, alreadyFenced: true });
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'bob', reason: 'the fence crashed; back to where we were' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.compensation).toEqual([
      { step: 'fence', status: 'succeeded' },
      { step: 'drain', status: 'succeeded' },
    ]);
  } finally {
    await sql('B', 'SELECT pg_wal_replay_resume()');
  }
  // The undo restored what was there before the fence step, not what its retry saw.
  expect(await estateSnapshot(estate.catalog)).toEqual(before);
}, 180_000);

test('a worker killed during the catch-up wait and again right after promotion: the run finishes, promoting and switching once', async () => {
  const taskQueue = testTaskQueue();
  const handle = await ctx.client.workflow.start('regionFailover', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 }, requestedBy: 'alice' }],
  });
  const load = loadThroughBalancer(estate.catalog);
  try {
    let worker = await startWorker(taskQueue);
    await moreBookings(load, 20);
    await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
    // Hold the standby back so the run is certain to be waiting for it when the worker dies.
    await sql('B', 'SELECT pg_wal_replay_pause()');
    await approveByLeads(handle);
    await waitForStatus(handle, (s) => s.currentStep === 'catchUp', 30_000);
    await new Promise((r) => setTimeout(r, 500));
    await killHard(worker);

    worker = await startWorker(taskQueue);
    // The dead attempt times out on its heartbeat; the kit retries the wait on the new worker.
    await waitForStatus(handle, (s) => (step(s, 'catchUp')?.attempts ?? 0) >= 2, 60_000);
    await sql('B', 'SELECT pg_wal_replay_resume()');
    await waitForStatus(handle, (s) => step(s, 'promote')?.status === 'succeeded', 60_000);
    await killHard(worker);

    worker = await startWorker(taskQueue);
    const result = (await handle.result()) as RunResult<SwitchResult>;
    expect(result.state).toBe('succeeded');
    console.log(result.steps.map((s) => `${s.name}: ${s.attempts} attempt(s), ${s.durationMs} ms${s.lastError ? ` (${s.lastError})` : ''}`).join('\n'));
    expect(result.steps.filter((s) => s.name === 'promote')).toHaveLength(1);
    expect(result.steps.filter((s) => s.name === 'switchTraffic')).toHaveLength(1);
    expect(step(result, 'catchUp')).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(step(result, 'catchUp')!.lastError).toMatch(/heartbeat/i);

    await moreBookings(load, 10);
    await load.stop();
    const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());
    expect(lost.lost).toBe(0);
    expect(load.counters().outages).toHaveLength(1); // traffic moved once and never flapped back
  } finally {
    await load.stop();
  }
  // One promotion: region B left timeline 1 exactly once.
  const timelines = await sql<{ name: string }>('B', `SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history' ORDER BY name`);
  expect(timelines.map((t) => t.name)).toEqual(['00000002.history']);
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { fenced: true }, B: { role: 'primary', mode: 'normal' } });
}, 180_000);
