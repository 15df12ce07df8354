import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { WorkerVersion } from '../../lib/worker-versioning';
import { approveUpdate, type RunResult } from '../../kit';
import { createLifeboatWorker } from '../../worker';
import { temporalCli } from '../helpers/cli';
import { testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
const started: WorkflowHandle[] = [];
const connections: NativeConnection[] = [];

beforeAll(async () => {
  ctx = await connectToTestServer('versioning');
});
afterAll(async () => {
  await Promise.all(started.map((h) => h.terminate('test cleanup').catch(() => undefined)));
  await Promise.all(connections.map((c) => c.close()));
  await ctx.close();
});

/** A product worker (`lifeboat worker`) with the identity a region gives it; versioned when `version` is given. */
async function regionWorker(taskQueue: string, identity: string, version?: WorkerVersion): Promise<Worker> {
  const connection = await NativeConnection.connect({ address: ctx.address });
  connections.push(connection);
  return createLifeboatWorker({
    connection,
    namespace: ctx.namespace,
    taskQueue,
    rosterPath: inject('testRosterPath'),
    trustRoot: testTrustRoot(),
    targetsPath: '/nonexistent/catalog.json',
    identity,
    ...(version ? { version } : {}),
    env: {},
  });
}

/** Which worker identities completed a run's workflow tasks and started its activities, as its history records them. */
async function ranOn(
  handle: WorkflowHandle,
): Promise<{ workflowTasks: string[]; activities: string[]; buildIds: string[]; behaviours: (number | null | undefined)[] }> {
  const history = await handle.fetchHistory();
  const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
  const completions = events.flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes] : []));
  return {
    workflowTasks: completions.map((c) => c.identity ?? ''),
    buildIds: completions.map((c) => c.deploymentVersion?.buildId ?? ''),
    behaviours: completions.map((c) => c.versioningBehavior),
    activities: events.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity ?? ''] : [])),
  };
}

/** Starts a paging check for a team (its ID is the one the runbook expects) and waits for it to reach its gate. */
async function startAtGate(taskQueue: string, team: string): Promise<WorkflowHandle> {
  const handle = await ctx.client.workflow.start('pagingCheck', {
    taskQueue,
    workflowId: `paging-check/${team}`,
    args: [{ input: { team }, requestedBy: 'alice' }],
  });
  started.push(handle);
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  return handle;
}

/** Answers the run's gate and waits for it to end. */
async function approveAndFinish(handle: WorkflowHandle, by: string): Promise<RunResult> {
  await handle.executeUpdate(approveUpdate, { args: [{ by }] });
  return (await handle.result()) as RunResult;
}

test('the first move to versioned workers: both regions poll, set-current-version --yes, the unversioned worker takes nothing new, and one region alone still runs', async () => {
  const taskQueue = testTaskQueue();
  const deploymentName = `lifeboat-${randomUUID().slice(0, 8)}`;
  const version = { deploymentName, buildId: 'build-1' };
  const unversionedId = 'lifeboat@region-a/unversioned';
  const regionA = 'lifeboat@region-a/versioned';
  const regionB = 'lifeboat@region-b/versioned';
  const notVersioned = (identities: string[]) => identities.filter((id) => id !== regionA && id !== regionB);

  const unversioned = await regionWorker(taskQueue, unversionedId);
  const runningUnversioned = unversioned.run();
  const running: Promise<void>[] = [];
  let workerA: Worker | undefined;
  let workerB: Worker | undefined;
  try {
    // Before the move: a run at its gate on the unversioned worker.
    const old = await startAtGate(taskQueue, 'sre-leads');

    // 1. Versioned workers beside the unversioned one, in both regions: one deployment name, one build id.
    [workerA, workerB] = await Promise.all([regionWorker(taskQueue, regionA, version), regionWorker(taskQueue, regionB, version)]);
    running.push(workerA.run(), workerB.run());

    // 2. Both regions' versioned pollers are there before anything is switched: describe-version knows the build on
    // this task queue, and the task queue lists every poller of the build by identity.
    const version1 = ['--deployment-name', deploymentName, '--build-id', 'build-1'];
    const versionTaskQueues = async () => {
      const r = await temporalCli(['worker', 'deployment', 'describe-version', ...version1, '-o', 'json'], ctx.address);
      return r.code === 0 ? (JSON.parse(r.stdout) as { taskQueuesInfos: { name: string }[] }).taskQueuesInfos.map((q) => q.name) : [];
    };
    await expect.poll(versionTaskQueues, { timeout: 20_000, interval: 500 }).toContain(taskQueue);
    const versionedPollers = async () => {
      const r = await temporalCli(
        ['task-queue', 'describe', '--task-queue', taskQueue, '--select-build-id', `${deploymentName}.build-1`, '-o', 'json'],
        ctx.address,
      );
      const pollers = r.code === 0 ? (JSON.parse(r.stdout) as { pollers: { identity: string; taskQueueType: string }[] }).pollers : [];
      return [...new Set(pollers.map((p) => `${p.taskQueueType} ${p.identity}`))].sort();
    };
    await expect
      .poll(versionedPollers, { timeout: 20_000, interval: 500 })
      .toEqual([`activity ${regionA}`, `activity ${regionB}`, `workflow ${regionA}`, `workflow ${regionB}`]);

    // 3. Make the build current. Without a terminal to answer its y/N prompt the command fails and changes nothing;
    // a script passes --yes.
    const prompted = await temporalCli(['worker', 'deployment', 'set-current-version', ...version1], ctx.address);
    expect(prompted.code).not.toBe(0);
    const stillNone = await temporalCli(['worker', 'deployment', 'describe-version', ...version1, '-o', 'json'], ctx.address);
    expect((JSON.parse(stillNone.stdout) as { currentSinceTime: string }).currentSinceTime).toBe('1970-01-01T00:00:00Z');
    const set = await temporalCli(['worker', 'deployment', 'set-current-version', ...version1, '--yes'], ctx.address);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);

    // A new run goes to the versioned workers only, though the unversioned worker still polls.
    const fresh = await startAtGate(taskQueue, 'sre-oncall');
    expect(await approveAndFinish(fresh, 'erin')).toMatchObject({ state: 'succeeded' });
    const unversionedPollers = await temporalCli(['task-queue', 'describe', '--task-queue', taskQueue, '-o', 'json'], ctx.address);
    expect((JSON.parse(unversionedPollers.stdout) as { pollers: { identity: string }[] }).pollers.map((p) => p.identity)).toContain(unversionedId);
    const freshRan = await ranOn(fresh);
    expect(freshRan.workflowTasks.length).toBeGreaterThan(0);
    expect(freshRan.activities.length).toBeGreaterThan(0);
    expect(notVersioned([...freshRan.workflowTasks, ...freshRan.activities])).toEqual([]);
    expect(new Set(freshRan.buildIds)).toEqual(new Set(['build-1']));

    // The run that began on the unversioned worker is not left there: its next workflow task after the switch goes
    // to the current build, which replays its history and finishes it, pinned from then on.
    expect(await approveAndFinish(old, 'bob')).toMatchObject({ state: 'succeeded' });
    const oldRan = await ranOn(old);
    const moved = oldRan.buildIds.indexOf('build-1');
    expect(moved).toBeGreaterThan(0);
    expect(new Set(oldRan.workflowTasks.slice(0, moved))).toEqual(new Set([unversionedId]));
    expect(new Set(oldRan.buildIds.slice(moved))).toEqual(new Set(['build-1']));
    expect(new Set(oldRan.behaviours.slice(moved))).toEqual(new Set([1])); // VERSIONING_BEHAVIOR_PINNED
    expect(notVersioned(oldRan.workflowTasks.slice(moved))).toEqual([]);
    expect([regionA, regionB]).toContain(oldRan.activities.at(-1)); // the all-clear

    // 4. Region A's versioned worker goes away: region B alone takes a new run; the unversioned worker still takes none.
    workerA.shutdown();
    await running[0];
    const alone = await startAtGate(taskQueue, 'airline-ops');
    expect(await approveAndFinish(alone, 'dave')).toMatchObject({ state: 'succeeded' });
    const aloneRan = await ranOn(alone);
    expect(new Set([...aloneRan.workflowTasks, ...aloneRan.activities])).toEqual(new Set([regionB]));
  } finally {
    unversioned.shutdown();
    if (workerA?.getState() === 'RUNNING') workerA.shutdown();
    if (workerB?.getState() === 'RUNNING') workerB.shutdown();
    await Promise.all([runningUnversioned, ...running]);
  }
}, 90_000);
