import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requireTemporalCli } from '../../dev/temporal-binaries';
import { childEnv } from '../../lib/child-env';
import { ORCHESTRATOR_NAMESPACE, Statement, statementText, type OrchestratorFailoverOutcome, type SignedDecision } from '../../kit/trust';
import type { FailoverHistory } from '../../cli/orchestrator/failover-history';
import { lifeboatInProcess } from '../helpers/cli';
import type { TestNamespace } from '../helpers/namespaces';
import { signAs } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';
import { regionClusters, startReplicatedClusters, type RegionCluster, type ReplicatedClusters } from '../support/replicated-clusters';

/**
 * `lifeboat orchestrator failover`: a signed decision of sre-leads, checked by the activated cluster's own worker in
 * its local namespace before the global namespace's active cluster changes. One pair of replicated clusters for the
 * whole file: the refusals run first with region-a alive and active, then region-a is lost and failed over from.
 */

const namespace = 'orchestrator-dr';
const run = promisify(execFile);
let clusters: ReplicatedClusters;
let taskQueue: string;
const local: Partial<Record<RegionCluster, TemporalTestContext>> = {};
const workers: Worker[] = [];
const running: Promise<unknown>[] = [];

beforeAll(async () => {
  clusters = await startReplicatedClusters(namespace);
  taskQueue = testTaskQueue();
  // Each region's worker polls its own cluster's local namespace, where failovers are decided.
  for (const region of regionClusters) {
    local[region] = await connectToTestServer(ORCHESTRATOR_NAMESPACE as TestNamespace, clusters.addresses[region]);
    const { worker } = await createTestWorker(local[region], taskQueue, {}, undefined, { identity: `lifeboat-worker-${region}` });
    workers.push(worker);
    running.push(worker.run().catch((err: unknown) => err));
  }
});
afterAll(async () => {
  for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  // Region-a's worker may not finish shutting down with its cluster gone; the process's exit ends it.
  await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 15_000))]);
  await Promise.all(Object.values(local).map((c) => c.close().catch(() => undefined)));
  await clusters?.stop();
});

test('a failover that is unsigned, wrongly signed, signed outside sre-leads, or forged by an insider with the stock temporal CLI is refused and leaves region-a active; failovers made with the stock CLI instead are named unverified by orchestrator status', async () => {
  // Dave is in the roster, but not in sre-leads.
  const dave = await failover(['--to', 'region-b', '--as', 'dave']);
  expect(dave.code, dave.stderr).toBe(1);
  expect(dave.stderr).toMatch(/failover refused: dave may not fail the orchestrator over: it needs a member of group sre-leads/);

  // Bob's statement, signed with Carol's key.
  const printed = await failover(['--to', 'region-b', '--as', 'bob', '--print-statement']);
  expect(printed.code, printed.stderr).toBe(0);
  const statement = Statement.parse(JSON.parse(printed.stdout));
  const wrong = await failover([
    '--to',
    'region-b',
    ...statementFiles({ statement: statementText(statement), signature: signAs(statement, 'carol').signature }),
  ]);
  expect(wrong.code, wrong.stderr).toBe(1);
  expect(wrong.stderr).toMatch(/failover refused: the signing key SHA256:\S+ is not one of bob's keys in the roster/);

  // An insider with access to region-b's local namespace starts the workflow type directly: unsigned, then with a
  // statement of its own making under a signature that is not one.
  const unsigned = await insiderStart('orchestrator-failover/orchestrator-dr/insider-unsigned-0001', { namespace, to: 'region-b' });
  expect(unsigned).toMatch(/failover refused: the failover is not signed/);
  const forgedStatement = { ...statement, workflowId: 'orchestrator-failover/orchestrator-dr/insider-forged-00001', nonce: 'insider-forged-00001' };
  const forged = await insiderStart(forgedStatement.workflowId, {
    namespace,
    to: 'region-b',
    decision: { statement: statementText(forgedStatement), signature: '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----' },
  });
  expect(forged).toMatch(/failover refused: bad signature/);

  // Re-checked from its history: the forged decision does not hold, and the run never asked for the namespace to move.
  const audit = await failover(['--verify', forgedStatement.workflowId, '--json']);
  expect(audit.code, audit.stderr).toBe(0);
  expect(JSON.parse(audit.stdout)).toMatchObject({ cluster: 'region-b', status: 'FAILED', verdict: { ok: false }, moved: false, problems: [] });

  // Bad usage names the flag, and nothing is started.
  const noTarget = await failover(['--as', 'bob']);
  expect(noTarget.code).toBe(2);
  expect(noTarget.stderr).toMatch(/--to is required/);
  const unknownTarget = await failover(['--to', 'region-c', '--as', 'bob']);
  expect(unknownTarget.code).toBe(2);
  expect(unknownTarget.stderr).toMatch(/--to region-c: not one of the clusters given \(region-a, region-b\)/);

  for (const region of regionClusters) expect(await clusters.activeCluster(region)).toBe('region-a');
  const before = await failoverHistory();
  expect(before.unverified).toEqual([]);

  // An operator with Temporal access fails over with the stock CLI, bypassing any decision, and back again:
  // lifeboat orchestrator status names both failovers as made by no verified decision.
  await clusters.failover('region-b');
  await expect.poll(() => clusters.activeCluster('region-a')).toBe('region-b');
  await clusters.failover('region-a');
  for (const region of regionClusters) await expect.poll(() => clusters.activeCluster(region)).toBe('region-a');
  const after = await failoverHistory();
  expect(after.temporal).toHaveLength(before.temporal.length + 2);
  expect(after.unverified).toHaveLength(2);
}, 90_000);

test("with region-a dead, an sre-lead's signed failover makes region-b active and returns Temporal's description; the same statement replayed is refused", async () => {
  await clusters.kill('region-a');
  const done = await failover(['--to', 'region-b', '--as', 'bob', '--json']);
  expect(done.code, done.stderr).toBe(0);
  const { workflowId, outcome } = JSON.parse(done.stdout) as { workflowId: string; outcome: OrchestratorFailoverOutcome };
  expect(outcome).toMatchObject({ namespace, to: 'region-b', by: 'bob', previousActiveCluster: 'region-a', changed: true });
  expect(outcome.proof.fingerprint).toMatch(/^SHA256:/);
  // Temporal's own description, as DescribeNamespace gave it after the failover.
  expect(outcome.description).toMatchObject({
    namespaceInfo: { name: namespace },
    isGlobalNamespace: true,
    replicationConfig: { activeClusterName: 'region-b', clusters: [{ clusterName: 'region-a' }, { clusterName: 'region-b' }] },
  });
  expect(await clusters.activeCluster('region-b')).toBe('region-b');
  // Its history is the audit trail: re-checked, the decision holds and the move came after it.
  const audit = await failover(['--verify', workflowId, '--json']);
  expect(audit.code, audit.stderr).toBe(0);
  expect(JSON.parse(audit.stdout)).toMatchObject({
    cluster: 'region-b',
    status: 'COMPLETED',
    verdict: { ok: true, decision: { by: 'bob' } },
    moved: true,
    problems: [],
  });

  // Status lists the failover with who decided it, and matches it with the one Temporal shows.
  const history = await failoverHistory();
  expect(history.recent[0]).toMatchObject({ workflowId, verdict: { ok: true, decision: { by: 'bob' } }, moved: true });
  expect(history.temporal.at(-1)).toMatchObject({ failoverVersion: outcome.failoverVersion, decidedBy: { workflowId, by: 'bob' } });
  expect(history.unverified).toHaveLength(2);

  // The insider starts the same statement again under its ID, once the first run has closed: its nonce is taken.
  const first = await local['region-b']!.rawClient.workflow.getHandle(workflowId).fetchHistory();
  const input = first.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  const replayed = await insiderStart(workflowId, JSON.parse(Buffer.from(input!).toString('utf8')) as object);
  expect(replayed).toMatch(/failover refused: this signed failover was already used by orchestrator-failover\//);
  // And through the CLI: the same statement and signature are refused before a run starts.
  const sent = JSON.parse(Buffer.from(input!).toString('utf8')) as { decision: SignedDecision };
  const again = await failover(['--to', 'region-b', ...statementFiles(sent.decision)]);
  expect(again.code, again.stderr).toBe(1);
  expect(again.stderr).toMatch(/this signed failover was already used/);
  // Re-checked again, the run that moved the namespace is still the one shown; the replay under its ID moved nothing.
  const reaudit = await failover(['--verify', workflowId, '--json']);
  expect(reaudit.code, reaudit.stderr).toBe(0);
  const reaudited = JSON.parse(reaudit.stdout) as { status: string; moved: boolean; otherRuns: { status: string; moved: boolean }[] };
  expect(reaudited).toMatchObject({ status: 'COMPLETED', moved: true, problems: [] });
  expect(reaudited.otherRuns).toEqual([expect.objectContaining({ status: 'FAILED', moved: false })]);
}, 90_000);

/** `lifeboat orchestrator failover` over both clusters, in the global namespace, as an operator runs it. */
function failover(args: string[]) {
  const list = regionClusters.map((name) => `${name}=${clusters.addresses[name]}`).join(',');
  return lifeboatInProcess(['orchestrator', 'failover', ...args], {
    LIFEBOAT_CLUSTERS: list,
    TEMPORAL_ADDRESS: clusters.addresses['region-b'],
    TEMPORAL_NAMESPACE: namespace,
    LIFEBOAT_TASK_QUEUE: taskQueue,
  });
}

/** What `lifeboat orchestrator status --json` says of failovers. */
async function failoverHistory(): Promise<FailoverHistory> {
  const list = regionClusters.map((name) => `${name}=${clusters.addresses[name]}`).join(',');
  const status = await lifeboatInProcess(['orchestrator', 'status', '--json'], {
    LIFEBOAT_CLUSTERS: list,
    TEMPORAL_NAMESPACE: namespace,
    LIFEBOAT_TASK_QUEUE: taskQueue,
  });
  return (JSON.parse(status.stdout) as { failovers: FailoverHistory }).failovers;
}

/** A statement and a signature as files, for `--statement` and `--signature`. */
function statementFiles(decision: SignedDecision): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-failover-'));
  writeFileSync(join(dir, 'statement.json'), decision.statement);
  writeFileSync(join(dir, 'statement.json.sig'), decision.signature);
  return ['--statement', join(dir, 'statement.json'), '--signature', join(dir, 'statement.json.sig')];
}

/**
 * An insider's start with the stock `temporal` CLI on region-b's local namespace, under an ID and input of their
 * choosing; returns why the run failed, after checking that it never asked for the namespace to move.
 */
async function insiderStart(workflowId: string, input: object): Promise<string> {
  const args = ['workflow', 'start', '--type', 'orchestratorFailover', '--task-queue', taskQueue, '--workflow-id', workflowId];
  await run(
    requireTemporalCli().path,
    [...args, '--input', JSON.stringify(input), '--address', clusters.addresses['region-b'], '--namespace', ORCHESTRATOR_NAMESPACE],
    { env: childEnv() },
  );
  const handle = local['region-b']!.rawClient.workflow.getHandle(workflowId);
  const failure = await handle.result().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  const history = await handle.fetchHistory();
  const moved = history.events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'failNamespaceOver');
  expect(moved).toBe(false);
  return (failure as WorkflowFailedError).cause?.message ?? '';
}
