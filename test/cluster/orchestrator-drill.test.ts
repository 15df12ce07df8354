import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { interveneUpdate, type RunResult } from '../../kit';
import type { OrchestratorDrillResult } from '../../workflows/orchestrator-drill';
import { lifeboatInProcess } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import type { TestNamespace } from '../helpers/namespaces';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { regionClusters, startReplicatedClusters, type RegionCluster, type ReplicatedClusters } from '../support/replicated-clusters';

/**
 * `lifeboat run orchestrator-drill --drill live` on two Temporal clusters replicating a global namespace: the run fails
 * its own namespace over to the other cluster, goes on there, and fails back. One pair of clusters for the file.
 */

const namespace = 'orchestrator-drill' as TestNamespace;
const runId = 'orchestrator-drill/orchestrator';
const taskQueue = testTaskQueue();
let clusters: ReplicatedClusters | undefined;
const ctx: Partial<Record<RegionCluster, TemporalTestContext>> = {};
/** Region-a's own `default` namespace, which no other cluster replicates. */
let local: TemporalTestContext | undefined;
const workers: Worker[] = [];
let running: Promise<unknown>[] = [];
const clustersEnvBefore = process.env.LIFEBOAT_CLUSTERS;

beforeAll(async () => {
  clusters = await startReplicatedClusters(namespace);
  // What each region's worker is told about the orchestrator's clusters, as `lifeboat orchestrator status` is.
  process.env.LIFEBOAT_CLUSTERS = regionClusters.map((name) => `${name}=${clusters!.addresses[name]}`).join(',');
  for (const region of regionClusters) {
    ctx[region] = await connectToTestServer(namespace, clusters.addresses[region]);
    workers.push((await createTestWorker(ctx[region]!, taskQueue, {}, undefined, { identity: `lifeboat-worker-${region}` })).worker);
  }
  local = await connectToTestServer('default', clusters.addresses['region-a']);
  workers.push((await createTestWorker(local, taskQueue)).worker);
  running = workers.map((w) => w.run().catch((err: unknown) => err));
});

afterAll(async () => {
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 15_000))]);
  await Promise.all([...Object.values(ctx), local].map((c) => c?.close().catch(() => undefined)));
  await clusters?.stop();
  process.env.LIFEBOAT_CLUSTERS = clustersEnvBefore;
});

test('a live orchestrator drill fails its namespace over to region-b, goes on there, fails back, and reports the lag, the failover and the wait', async () => {
  const env = { TEMPORAL_ADDRESS: clusters!.addresses['region-a'], TEMPORAL_NAMESPACE: namespace, LIFEBOAT_TASK_QUEUE: taskQueue };
  const started = await lifeboatInProcess(['run', 'orchestrator-drill', '--drill', 'live', '--as', 'alice'], env);
  expect(started.code, started.stderr).toBe(0);
  const handle = ctx['region-a']!.client.workflow.getHandle(runId);
  const gate = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  expect(gate.details.orchestrator).toEqual({ namespace, from: 'region-a', to: 'region-b' });
  const approved = await lifeboatInProcess(['approve', runId, '--as', 'bob'], env);
  expect(approved.code, approved.stderr).toBe(0);

  const result = (await handle.result()) as RunResult<OrchestratorDrillResult>;
  expect(result.state, JSON.stringify(result.steps)).toBe('succeeded');
  expect(result.output).toMatchObject({ namespace, from: 'region-a', to: 'region-b' });
  // Each "goes on" step succeeds only on a worker of the cluster it names: the run moved to region-b and came home.
  expect(result.steps.filter((s) => s.name.startsWith('continue')).map((s) => [s.name, s.status])).toEqual([
    ['continueThere', 'succeeded'],
    ['continueHome', 'succeeded'],
  ]);
  const figures = result.output!;
  for (const figure of [figures.failoverMs, figures.waitedMs, figures.lagAtSwitchMs, figures.failbackMs]) expect(figure).toBeGreaterThanOrEqual(0);
  expect(await clusters!.activeCluster('region-a')).toBe('region-a');
  expect(await clusters!.activeCluster('region-b')).toBe('region-a');
  console.info(
    `orchestrator drill: lag at the switch ${figures.lagAtSwitchMs} ms (${figures.eventsBehindAtSwitch} events behind), failover ${figures.failoverMs} ms, run waited ${figures.waitedMs} ms; failback ${figures.failbackMs} ms, waited ${figures.waitedAfterFailbackMs} ms`,
  );
}, 240_000);

test('the drill runs only live, and on a namespace no other cluster replicates it moves nothing and says why', async () => {
  const env = { TEMPORAL_ADDRESS: clusters!.addresses['region-a'], TEMPORAL_NAMESPACE: 'default', LIFEBOAT_TASK_QUEUE: taskQueue };
  const isolated = await lifeboatInProcess(['run', 'orchestrator-drill', '--drill', 'isolated', '--as', 'alice'], env);
  expect(isolated.code).not.toBe(0);
  expect(isolated.stdout + isolated.stderr).toMatch(/cannot be isolated; rehearse it with --drill live/);

  const started = await lifeboatInProcess(['run', 'orchestrator-drill', '--drill', 'live', '--as', 'alice'], env);
  expect(started.code, started.stderr).toBe(0);
  const handle = local!.client.workflow.getHandle(runId);
  const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
  expect(stuck.intervention?.error).toMatch(/namespace default is not global: there is no other cluster to fail over to/);
  await handle.executeUpdate(interveneUpdate, { args: [{ by: 'bob', action: 'abort', reason: 'not a replicated namespace' }] });
  const result = (await handle.result()) as RunResult;
  expect(result.state).toBe('aborted');
  expect(result.steps.map((s) => s.name)).not.toContain('failover');
  await recordHistory(handle, 'orchestrator-drill-not-replicated-signed');
}, 120_000);
