import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { statusQuery, type RunStatus } from '../../kit';
import { lifeboatInProcess, type CliResult } from '../helpers/cli';
import type { TestNamespace } from '../helpers/namespaces';
import { decisionStatement, signAs } from '../helpers/signing';
import { connectToTestServer, createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { regionClusters, startReplicatedClusters, type RegionCluster, type ReplicatedClusters } from '../support/replicated-clusters';

/**
 * The CLI given both regions' clusters follows the namespace's active one: before region-a is lost it talks to
 * region-a as before, and after region-a's server is SIGKILLed and the namespace failed over, `lifeboat status`,
 * `lifeboat approve` and `lifeboat verify` reach region-b. A signed approval region-a took but never replicated is
 * sent again to region-b and counts once. One pair of clusters for the whole file: region-a is lost for good.
 */

// A namespace of these clusters' own (the shared test server never sees it); the CLI helpers read it as the file's.
const namespace = 'cli-follow' as TestNamespace;
const runId = 'kit-exercise/cli-follow';
let clusters: ReplicatedClusters;
const ctx: Partial<Record<RegionCluster, TemporalTestContext>> = {};
const workers: Partial<Record<RegionCluster, { worker: Worker; running: Promise<unknown> }>> = {};
let taskQueue: string;
let run: WorkflowHandle;
const scratch = mkdtempSync(join(tmpdir(), 'lifeboat-cli-follow-'));

beforeAll(async () => {
  clusters = await startReplicatedClusters(namespace);
  taskQueue = `cli-follow-${Date.now()}`;
  for (const region of regionClusters) {
    ctx[region] = await connectToTestServer(namespace, clusters.addresses[region]);
    const { worker } = await createTestWorker(ctx[region]!, taskQueue, {}, undefined, { identity: `lifeboat-worker-${region}` });
    workers[region] = { worker, running: worker.run().catch((err: unknown) => err) };
  }
  // A run waiting at its gate (two SRE leads must approve), started on region-a, the active cluster.
  run = await ctx['region-a']!.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target: 'cli-follow' }, requestedBy: 'alice' }],
  });
  await waitForStatus(run, (s) => s.state === 'waiting-approval');
}, 240_000);

afterAll(async () => {
  for (const w of Object.values(workers)) if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
  // Region-a's worker may not finish shutting down with its cluster gone; the process's exit ends it.
  await Promise.race([Promise.all(Object.values(workers).map((w) => w.running)), new Promise((r) => setTimeout(r, 15_000))]);
  await Promise.all(Object.values(ctx).map((c) => c.close().catch(() => undefined)));
  await clusters?.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

/** The CLI's environment with one cluster's address, or with both (region-a first, as a user in region-a lists them). */
function env(...regions: RegionCluster[]): Record<string, string> {
  return { TEMPORAL_ADDRESS: regions.map((r) => clusters.addresses[r]).join(','), LIFEBOAT_TASK_QUEUE: taskQueue };
}

test('a single address works as before, and both addresses while region-a is active reach region-a without a word', async () => {
  const single = await lifeboatInProcess(['status', runId, '--json'], env('region-a'));
  expect(single.code, single.stderr).toBe(0);
  expect(single.stderr).toBe('');
  expect(statusOf(single).state).toBe('waiting-approval');

  const both = await lifeboatInProcess(['status', runId, '--json'], env('region-a', 'region-b'));
  expect(both.code, both.stderr).toBe(0);
  expect(both.stderr).toBe('');
  expect(statusOf(both).state).toBe('waiting-approval');

  // Measured for the report, never asserted: what following costs a command when nothing has failed (alternating, 5 each).
  const ms = { single: [] as number[], both: [] as number[] };
  for (let i = 0; i < 5; i++) {
    ms.single.push((await timed(() => lifeboatInProcess(['status', runId, '--json'], env('region-a')))).ms);
    ms.both.push((await timed(() => lifeboatInProcess(['status', runId, '--json'], env('region-a', 'region-b')))).ms);
  }
  console.info(`lifeboat status, median of 5: one address ${median(ms.single)} ms; both addresses, region-a active ${median(ms.both)} ms`);
});

test('region-a is lost with a signed approval it never replicated: given both addresses, the CLI follows region-b, the approval sent again counts once, and status, approve and verify work there', async () => {
  // Both clusters hold the run as it waits at its gate.
  await expect.poll(() => historyLength('region-b').catch(() => 0), { timeout: 30_000 }).toBeGreaterThanOrEqual(await historyLength('region-a'));

  // Bob signs his approval once; region-a takes it while region-b's server is paused, so it cannot replicate.
  const gate = await run.query(statusQuery);
  const files = signedFiles('bob', gate);
  const regionB = serverPid('region-b');
  process.kill(regionB, 'SIGSTOP');
  try {
    const onA = await lifeboatInProcess(['approve', runId, ...files], env('region-a'));
    expect(onA.code, onA.stderr).toBe(0);
    expect(onA.stdout).toMatch(/bob approved gate approve .*1\/2 approvals/);
    await clusters.kill('region-a');
    workers['region-a']!.worker.shutdown();
  } finally {
    process.kill(regionB, 'SIGCONT');
  }
  const failoverAt = Date.now();
  await clusters.failover('region-b');
  const failoverMs = Date.now() - failoverAt;
  const replicatedBeforeTheLoss = (await votesOnB()).includes('bob');

  // Sent again, the same signed statement, with both addresses: region-a does not answer, the CLI follows region-b.
  const { result: again, ms: resendMs } = await timed(() => lifeboatInProcess(['approve', runId, ...files], env('region-a', 'region-b')));
  expect(again.stderr).toMatch(new RegExp(`followed the active cluster: namespace cli-follow is active on region-b \\(${clusters.addresses['region-b']}\\)`));
  if (replicatedBeforeTheLoss) {
    // Region-b already had it (the pause came too late): a replay, refused, as on one cluster.
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already used/);
  } else {
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/bob approved gate approve .*1\/2 approvals/);
  }
  console.info(
    `bob's approval on region-a ${replicatedBeforeTheLoss ? 'had replicated' : 'had not replicated'} before the loss; failover command ${failoverMs} ms; the approval sent again, region-a dead, ${resendMs} ms`,
  );

  const { result: status, ms: statusMs } = await timed(() => lifeboatInProcess(['status', runId, '--json'], env('region-a', 'region-b')));
  console.info(`lifeboat status with region-a dead: ${statusMs} ms`);
  expect(status.code, status.stderr).toBe(0);
  expect(status.stderr).toMatch(/followed the active cluster/);
  expect(statusOf(status).gates[0]!.votes.map((v) => v.by)).toEqual(['bob']);

  const carol = await lifeboatInProcess(['approve', runId, '--as', 'carol'], env('region-a', 'region-b'));
  expect(carol.code, carol.stderr).toBe(0);
  expect(carol.stdout).toMatch(/carol approved gate approve .*gate is now approved/);
  const onB = ctx['region-b']!.client.workflow.getHandle(runId);
  const done = await waitForStatus(onB, (s) => s.state === 'succeeded', 60_000);
  expect(done.gates[0]!.votes.map((v) => v.by)).toEqual(['bob', 'carol']);

  const verified = await lifeboatInProcess(['verify', runId], env('region-a', 'region-b'));
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  expect(verified.stderr).toMatch(/followed the active cluster/);
}, 180_000);

/** Bob's approval, signed once, as `--statement FILE --signature FILE` so the very same statement can be sent twice. */
function signedFiles(by: string, status: RunStatus): string[] {
  const signed = signAs(decisionStatement(status, 'approve', by, { gate: 'approve' }));
  const statement = join(scratch, `${by}.statement`);
  const signature = join(scratch, `${by}.sig`);
  writeFileSync(statement, signed.statement);
  writeFileSync(signature, signed.signature);
  return ['--statement', statement, '--signature', signature];
}

/** The votes region-b's copy of the run holds, asked until its namespace cache has the failover. */
async function votesOnB(): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const status = await ctx['region-b']!.client.workflow.getHandle(runId).query(statusQuery);
      return status.gates[0]?.votes.map((v) => v.by) ?? [];
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function historyLength(region: RegionCluster): Promise<number> {
  const described = await ctx[region]!.connection.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId: runId } });
  return Number(described.workflowExecutionInfo?.historyLength ?? 0);
}

/** The process listening on a cluster's frontend port: its Temporal server (all services in one process). */
function serverPid(region: RegionCluster): number {
  const port = clusters.addresses[region].split(':').pop();
  const listening = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(listening)?.[1];
  if (!pid) throw new Error(`no process listens on ${clusters.addresses[region]}: ${listening}`);
  return Number(pid);
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function statusOf(result: CliResult): RunStatus {
  return JSON.parse(result.stdout) as RunStatus;
}

async function timed(call: () => Promise<CliResult>): Promise<{ result: CliResult; ms: number }> {
  const started = Date.now();
  const result = await call();
  return { result, ms: Date.now() - started };
}
