import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { RunResult } from '../../kit';
import type { ArchiveSettings } from '../../cli/evidence/archive-settings';
import { createRosterActivities } from '../../activities/roster';
import { createArchiverActivities } from '../../cli/evidence/archiver-activities';
import { ArchiverImpostorError, ensureEvidenceArchiver } from '../../cli/evidence/archiver-start';
import type { ArchiverStatus } from '../../cli/evidence/archiver-status';
import { publishArchiveMetrics } from '../../lib/archive-metrics';
import { freePort } from '../../lib/free-port';
import { installRuntime } from '../../lib/telemetry';
import { readManifest, sha256Of } from '../../lib/evidence/manifest';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import type { EvidenceStore } from '../../lib/evidence/store';
import { EVIDENCE_ARCHIVER_ID } from '../../workflows/evidence-archiver';
import { createLifeboatWorker } from '../../worker';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { testTrustRoot } from '../helpers/roster-seal';
import { archiveSignerIn } from '../helpers/evidence';
import { motoEnv, startMoto, type Moto } from '../helpers/moto';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
let moto: Moto;
let dir: string;
let signer: Awaited<ReturnType<typeof archiveSignerIn>>;
const bucket = 'lifeboat-archiver';

let metricsUrl: string;

beforeAll(async () => {
  // The runtime is the process's: install it with a metrics endpoint before the helpers install a quiet one.
  const address = `127.0.0.1:${await freePort()}`;
  installRuntime({ metricsAddress: address }, { LIFEBOAT_LOG_LEVEL: 'ERROR' });
  metricsUrl = `http://${address}/metrics`;
  // A namespace of its own: the archiver's ID is fixed per namespace, and a plan's run ID is fixed per region.
  ctx = await connectToTestServer('evidence-archiver');
  moto = await startMoto();
  const s3 = new S3Client({
    endpoint: moto.endpoint,
    forcePathStyle: true,
    region: motoEnv.AWS_REGION,
    credentials: { accessKeyId: motoEnv.AWS_ACCESS_KEY_ID, secretAccessKey: motoEnv.AWS_SECRET_ACCESS_KEY },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-archiver-'));
  signer = await archiveSignerIn(dir);
});

afterAll(async () => {
  await moto?.stop();
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

// One archiver per namespace: each test starts its own and ends it, so the next test's worker can start another.
afterEach(async () => {
  await ctx.client.workflow
    .getHandle(EVIDENCE_ARCHIVER_ID)
    .terminate('test over')
    .catch(() => undefined);
});

/** The environment `lifeboat` runs with here: this test's server and task queue, and S3 through `s3Endpoint` when given. */
function cliEnv(taskQueue: string, s3Endpoint?: string): Record<string, string> {
  return { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue, ...(s3Endpoint ? { LIFEBOAT_EVIDENCE_S3_ENDPOINT: s3Endpoint, ...motoEnv } : {}) };
}

/** A worker that serves kit-exercise runs and the archiver's activities, archiving to `store`, and the archiver started. */
async function archivingWorker(taskQueue: string, store: EvidenceStore, env: Record<string, string>): Promise<Worker> {
  const settings: ArchiveSettings = {
    store,
    signer: signer.signer,
    rosterPath: join(dir, 'roster.json'),
    targetsPath: join(dir, 'no-targets.json'),
    env: { ...process.env, ...env },
  };
  // The runs load the roster the bundles hold, as a worker's do: evidence verify checks their decisions against it.
  const roster = createRosterActivities({ rosterPath: settings.rosterPath, trustRoot: testTrustRoot() });
  const { worker } = await createTestWorker(ctx, taskQueue, { ...createArchiverActivities(settings), ...roster });
  await ensureEvidenceArchiver({ connection: ctx.connection, namespace: ctx.namespace, taskQueue, pollSeconds: 1, settleSeconds: 1 });
  return worker;
}

/** Runs kit-exercise on `target` to its end: approved by bob (it succeeds), or rejected by bob (it is aborted). */
async function runToEnd(taskQueue: string, target: string, decision: 'approve' | 'reject'): Promise<RunResult> {
  const runId = `kit-exercise/${target}`;
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  const decided = await lifeboatInProcess([decision, runId, '--as', 'bob', '--comment', 'archiver test'], cliEnv(taskQueue));
  expect(decided.stderr).toBe('');
  return (await handle.result()) as RunResult;
}

/** Polls until `check` returns something; fails after 60 s with what `describe` says. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function archivedRunIds(store: EvidenceStore, count: number): Promise<string[][]> {
  return eventually(`${count} bundle(s) in ${store.location}`, async () => {
    const bundles = await store.list();
    if (bundles.length < count) return undefined;
    const manifests = await Promise.all(bundles.map(async (b) => readManifest((await store.get(b.key))!.files['manifest.json']!)));
    return manifests.map((m) => (m.ok ? m.manifest.temporalRunIds : []));
  });
}

test('runs that end, succeeded or aborted, are archived to a folder in the order they closed, chained per target, and verify through lifeboat', async () => {
  const taskQueue = testTaskQueue();
  const folder = join(dir, 'archive');
  const store = openEvidenceStore(folder);
  const worker = await archivingWorker(taskQueue, store, cliEnv(taskQueue));
  await worker.runUntil(async () => {
    const first = await runToEnd(taskQueue, `${taskQueue}-a`, 'approve');
    const second = await runToEnd(taskQueue, `${taskQueue}-b`, 'reject');
    expect([first.state, second.state]).toEqual(['succeeded', 'aborted']);
    await archivedRunIds(store, 2);
    // The same runbook and target again: its bundle is the next link of the first one's chain.
    const third = await runToEnd(taskQueue, `${taskQueue}-a`, 'approve');
    expect(third.state).toBe('succeeded');
    await archivedRunIds(store, 3);

    const status = await lifeboatInProcess(['evidence', 'status', '--json'], cliEnv(taskQueue));
    expect(status.code).toBe(0);
    const state = JSON.parse(status.stdout) as ArchiverStatus;
    expect(state.stuck).toBe(false);
    expect(state.lastArchived?.workflowId).toBe(`kit-exercise/${taskQueue}-a`);
  });

  const bundles = await store.list();
  const manifests = await Promise.all(
    bundles.map(async (b) => {
      const read = readManifest((await store.get(b.key))!.files['manifest.json']!);
      if (!read.ok) throw new Error(read.problem);
      return read.manifest;
    }),
  );
  const byClose = [...manifests].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  expect(byClose.map((m) => [m.runId, m.state])).toEqual([
    [`kit-exercise/${taskQueue}-a`, 'succeeded'],
    [`kit-exercise/${taskQueue}-b`, 'aborted'],
    [`kit-exercise/${taskQueue}-a`, 'succeeded'],
  ]);
  const [a1, b1, a2] = byClose as [(typeof byClose)[0], (typeof byClose)[0], (typeof byClose)[0]];
  expect(Object.keys(a1.files).sort()).toEqual(['history.json', 'report.html', 'report.json', 'roster.json', 'roster.seal.json', 'verify.json']);
  expect(a1.previous).toBeNull();
  expect(b1.previous).toBeNull();
  const a1Bundle = (await store.get(bundles.find((b) => b.runId === a1.runId && b.finishedAt === new Date(a1.finishedAt).toISOString())!.key))!;
  expect(a2.previous).toBe(sha256Of(a1Bundle.files['manifest.json']!));
  // What an auditor opens: the history as `temporal workflow show -o json` prints it, and verify's verdict on it.
  const history = JSON.parse(new TextDecoder().decode(a1Bundle.files['history.json'])) as { events: { eventType: string }[] };
  expect(history.events[0]!.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
  expect(JSON.parse(new TextDecoder().decode(a1Bundle.files['verify.json'])) as { ok: boolean; state: string }).toMatchObject({ ok: true, state: 'succeeded' });
  expect(new TextDecoder().decode(a1Bundle.files['report.html'])).toContain('<html');

  const verified = await lifeboat(['evidence', 'verify', '--all', '--store', folder]);
  expect(verified.stderr).toBe('');
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain('checked: 3 bundle(s) in 2 chain(s)');
  expect(verified.stdout).toContain('every file, seal and chain link verifies');
});

/** The value of an evidence archive gauge on the worker's Prometheus endpoint, as a scraper reads it. */
async function gauge(name: string): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A TCP relay to moto on a fixed port that can be cut (connections refused, as from a store that is down) and restored. */
async function cuttableRelay(to: URL): Promise<{ endpoint: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(Number(to.port), to.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  await listen();
  return { endpoint: `http://127.0.0.1:${port}`, cut, restore: listen, close: cut };
}

test('with S3 down a run still ends, evidence status and the stuck gauge name it; once S3 is back it is archived and status exits 0', async () => {
  const taskQueue = testTaskQueue();
  const relay = await cuttableRelay(new URL(moto.endpoint));
  const location = `s3://${bucket}/${taskQueue}`;
  const env = cliEnv(taskQueue, relay.endpoint);
  const store = openEvidenceStore(location, env);
  const worker = await archivingWorker(taskQueue, store, env);
  const stopGauges = publishArchiveMetrics({ connection: ctx.nativeConnection, namespace: ctx.namespace, intervalMs: 200 });
  try {
    await worker.runUntil(async () => {
      const target = `${taskQueue}-s3`;
      const runId = `kit-exercise/${target}`;
      expect((await runToEnd(taskQueue, target, 'approve')).state).toBe('succeeded');
      await archivedRunIds(store, 1);

      await relay.cut();
      // Never held up: the run ends while its evidence cannot be stored.
      const during = await runToEnd(taskQueue, target, 'approve');
      expect(during.state).toBe('succeeded');
      const stuck = await eventually('status says archiving is stuck', async () => {
        const result = await lifeboatInProcess(['evidence', 'status', '--json'], env);
        return result.code === 1 ? result : undefined;
      });
      const state = JSON.parse(stuck.stdout) as ArchiverStatus;
      expect(state.stuck).toBe(true);
      expect(state.archiving?.workflowId).toBe(runId);
      expect(state.archiving?.attempts).toBeGreaterThan(1);
      expect(state.archiving?.lastError).toMatch(/ECONNREFUSED|connect/);
      const text = await lifeboatInProcess(['evidence', 'status'], env);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`STUCK: ${runId} (run ${state.archiving!.temporalRunId}`);
      expect(text.stderr).toContain(`archiving is stuck on ${runId}`);
      expect(text.stderr).toContain(state.archiving!.lastError!);
      await expect.poll(() => gauge('lifeboat_evidence_archive_stuck'), { timeout: 10_000 }).toBe(1);
      expect(await gauge('lifeboat_evidence_archive_attempts')).toBeGreaterThan(1);

      await relay.restore();
      // A store listing can show a bundle before all its objects read back; wait until the stuck run's manifest does.
      const stuckRun = state.archiving!.temporalRunId;
      const runIds = await eventually(`the stuck run ${stuckRun} in ${store.location}`, async () => {
        const ids = (await archivedRunIds(store, 2)).flat();
        return ids.includes(stuckRun) ? ids : undefined;
      });
      expect(runIds).toContain(stuckRun);
      const after = await eventually('status exits 0', async () => {
        const result = await lifeboatInProcess(['evidence', 'status', '--json'], env);
        return result.code === 0 ? result : undefined;
      });
      expect((JSON.parse(after.stdout) as ArchiverStatus).lastArchived?.temporalRunId).toBe(state.archiving!.temporalRunId);
      await expect.poll(() => gauge('lifeboat_evidence_archive_stuck'), { timeout: 10_000 }).toBe(0);
      expect(await gauge('lifeboat_evidence_archiver_running')).toBe(1);
    });
  } finally {
    stopGauges();
    await relay.close();
  }

  const verified = await lifeboat(['evidence', 'verify', '--all', '--store', location], cliEnv(taskQueue, moto.endpoint));
  expect(verified.stderr).toBe('');
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain('checked: 2 bundle(s) in 1 chain(s)');
});

test("an insider's workflow holding the archiver's ID is named, and status refuses to say archiving works", async () => {
  const taskQueue = testTaskQueue();
  // Any other workflow under the fixed ID would keep the real archiver from starting; no worker polls its queue here.
  await ctx.rawClient.workflow.start('plainSteps', { workflowId: EVIDENCE_ARCHIVER_ID, taskQueue: `${taskQueue}-insider`, args: [1] });
  await expect(ensureEvidenceArchiver({ connection: ctx.connection, namespace: ctx.namespace, taskQueue })).rejects.toThrow(
    new ArchiverImpostorError(
      `the workflow ID ${EVIDENCE_ARCHIVER_ID} is held by a plainSteps workflow (running) on task queue ${taskQueue}-insider, not by the evidence archiver: NO RUN IS BEING ARCHIVED. Find out who started it, then terminate it (temporal workflow terminate --workflow-id ${EVIDENCE_ARCHIVER_ID}) and restart this worker`,
    ),
  );
  const status = await lifeboatInProcess(['evidence', 'status'], cliEnv(taskQueue));
  expect(status.code).toBe(1);
  expect(status.stderr).toContain(`the workflow ${EVIDENCE_ARCHIVER_ID} is a plainSteps (running), not a running evidence archiver`);
});

test('a plan that ends is archived as a plan, with its report, its verify result and the members it started', async () => {
  const taskQueue = testTaskQueue();
  const folder = join(dir, 'plans');
  const store = openEvidenceStore(folder);
  const worker = await archivingWorker(taskQueue, store, cliEnv(taskQueue));
  const runId = 'plan/evacuate-region/B';
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(
      ['run', 'evacuate-region', '--set', 'from=B', '--set', 'to=A', '--set', 'mode=planned', '--as', 'alice'],
      cliEnv(taskQueue),
    );
    expect(started.code, started.stderr).toBe(0);
    await waitForStatus(ctx.client.workflow.getHandle(runId), (s) => s.state === 'waiting-approval');
    const aborted = await lifeboatInProcess(['abort', runId, '--as', 'alice', '--reason', 'archiver test'], cliEnv(taskQueue));
    expect(aborted.code, aborted.stderr).toBe(0);
    await archivedRunIds(store, 1);
  });
  const [address] = await store.list();
  const bundle = (await store.get(address!.key))!;
  const read = readManifest(bundle.files['manifest.json']!);
  if (!read.ok) throw new Error(read.problem);
  expect(read.manifest).toMatchObject({ runId, kind: 'plan', runbook: 'plan/evacuate-region', target: 'B', state: 'aborted', members: [] });
  // Aborted before its decision, it started no member.
  expect(JSON.parse(new TextDecoder().decode(bundle.files['members.json']))).toEqual([]);
  expect(JSON.parse(new TextDecoder().decode(bundle.files['report.json'])) as { runId: string }).toMatchObject({ runId });
  expect(JSON.parse(new TextDecoder().decode(bundle.files['verify.json'])) as { ok: boolean }).toMatchObject({ ok: true });
  const verified = await lifeboat(['evidence', 'verify', '--all', '--store', folder]);
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);
});

test('a worker told to archive without an archive signer refuses to start, and says what to set', async () => {
  const starting = createLifeboatWorker({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue: testTaskQueue(),
    rosterPath: join(dir, 'roster.json'),
    trustRoot: testTrustRoot(),
    env: { LIFEBOAT_EVIDENCE_STORE: join(dir, 'unsigned-archive') },
  });
  await expect(starting).rejects.toThrow(
    `LIFEBOAT_EVIDENCE_STORE names an archive (${join(dir, 'unsigned-archive')}), but no archive signer seals its bundles`,
  );
  await expect(starting).rejects.toMatchObject({ suggestion: expect.stringContaining('set LIFEBOAT_ARCHIVE_KEY') });
});
