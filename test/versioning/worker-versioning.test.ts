import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { repoRoot } from '../../lib/paths';
import { workerVersionFrom, type WorkerVersion } from '../../lib/worker-versioning';
import { approveUpdate, type RunResult } from '../../kit';
import { createLifeboatWorker } from '../../worker';
import { testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

const runId = 'paging-check/sre-oncall';
const build1Workflows = join(repoRoot, 'workflows');
const build2Workflows = resolve(__dirname, '../fixtures/versioning-build-2');
let ctx: TemporalTestContext;

beforeAll(async () => {
  ctx = await connectToTestServer('versioning');
});
afterAll(async () => {
  await ctx.client.workflow
    .getHandle(runId)
    .terminate('test cleanup')
    .catch(() => undefined);
  await ctx.close();
});

/** A versioned product worker (`lifeboat worker --deployment --build-id`) on the given workflows folder. */
function versionedWorker(taskQueue: string, version: WorkerVersion, workflowsPath: string): Promise<Worker> {
  return createLifeboatWorker({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    rosterPath: inject('testRosterPath'),
    trustRoot: testTrustRoot(),
    targetsPath: '/nonexistent/catalog.json',
    workflowsPath,
    version,
    env: {},
  });
}

/** Makes a build current, as `temporal worker deployment set-current-version` does, once its workers have polled. */
async function setCurrentVersion(version: WorkerVersion): Promise<void> {
  const set = () =>
    ctx.connection.workflowService.setWorkerDeploymentCurrentVersion({ namespace: ctx.namespace, ...version, identity: 'worker-versioning test' }).then(
      () => true,
      () => false,
    );
  await expect.poll(set, { timeout: 30_000, interval: 500 }).toBe(true);
}

/** The build id and versioning behaviour each completed workflow task of a run was recorded with, and the titles it notified. */
async function ranOn(runId: string): Promise<{ buildIds: string[]; behaviours: (number | null | undefined)[]; notified: string[] }> {
  const history = await ctx.client.workflow.getHandle(runId).fetchHistory();
  const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
  const completions = events.flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes] : []));
  return {
    buildIds: completions.map((c) => c.deploymentVersion?.buildId ?? ''),
    behaviours: completions.map((c) => c.versioningBehavior),
    notified: events.flatMap((e) => {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name !== 'notify') return [];
      return [defaultPayloadConverter.fromPayload<{ title: string }>(scheduled.input!.payloads![0]!).title];
    }),
  };
}

test('a run pinned to build 1 finishes on build 1 after build 2 (whose commands differ) is made current; a new run starts on build 2', async () => {
  const taskQueue = testTaskQueue();
  const deploymentName = `lifeboat-test-${randomUUID().slice(0, 8)}`;
  const build1 = { deploymentName, buildId: 'build-1' };
  const build2 = { deploymentName, buildId: 'build-2' };
  const [worker1, worker2] = await Promise.all([versionedWorker(taskQueue, build1, build1Workflows), versionedWorker(taskQueue, build2, build2Workflows)]);
  const running1 = worker1.run();
  let running2: Promise<void> | undefined;
  try {
    await setCurrentVersion(build1);
    const start = () =>
      ctx.client.workflow.start('pagingCheck', { taskQueue, workflowId: runId, args: [{ input: { team: 'sre-oncall' }, requestedBy: 'alice' }] });
    const old = await start();
    await waitForStatus(old, (s) => s.state === 'waiting-approval');

    running2 = worker2.run();
    await setCurrentVersion(build2);
    await old.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
    const oldResult = (await old.result()) as RunResult;
    expect(oldResult).toMatchObject({ state: 'succeeded' });
    const oldRun = await ranOn(runId);
    expect(new Set(oldRun.buildIds)).toEqual(new Set(['build-1']));
    expect(new Set(oldRun.behaviours)).toEqual(new Set([1])); // VERSIONING_BEHAVIOR_PINNED
    expect(oldRun.notified).toContain('Paging check for sre-oncall: all clear');
    expect(oldRun.notified).not.toContain('Paging check for sre-oncall: reminder');

    const fresh = await start();
    await waitForStatus(fresh, (s) => s.state === 'waiting-approval');
    await fresh.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
    expect(await fresh.result()).toMatchObject({ state: 'succeeded' });
    const freshRun = await ranOn(runId);
    expect(new Set(freshRun.buildIds)).toEqual(new Set(['build-2']));
    expect(freshRun.behaviours.every((b) => b === 1)).toBe(true);
    // Build 2's commands differ from build 1's: the reminder comes where build 1's history has the gate, so build 2
    // replaying the old run would have failed it with a nondeterminism error.
    expect(freshRun.notified).toContain('Paging check for sre-oncall: reminder');
  } finally {
    worker1.shutdown();
    if (running2) worker2.shutdown();
    await Promise.all([running1, running2]);
  }
}, 240_000);

test('a worker is versioned only with both a deployment and a build id, from flags or the environment', () => {
  expect(workerVersionFrom({}, {})).toBeUndefined();
  expect(workerVersionFrom({ deployment: 'lifeboat', buildId: 'b1' }, { LIFEBOAT_BUILD_ID: 'b0' })).toEqual({ deploymentName: 'lifeboat', buildId: 'b1' });
  expect(workerVersionFrom({}, { LIFEBOAT_DEPLOYMENT: 'lifeboat', LIFEBOAT_BUILD_ID: 'b0' })).toEqual({ deploymentName: 'lifeboat', buildId: 'b0' });
  expect(() => workerVersionFrom({ buildId: 'b1' }, {})).toThrow(/needs both a deployment and a build id; only the build id is set/);
  expect(() => workerVersionFrom({ deployment: 'life.boat', buildId: 'b1' }, {})).toThrow(/contains a dot/);
});
