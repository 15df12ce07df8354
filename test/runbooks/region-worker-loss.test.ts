import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { TestEstate } from '../../estate/testing';
import type { RunResult } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { printed, startWorkerProcess } from '../helpers/worker-process';
import { approveByLeads, estateSnapshot, sql } from './region-helpers';

/**
 * Workers in both regions on one task queue, as docs/production.md lays them out: the region being left loses its
 * worker in the middle of the failover, and the other region's worker finishes the run.
 */
const runId = 'region-failover/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  ({ ctx, estate } = await openRunbookSuite({ fleetHosts: 4 }, 'region-worker-loss'));
});
afterEach(() => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
});
afterAll(() => closeRunbookSuite({ ctx, estate }, [runId]));

/** A worker process that names its region in its identity; resolves once it polls. */
async function startRegionWorker(taskQueue: string, region: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const targetsPath = join(estate.dir, 'lifeboat.targets.json');
  const child = await startWorkerProcess(ctx, { taskQueue, targetsPath, env: { LIFEBOAT_WORKER_IDENTITY: `lifeboat@region-${region}`, ...env } });
  workers.push(child);
  return child;
}

test("SIGKILL of region A's worker in the middle of a failover away from A: region B's worker finishes it, and nothing runs twice to any effect", async () => {
  const taskQueue = testTaskQueue();
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'A', A: { role: 'primary' }, B: { role: 'standby' } });
  const timelineBefore = (await sql<{ tli: number }>(estate.catalog, 'B', 'SELECT timeline_id AS tli FROM pg_control_checkpoint()'))[0]!.tli;
  const handle = await ctx.client.workflow.start('regionFailover', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { service: 'booking', mode: 'planned' }, requestedBy: 'alice' }],
  });
  // Region A's worker takes every task until it dies inside the drain, after HAProxy took the change.
  const workerA = await startRegionWorker(taskQueue, 'A', { LIFEBOAT_TEST_STALL_AFTER: 'drainBackend' });
  const stalled = printed(workerA, 'stalled drainBackend');
  await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
  await approveByLeads(handle);
  await stalled;
  const workerB = await startRegionWorker(taskQueue, 'B');
  const exited = new Promise((r) => workerA.once('exit', r));
  workerA.kill('SIGKILL');
  await exited;

  const result = (await handle.result()) as RunResult<SwitchResult>;
  expect(result.state).toBe('succeeded');
  expect(result.output).toMatchObject({ source: 'A', target: 'B', rpo: { bytes: 0 } });
  workerB.kill('SIGKILL');

  // Who ran what, from the history: the drain started on A and finished on B; everything after it ran on B.
  const { events } = await handle.fetchHistory();
  const started = (events ?? []).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.identity);
  const scheduled = new Map(
    (events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!]),
  );
  const completions = (events ?? [])
    .filter((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
    .map((e) => {
      const a = e.activityTaskCompletedEventAttributes!;
      return { activity: scheduled.get(String(a.scheduledEventId))!, by: a.identity };
    });
  expect(started).toContain('lifeboat@region-A');
  const drain = completions.filter((c) => c.activity === 'drainBackend');
  expect(drain).toEqual([{ activity: 'drainBackend', by: 'lifeboat@region-B' }]);
  const afterDrain = completions.slice(completions.findIndex((c) => c.activity === 'drainBackend'));
  expect(new Set(afterDrain.map((c) => c.by))).toEqual(new Set(['lifeboat@region-B']));
  expect(completions.filter((c) => c.activity === 'promoteStandby')).toHaveLength(1);
  expect(completions.filter((c) => c.activity === 'setActiveBackend')).toHaveLength(1);

  // One promotion: B moved to the next timeline exactly once; clients go to B; A is fenced and drained.
  const timelineAfter = (await sql<{ tli: number }>(estate.catalog, 'B', 'SELECT timeline_id AS tli FROM pg_control_checkpoint()'))[0]!.tli;
  expect(timelineAfter).toBe(timelineBefore + 1);
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { fenced: true, lbServer: 'DRAIN' }, B: { role: 'primary', mode: 'normal' } });
}, 180_000);
