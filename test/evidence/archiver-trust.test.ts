import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import type { ArchiveSettings } from '../../cli/evidence/archive-settings';
import { createArchiverActivities } from '../../cli/evidence/archiver-activities';
import { ensureEvidenceArchiver, watchEvidenceArchiver } from '../../cli/evidence/archiver-start';
import type { ArchiverStatus } from '../../cli/evidence/archiver-status';
import { archiveRun } from '../../lib/evidence/archive';
import { readManifest } from '../../lib/evidence/manifest';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import type { EvidenceStore } from '../../lib/evidence/store';
import { EVIDENCE_ARCHIVER_ID, EVIDENCE_ARCHIVER_TYPE, type EvidenceArchiverInput } from '../../workflows/evidence-archiver';
import { lifeboat, lifeboatInProcess, temporalCli, type CliResult } from '../helpers/cli';
import { archiveSignerIn, drillEvidence } from '../helpers/evidence';
import { testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * Issue 26: the evidence archiver's input and carried-over state are claims, not proof. An insider with namespace
 * access, the stock `temporal` CLI and a worker of their own tries to make a finished run go unarchived: a forged
 * cursor far in the future, a reset, a termination, a continue-as-new into the archiver from a workflow of their own.
 * In each case a run that ends afterwards is archived, the archive verifies, and `evidence status` tells the truth.
 */

let ctx: TemporalTestContext;
let dir: string;
let signer: Awaited<ReturnType<typeof archiveSignerIn>>;
let evilWorker: Worker;
let evilRunning: Promise<void>;
const evilQueue = `evil-archiver-${Date.now()}`;
const future = '2999-01-01T00:00:00.000Z';

beforeAll(async () => {
  ctx = await connectToTestServer('evidence-archiver-trust');
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-archiver-trust-'));
  signer = await archiveSignerIn(dir);
  const attacker = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../trust/attacker/workflows.ts'), logger: quiet });
  evilWorker = await Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue: evilQueue,
    workflowBundle: { code: attacker.code },
  });
  evilRunning = evilWorker.run();
}, 120_000);

afterAll(async () => {
  evilWorker?.shutdown();
  await evilRunning;
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

// One archiver per namespace: each test ends whatever holds its ID, so the next test starts its own.
afterEach(async () => {
  await ctx.rawClient.workflow
    .getHandle(EVIDENCE_ARCHIVER_ID)
    .terminate('test over')
    .catch(() => undefined);
});

/** The stock `temporal` CLI against this file's namespace: what the insider has. */
function temporal(args: string[]): Promise<CliResult> {
  return temporalCli(args, ctx.address);
}

const cliEnv = (taskQueue: string) => ({ TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });

/** A worker serving kit-exercise runs and the archiver's activities, archiving to its own folder, with the archiver started. */
async function archivingWorker(taskQueue: string): Promise<{ worker: Worker; store: EvidenceStore; folder: string }> {
  const folder = join(dir, taskQueue);
  const store = openEvidenceStore(folder);
  const settings: ArchiveSettings = {
    store,
    signer: signer.signer,
    rosterPath: join(dir, 'roster.json'),
    targetsPath: join(dir, 'no-targets.json'),
    env: { ...process.env, ...cliEnv(taskQueue) },
  };
  const roster = createRosterActivities({ rosterPath: settings.rosterPath, trustRoot: testTrustRoot() });
  const { worker } = await createTestWorker(ctx, taskQueue, { ...createArchiverActivities(settings), ...roster });
  await ensureEvidenceArchiver({ connection: ctx.connection, namespace: ctx.namespace, taskQueue, pollSeconds: 1, settleSeconds: 1 });
  return { worker, store, folder };
}

/** Runs kit-exercise on `target` to its end, approved by bob; returns its Temporal run ID. */
async function runToEnd(taskQueue: string, target: string): Promise<string> {
  const runId = `kit-exercise/${target}`;
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  const approved = await lifeboatInProcess(['approve', runId, '--as', 'bob', '--comment', 'archiver trust test'], cliEnv(taskQueue));
  expect(approved.code, approved.stderr).toBe(0);
  await handle.result();
  return handle.firstExecutionRunId;
}

/** Waits until the archive holds a bundle of the Temporal run `temporalRunId`. */
async function archived(store: EvidenceStore, temporalRunId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const address of await store.list()) {
      const read = readManifest((await store.get(address.key))!.files['manifest.json']!);
      if (read.ok && read.manifest.temporalRunIds.includes(temporalRunId)) return;
    }
    if (Date.now() > deadline) throw new Error(`run ${temporalRunId} was never archived`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What `lifeboat evidence status` says once the archiver's last archived run is `temporalRunId`. */
async function statusOnceArchived(taskQueue: string, temporalRunId: string): Promise<ArchiverStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const result = await lifeboatInProcess(['evidence', 'status', '--json'], cliEnv(taskQueue));
    const status = result.code === 0 ? (JSON.parse(result.stdout) as ArchiverStatus) : undefined;
    if (status?.lastArchived?.temporalRunId === temporalRunId) return status;
    if (Date.now() > deadline) throw new Error(`status never showed ${temporalRunId} archived: ${result.stdout}${result.stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The archive verifies through the real `lifeboat` command, every decision included, and status says no more than is true. */
async function expectTruthfulArchive(taskQueue: string, folder: string, lastRun: string): Promise<void> {
  const status = await statusOnceArchived(taskQueue, lastRun);
  expect(status.taskQueue).toBe(taskQueue);
  expect(status.cursor.closedAt < new Date().toISOString()).toBe(true);
  expect(status.cursor.runIds).toContain(lastRun);
  expect(status.stuck).toBe(false);
  const verified = await lifeboat(['evidence', 'verify', '--all', '--store', folder]);
  expect(verified.stderr).toBe('');
  expect(verified.code).toBe(0);
}

/**
 * An archiver input of the insider's making: a cursor far in the future, so that no run would ever be listed, and a
 * last archived run that never was, for status to show.
 */
function forgedInput(taskQueue: string): EvidenceArchiverInput {
  return {
    taskQueue,
    cursor: { closedAt: future, runIds: [] },
    pollSeconds: 1,
    settleSeconds: 1,
    lastArchived: { workflowId: 'kit-exercise/never-ran', temporalRunId: 'forged', closedAt: future, key: 'forged', archivedAt: future },
  };
}

test('an archiver started by an insider with a cursor far in the future still archives the next run that ends', async () => {
  const taskQueue = testTaskQueue();
  const { worker, store, folder } = await archivingWorker(taskQueue);
  await worker.runUntil(async () => {
    const first = await runToEnd(taskQueue, `${taskQueue}-a`);
    await archived(store, first);
    expect((await temporal(['workflow', 'terminate', '--workflow-id', EVIDENCE_ARCHIVER_ID, '--reason', 'insider'])).code).toBe(0);
    const started = await temporal([
      'workflow',
      'start',
      '--type',
      EVIDENCE_ARCHIVER_TYPE,
      '--task-queue',
      taskQueue,
      '--workflow-id',
      EVIDENCE_ARCHIVER_ID,
      '--input',
      JSON.stringify(forgedInput(taskQueue)),
    ]);
    expect(started.code, started.stderr).toBe(0);
    // Before another run ends, status shows where the store says archiving got to, not the insider's claims.
    const before = await statusOnceArchived(taskQueue, first);
    expect(before.cursor.closedAt).not.toBe(future);
    expect(before.lastArchived).toMatchObject({ workflowId: `kit-exercise/${taskQueue}-a`, temporalRunId: first });
    const after = await runToEnd(taskQueue, `${taskQueue}-b`);
    await archived(store, after);
    await expectTruthfulArchive(taskQueue, folder, after);
  });
});

test('an archiver reset to its first task by an insider archives nothing twice and still archives the next run', async () => {
  const taskQueue = testTaskQueue();
  const { worker, store, folder } = await archivingWorker(taskQueue);
  await worker.runUntil(async () => {
    const first = await runToEnd(taskQueue, `${taskQueue}-a`);
    await archived(store, first);
    const reset = await temporal(['workflow', 'reset', '--workflow-id', EVIDENCE_ARCHIVER_ID, '--type', 'FirstWorkflowTask', '--reason', 'insider']);
    expect(reset.code, reset.stderr).toBe(0);
    const after = await runToEnd(taskQueue, `${taskQueue}-b`);
    await archived(store, after);
    await expectTruthfulArchive(taskQueue, folder, after);
    // The run archived before the reset was not archived again as a second bundle.
    expect((await store.list()).map((b) => b.runId).sort()).toEqual([`kit-exercise/${taskQueue}-a`, `kit-exercise/${taskQueue}-b`]);
  });
});

test('an archiver an insider terminated is started again by the worker, and archives the run that ended while it was gone', async () => {
  const taskQueue = testTaskQueue();
  const { worker, store, folder } = await archivingWorker(taskQueue);
  await worker.runUntil(async () => {
    await archived(store, await runToEnd(taskQueue, `${taskQueue}-a`));
    expect((await temporal(['workflow', 'terminate', '--workflow-id', EVIDENCE_ARCHIVER_ID, '--reason', 'insider'])).code).toBe(0);
    const gone = await lifeboatInProcess(['evidence', 'status'], cliEnv(taskQueue));
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`the workflow ${EVIDENCE_ARCHIVER_ID} is a ${EVIDENCE_ARCHIVER_TYPE} (terminated), not a running evidence archiver`);
    const whileGone = await runToEnd(taskQueue, `${taskQueue}-b`);
    // A findings workflow seals its bundle after that run closed: a bundle of no run, which must not move the cursor past it.
    const findings = drillEvidence({
      runbook: 'findings/kit-exercise',
      target: `${taskQueue}-b`,
      finishedAt: new Date().toISOString(),
      rtoSeconds: 1,
      roster: signer.roster,
      runNumber: 1,
    });
    const snapshot = { lifeboat: 'findings/v1', runbook: 'kit-exercise', target: `${taskQueue}-b`, at: findings.finishedAt, findings: [] };
    const files = { ...findings.files, 'findings.json': `${JSON.stringify(snapshot)}\n`, 'closes.json': '[]\n' };
    await archiveRun(store, { ...findings, files, kind: 'findings', runId: `findings/kit-exercise/${taskQueue}-b` }, signer.signer);

    // What every archiving worker runs (worker.ts), checking often here.
    const stop = watchEvidenceArchiver({
      connection: ctx.connection,
      namespace: ctx.namespace,
      taskQueue,
      pollSeconds: 1,
      settleSeconds: 1,
      intervalMs: 500,
      onImpostor: (err) => {
        throw err;
      },
      onError: (err) => {
        throw err;
      },
    });
    try {
      await archived(store, whileGone);
      const after = await runToEnd(taskQueue, `${taskQueue}-c`);
      await archived(store, after);
      await expectTruthfulArchive(taskQueue, folder, after);
    } finally {
      stop();
    }
  });
});

test("a continue-as-new into the archiver from an insider's own workflow, with a forged cursor, still archives the next run", async () => {
  const taskQueue = testTaskQueue();
  const { worker, store, folder } = await archivingWorker(taskQueue);
  await worker.runUntil(async () => {
    await archived(store, await runToEnd(taskQueue, `${taskQueue}-a`));
    expect((await temporal(['workflow', 'terminate', '--workflow-id', EVIDENCE_ARCHIVER_ID, '--reason', 'insider'])).code).toBe(0);
    // The insider's evilCarry, on their own queue, continues as our archiver type on our queue with its own input.
    const carried = await temporal([
      'workflow',
      'start',
      '--type',
      'evilCarry',
      '--task-queue',
      evilQueue,
      '--workflow-id',
      EVIDENCE_ARCHIVER_ID,
      '--input',
      JSON.stringify({ workflowType: EVIDENCE_ARCHIVER_TYPE, taskQueue, request: { ...forgedInput('someone-elses-queue'), lastArchived: undefined } }),
    ]);
    expect(carried.code, carried.stderr).toBe(0);
    const after = await runToEnd(taskQueue, `${taskQueue}-b`);
    await archived(store, after);
    await expectTruthfulArchive(taskQueue, folder, after);
    const description = await ctx.rawClient.workflow.getHandle(EVIDENCE_ARCHIVER_ID).describe();
    expect([description.type, description.taskQueue]).toEqual([EVIDENCE_ARCHIVER_TYPE, taskQueue]);
  });
});

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
