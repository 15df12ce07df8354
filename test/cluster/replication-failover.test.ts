import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { checkTrafficOneRegion } from '../../chaos/invariants/traffic';
import { countEffects, type EffectCounts } from '../../chaos/invariants/effects';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { pgLogFile } from '../../estate/postgres-cluster';
import { approveSignal, type RunResult, type RunStatus } from '../../kit';
import type { ReadinessCheckResult, ReadinessEvaluation } from '../../kit/trust';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { lifeboatInProcess, type CliResult } from '../helpers/cli';
import type { TestNamespace } from '../helpers/namespaces';
import { decisionStatement, signAs } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { estateSnapshot } from '../runbooks/region-helpers';
import { regionClusters, startReplicatedClusters, type RegionCluster, type ReplicatedClusters } from '../support/replicated-clusters';

/**
 * The orchestrator's own region is lost in the middle of a recovery: two Temporal clusters replicate a global
 * namespace (Temporal's Multi-Cluster Replication), region-a's server and its PostgreSQL are SIGKILLed, the namespace
 * is failed over to region-b, and region-b's worker finishes the run.
 */

// A namespace of these clusters' own (the shared test server never sees it); the CLI helpers read it as the file's.
const namespace = 'orchestrator-dr' as TestNamespace;
const runId = 'region-failover/booking';
const exerciseId = 'kit-exercise/orchestrator-dr';
let clusters: ReplicatedClusters | undefined;
let estate: TestEstate | undefined;
const ctx: Partial<Record<RegionCluster, TemporalTestContext>> = {};

// Each test loses region-a for good, so each gets fresh clusters and a fresh estate.
beforeEach(async () => {
  [clusters, estate] = await Promise.all([startReplicatedClusters(namespace), startTestEstate({ fleetHosts: 4 })]);
  for (const region of regionClusters) ctx[region] = await connectToTestServer(namespace, clusters.addresses[region]);
});
afterEach(async () => {
  for (const id of [runId, exerciseId])
    await ctx['region-b']?.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await estate?.stop();
  await Promise.all(Object.values(ctx).map((c) => c.close().catch(() => undefined)));
  await clusters?.stop();
});

test("region-a's orchestrator is lost after drain: region-b's worker finishes the failover, promote, switch and fence take effect once, and decisions cross over", async () => {
  const a = ctx['region-a']!;
  const b = ctx['region-b']!;
  const taskQueue = testTaskQueue();
  const workers = await regionWorkers(taskQueue);
  const before = await effectCounts();
  try {
    // A second run waits at its gate with one approval accepted on region-a, to see decisions cross the failover.
    const exercise = await a.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: exerciseId,
      args: [{ input: { target: 'orchestrator-dr' }, requestedBy: 'alice' }],
    });
    const gate = await waitForStatus(exercise, (s) => s.state === 'waiting-approval');
    const bobsApproval = signAs(decisionStatement(gate, 'approve', 'bob', { gate: 'approve' }));
    await a.rawClient.workflow.getHandle(exerciseId).signal(approveSignal, bobsApproval);
    await waitForStatus(exercise, (s) => s.gates[0]?.votes.length === 1);
    const handle = await startFailover(taskQueue);

    // Both runs wait at their gates and have replicated: region-b's copy is caught up, and each region's worker polls its own cluster.
    await replicated(runId);
    const both = await orchestratorStatus(taskQueue);
    expect(both.code, both.stderr).toBe(0);
    const seen = JSON.parse(both.stdout) as OrchestratorStatus;
    expect(seen.activeCluster).toBe('region-a');
    expect(seen.clusters.map((c) => [c.name, c.workers?.map((w) => w.identity)])).toEqual([
      ['region-a', ['lifeboat-worker-region-a']],
      ['region-b', ['lifeboat-worker-region-b']],
    ]);
    // Both open runs compared, nothing missing on region-b (asked again while visibility records the newest run).
    await expect
      .poll(async () => (JSON.parse((await orchestratorStatus(taskQueue)).stdout) as OrchestratorStatus).clusters[1]!.lag)
      .toMatchObject({ runsChecked: 2, eventsBehind: 0 });
    expect(await orchestratorReadinessOf(taskQueue, 'region-a')).toMatchObject({ ready: true });

    await approveThroughCli(taskQueue);
    const lagMs = await replicated(exerciseId);
    const result = await loseRegionAAfter('drain', handle, workers, lagMs);

    const after = await orchestratorStatus(taskQueue);
    expect(after.code).toBe(1);
    const survived = JSON.parse(after.stdout) as OrchestratorStatus;
    expect(survived.activeCluster).toBe('region-b');
    expect(survived.clusters.map((c) => [c.name, c.answers])).toEqual([
      ['region-a', false],
      ['region-b', true],
    ]);
    expect(survived.problems).toEqual([expect.stringMatching(/^cluster region-a \(127\.0\.0\.1:\d+\) does not answer/)]);
    // Region-a is now the standby, and dead: a runbook is not ready, naming it, although it could run on region-b.
    expect(await orchestratorReadinessOf(taskQueue, 'region-b')).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/^cluster region-a .* does not answer/),
    });

    expect(result.state).toBe('succeeded');
    await expectEffectsOnce(before);
    const verified = await lifeboatInProcess(['verify', runId], env('region-b', taskQueue));
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);

    // Bob's approval, accepted on region-a and replicated, is refused when sent again to region-b, and not counted twice.
    const onBExercise = b.client.workflow.getHandle(exerciseId);
    await afterFailover(() => b.rawClient.workflow.getHandle(exerciseId).signal(approveSignal, bobsApproval));
    const refused = await waitForStatus(onBExercise, (s) => s.refused?.count === 1);
    expect(refused.gates[0]!.votes.map((v) => v.by)).toEqual(['bob']);
    const carol = await afterFailover(async () => succeed(await lifeboatInProcess(['approve', exerciseId, '--as', 'carol'], env('region-b', taskQueue))));
    expect(carol.code).toBe(0);
    const exerciseResult = (await onBExercise.result()) as RunResult;
    expect(exerciseResult.state).toBe('succeeded');
    expect(exerciseResult.gates[0]!.votes.map((v) => v.by)).toEqual(['bob', 'carol']);
    const exerciseVerified = await lifeboatInProcess(['verify', exerciseId], env('region-b', taskQueue));
    expect(exerciseVerified.code, exerciseVerified.stdout + exerciseVerified.stderr).toBe(0);
    expect(exerciseVerified.stdout).toMatch(/replayed, refused by the run: this signed decision was already used/);
  } finally {
    await workers.stop();
  }
}, 300_000);

test("region-a's orchestrator is lost after promote: region-b's worker finishes the failover without promoting again, and verify passes", async () => {
  const taskQueue = testTaskQueue();
  const workers = await regionWorkers(taskQueue);
  const before = await effectCounts();
  try {
    const handle = await startFailover(taskQueue);
    await approveThroughCli(taskQueue);
    const result = await loseRegionAAfter('promote', handle, workers, await replicated(runId));
    expect(result.state).toBe('succeeded');
    await expectEffectsOnce(before);
    const verified = await lifeboatInProcess(['verify', runId], env('region-b', taskQueue));
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  } finally {
    await workers.stop();
  }
}, 300_000);

/** The CLI's environment for one region's cluster, on the test's task queue. */
function env(region: RegionCluster, taskQueue: string) {
  return { TEMPORAL_ADDRESS: clusters!.addresses[region], LIFEBOAT_TASK_QUEUE: taskQueue };
}

interface RegionWorkers {
  inRegion: Record<RegionCluster, Worker>;
  stop(): Promise<void>;
}

/** One worker per region, each polling its own region's cluster on the same task queue. */
async function regionWorkers(taskQueue: string): Promise<RegionWorkers> {
  const targetsPath = join(estate!.dir, 'lifeboat.targets.json');
  const [a, b] = await Promise.all(
    regionClusters.map(
      async (region) => (await createTestWorker(ctx[region]!, taskQueue, {}, targetsPath, { identity: `lifeboat-worker-${region}`, factsWorker: true })).worker,
    ),
  );
  const workers = [a!, b!];
  const running = workers.map((w) => w.run().catch((err: unknown) => err));
  return {
    inRegion: { 'region-a': a!, 'region-b': b! },
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      // Region-a's worker may not finish shutting down with its cluster gone; the process's exit ends it.
      await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 15_000))]);
    },
  };
}

/** A planned failover of booking from A to B, started on region-a, waiting at its gate. */
async function startFailover(taskQueue: string): Promise<WorkflowHandle> {
  const handle = await ctx['region-a']!.client.workflow.start('regionFailover', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  return handle;
}

/** The two SRE leads approve with `lifeboat approve`, each signing with their own key, on region-a. */
async function approveThroughCli(taskQueue: string): Promise<void> {
  for (const lead of ['bob', 'carol']) {
    const approved = await lifeboatInProcess(['approve', runId, '--as', lead], env('region-a', taskQueue));
    expect(approved.code, approved.stderr).toBe(0);
  }
}

/**
 * Once the step has succeeded, region-a is lost (its server and PostgreSQL SIGKILLed, its worker with them), the
 * namespace is failed over to region-b, and the run goes on there. Returns the run's result, read on region-b.
 */
async function loseRegionAAfter(stepName: string, handle: WorkflowHandle, workers: RegionWorkers, lagMs: number): Promise<RunResult<SwitchResult>> {
  const reached = await waitForStatus(handle, (s) => s.steps.some((step) => step.name === stepName && step.status === 'succeeded'));
  await clusters!.kill('region-a');
  workers.inRegion['region-a'].shutdown();
  const failoverAt = Date.now();
  await clusters!.failover('region-b');
  expect(await clusters!.activeCluster('region-b')).toBe('region-b');
  const onB = ctx['region-b']!.client.workflow.getHandle(runId);
  await waitForStatus(onB, (s) => succeededSteps(s) > succeededSteps(reached), 90_000);
  const progressMs = Date.now() - failoverAt;
  const result = (await onB.result()) as RunResult<SwitchResult>;
  // Measured for the report, never asserted: the lag, the wait, and the steps that ran more than once (at least once).
  const again = result.steps.filter((s) => (s.attempts ?? 1) > 1).map((s) => `${s.name} x${s.attempts}`);
  console.info(
    `lost after ${stepName}: replication lag ${lagMs} ms; failover command to progress on region-b ${progressMs} ms; steps run again: ${again.join(', ') || 'none'}`,
  );
  return result;
}

/** The estate's own counters before a run: timelines and reboots, and the fences A's database took. */
async function effectCounts(): Promise<{ effects: EffectCounts; fences: number }> {
  return { effects: await countEffects(estate!.catalog), fences: fenceReloads('A') };
}

/**
 * The estate's own counters, not the run's word: one new timeline for booking's database (one promotion), one fence
 * of A's, and clients sent to B alone (one switch, not undone by a second).
 */
async function expectEffectsOnce(before: { effects: EffectCounts; fences: number }): Promise<void> {
  const after = await countEffects(estate!.catalog);
  expect(after.timelines.booking! - before.effects.timelines.booking!).toBe(1);
  expect(fenceReloads('A') - before.fences).toBe(1);
  expect(await checkTrafficOneRegion(estate!.catalog, ['booking'])).toEqual([]);
  expect(await estateSnapshot(estate!.catalog)).toMatchObject({
    active: 'B',
    A: { role: 'primary', fenced: true, lbServer: 'DRAIN' },
    B: { role: 'primary', fenced: false, mode: 'normal', lbServer: expect.stringMatching(/^UP/) },
  });
}

/** What `lifeboat orchestrator status --json` prints, as far as these tests read it. */
interface OrchestratorStatus {
  activeCluster: string | null;
  clusters: { name: string; answers: boolean; workers?: { identity: string }[]; lag?: { runsChecked: number; eventsBehind: number } }[];
  problems: string[];
}

/** `lifeboat orchestrator status` over both clusters, as an operator lists them in LIFEBOAT_CLUSTERS. */
function orchestratorStatus(taskQueue: string): Promise<CliResult> {
  const list = Object.entries(clusters!.addresses).map(([name, address]) => `${name}=${address}`);
  return lifeboatInProcess(['orchestrator', 'status', '--json'], { LIFEBOAT_CLUSTERS: list.join(','), LIFEBOAT_TASK_QUEUE: taskQueue });
}

/**
 * `lifeboat readiness region-failover --target booking` against one region's cluster with both clusters named; returns
 * its orchestrator check, after checking that the runbook's verdict takes it into account.
 */
async function orchestratorReadinessOf(taskQueue: string, region: RegionCluster): Promise<ReadinessCheckResult | undefined> {
  const list = Object.entries(clusters!.addresses).map(([name, address]) => `${name}=${address}`);
  const result = await lifeboatInProcess(['readiness', 'region-failover', '--target', 'booking', '--json'], {
    ...env(region, taskQueue),
    LIFEBOAT_CLUSTERS: list.join(','),
  });
  const evaluation = JSON.parse(result.stdout) as ReadinessEvaluation;
  const check = evaluation.checks.find((c) => c.name === 'orchestrator-replicated');
  if (check && !check.ready) expect(evaluation.ready).toBe(false);
  return check;
}

/** Steps that finished, so a count that grows on region-b is the run making progress there. */
function succeededSteps(status: RunStatus): number {
  return status.steps.filter((s) => s.status === 'succeeded').length;
}

/**
 * Waits until region-b holds as many events of the run as region-a, and returns how long that took: the replication
 * lag as a run sees it (for the report, never asserted).
 */
async function replicated(workflowId: string): Promise<number> {
  const started = Date.now();
  const length = async (region: RegionCluster) => {
    const described = await ctx[region]!.connection.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
    return Number(described.workflowExecutionInfo?.historyLength ?? 0);
  };
  const target = await length('region-a');
  await expect.poll(() => length('region-b').catch(() => 0)).toBeGreaterThanOrEqual(target);
  return Date.now() - started;
}

/**
 * Retries a call for a few seconds after a failover: until region-b's namespace cache has the new active cluster
 * (about 2 s), what it gets is forwarded to the dead region-a and refused.
 */
async function afterFailover<T>(call: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** A CLI result as a value when it succeeded, as an error (so {@link afterFailover} retries) when it did not. */
function succeed(result: CliResult): CliResult {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return result;
}

/**
 * How often region's booking database took `default_transaction_read_only = on` from a reload, from PostgreSQL's own
 * log: the fence's effect, counted by the database rather than by the run.
 */
function fenceReloads(region: 'A' | 'B'): number {
  const log = readFileSync(pgLogFile(estate!.catalog.services.booking!.regions[region].postgres.dataDir), 'utf8');
  return log.match(/parameter "default_transaction_read_only" changed to "on"/g)?.length ?? 0;
}
