import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createNotifyActivities } from '../../activities/notify';
import type { RunReport } from '../../cli/report/model';
import { countLostBookings } from '../../estate/load';
import type { TestEstate } from '../../estate/testing';
import { regionFailback } from '../../runbooks/region-failback';
import { regionFailover } from '../../runbooks/region-failover';
import { interveneUpdate, rejectUpdate, type RunResult, type Notification } from '../../kit';
import type { LiveDrillResult } from '../../workflows/region-failover-live-drill';
import { lifeboatInProcess } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { startReceiver } from '../helpers/http-receiver';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { approveByLeads, estateSnapshot, loadThroughBalancer, moreBookings, sql } from './region-helpers';

// The suffix keeps this run apart from region-failover.test.ts, which may run `region-failover/booking` at the same time.
const runId = 'region-failover/booking';
const failbackId = 'region-failback/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;
/** The channel's webhook: a real HTTP receiver that keeps every notice the drill sends. */
let channel: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  [{ ctx, estate }, channel] = await Promise.all([openRunbookSuite({ fleetHosts: 4 }, 'region-live-drill'), startReceiver()]);
});
afterAll(async () => {
  await closeRunbookSuite({ ctx, estate }, [runId, failbackId]);
  await channel?.close();
});

/** How many runs `lifeboat list` finds as the live drill's failback: the child carries the same search attributes as any run. */
async function listedFailbacks(): Promise<number> {
  let n = 0;
  for await (const _ of ctx.client.workflow.list({ query: `WorkflowId = '${failbackId}' AND LifeboatDrill = 'live' AND LifeboatRunbook = 'region-failback'` }))
    n++;
  return n;
}

test('a live drill, approved by people at each gate, fails over to B and back to A under load, loses nothing, labels every notice as a drill, and its report shows RTO and RPO within the objectives', async () => {
  const taskQueue = testTaskQueue();
  const webhook = createNotifyActivities({ webhookUrls: [channel.url], format: 'json', attempts: 1, log: () => undefined });
  const { worker } = await createTestWorker(ctx, taskQueue, { notify: webhook.notify }, join(estate.dir, 'lifeboat.targets.json'));
  const load = loadThroughBalancer(estate.catalog);
  try {
    await moreBookings(load, 20);
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { service: 'booking', mode: 'planned', verifyWindowSeconds: 2 }, requestedBy: 'alice', drill: { kind: 'live' } }],
      });
      // A live drill moves production, so two leads approve the failover and then the failback, as in a real one.
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      await approveByLeads(handle);
      const failback = ctx.client.workflow.getHandle(failbackId);
      await waitForStatus(failback, (s) => s.state === 'waiting-approval', 120_000);
      await approveByLeads(failback);
      const result = (await handle.result()) as RunResult<LiveDrillResult>;
      expect(result.state).toBe('succeeded');
      await recordHistory(handle, 'region-failover-drill-live-signed');
      await recordHistory(ctx.client.workflow.getHandle(failbackId), 'region-failback-drill-live-signed');

      const out = result.output!;
      expect(out).toMatchObject({ drill: 'live', source: 'A', target: 'B', rpo: { bytes: 0, lostAcknowledgedBookings: 0 } });
      expect(out.failback).toMatchObject({
        runId: failbackId,
        state: 'succeeded',
        source: 'B',
        target: 'A',
        rpo: { bytes: 0, lostAcknowledgedBookings: 0 },
        drillProblems: [],
      });
      expect(result.details.failback).toEqual(out.failback);
      expect(result.steps.map((s) => s.name).slice(-2)).toEqual(['notify', 'drillFailback']);
      expect(result.measurements).toMatchObject({ rtoSeconds: out.rto.fromStartSeconds, rpoSeconds: 0, rpoWrites: 0 });

      const child = (await ctx.client.workflow.getHandle(failbackId).result()) as RunResult;
      expect(child).toMatchObject({ requestedBy: 'alice', drill: { kind: 'live', approvals: 'people' }, trust: { start: { delegatedBy: runId } } });
      expect(child.gates.map((g) => g.votes.map((v) => v.by))).toEqual([['bob', 'carol']]);
      expect(child.gates[0]!.votes.every((v) => v.verified !== undefined)).toBe(true);
      await expect.poll(() => listedFailbacks(), { timeout: 10_000 }).toBe(1);
    });
    await moreBookings(load, 20);
    const counters = await load.stop();
    const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());
    expect(lost.lost).toBe(0);
    expect(lost.checked).toBeGreaterThanOrEqual(40);
    console.log(`live drill: ${lost.checked} bookings checked, load downtime ${counters.downtimeMs} ms over failover and failback`);
  } finally {
    await load.stop();
  }

  // Someone reading "booking now serves from region B" during a game day must see that it is a drill: the failover's
  // and the failback's announcements say so, and so does every other notice either run sent.
  const notices = channel.received.map((r) => r.body as Notification);
  expect(notices.filter((n) => /now serves from region/.test(n.text)).map((n) => [n.runId, n.title])).toEqual([
    [runId, `[DRILL live] ${regionFailover.title}: booking is in region B`],
    [failbackId, `[DRILL live] ${regionFailback.title}: booking is in region A`],
  ]);
  expect(notices.map((n) => n.kind)).toEqual(expect.arrayContaining(['approval-needed', 'info', 'run-finished']));
  expect(notices.filter((n) => !n.title.startsWith('[DRILL live] ')).map((n) => n.title)).toEqual([]);
  expect(await estateSnapshot(estate.catalog)).toMatchObject({
    active: 'A',
    A: { role: 'primary', fenced: false, mode: 'normal', lbServer: 'UP' },
    B: { role: 'standby', fenced: false },
  });
  expect(await sql(estate.catalog, 'A', 'SELECT application_name, state FROM pg_stat_replication')).toEqual([expect.objectContaining({ state: 'streaming' })]);

  const report = await lifeboatInProcess(['report', runId, '--format', 'json'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
  expect(report.stderr).toBe('');
  const json = JSON.parse(report.stdout) as RunReport;
  expect(json).toMatchObject({ state: 'succeeded', drill: { kind: 'live' }, drillProblems: [] });
  expect(json.objectives.map((o) => [o.objective, o.met])).toEqual([
    ['rto', true],
    ['rpo', true],
  ]);
  expect(json.timeline.map((b) => b.label)).toContain('drillFailback');
}, 300_000);

test('a live drill whose failback is rejected says so: the step needs an operator, and the report fails the drill', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 }, requestedBy: 'alice', drill: { kind: 'live', approvals: 'people' } }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await approveByLeads(handle);
    const failback = ctx.client.workflow.getHandle(failbackId);
    // The first test's failback is closed, and its worker gone: query only once the new one runs.
    await expect.poll(async () => (await failback.describe()).status.name, { timeout: 30_000 }).toBe('RUNNING');
    await waitForStatus(failback, (s) => s.state === 'waiting-approval');
    await failback.executeUpdate(rejectUpdate, { args: [{ by: 'carol', comment: 'stay in B for the game day' }] });

    const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    expect(stuck.intervention).toMatchObject({ step: 'drillFailback', options: ['retry', 'skip', 'abort'] });
    expect(stuck.intervention!.error).toMatch(/^the failback region-failback\/booking ended aborted: gate "approve" rejected by carol/);
    expect(stuck.details.failback).toMatchObject({ state: 'aborted', source: 'B', target: 'A' });
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'bob', reason: 'fail back tomorrow' }] });
    expect(((await handle.result()) as RunResult).state).toBe('succeeded');
  });
  const report = await lifeboatInProcess(['report', runId, '--format', 'json'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
  const json = JSON.parse(report.stdout) as RunReport;
  expect(json.drillProblems).toEqual(['step drillFailback skipped', '1 step failure(s) needed an operator']);
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', B: { role: 'primary' } });
}, 300_000);
