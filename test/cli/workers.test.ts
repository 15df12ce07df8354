import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest';
import { freePort } from '../../lib/free-port';
import { publishRosterLoadable } from '../../lib/roster-metrics';
import { workflowPollers } from '../../lib/task-queue-pollers';
import { installRuntime } from '../../lib/telemetry';
import { createWorkerFactsWorker } from '../../lib/worker-facts-worker';
import { lifeboatInProcess } from '../helpers/cli';
import { sealTestRoster, testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, createTestWorker, type TemporalTestContext } from '../helpers/temporal';

/*
 * `lifeboat workers` asks every worker polling the task queue, on the worker's own queue, which build, roster, targets
 * file and trust root it uses, and flags the one that differs or cannot load its roster. Two in-process workers stand
 * for two regions: each is a main worker (identity region-a or region-b) and its facts worker, as `lifeboat worker` runs.
 */

let ctx: TemporalTestContext;
/** Region B's own connection: the SDK allows one worker per task queue on a connection, and a region has its own. */
let connectionB: NativeConnection;
const suffix = randomUUID().slice(0, 8);
const taskQueue = `workers-${suffix}`;
const identities = { a: `region-a-${suffix}`, b: `region-b-${suffix}` };
const running: { worker: Worker; done: Promise<void> }[] = [];
let factsB: { worker: Worker; done: Promise<void> } | undefined;
let dir: string;
let metricsUrl: string;
let targetsPath: string;
const pollingIdentities = async () => (await workflowPollers(ctx.rawClient, taskQueue)).map((p) => p.identity);
/** Readiness's workers-agree check, as `lifeboat readiness` shows it for paging-check on this task queue. */
async function workersAgree(): Promise<{ ready: boolean; reason: string; fix?: string }> {
  const out = await lifeboatInProcess(['readiness', 'paging-check', '--json'], env());
  const { checks } = JSON.parse(out.stdout) as { checks: { name: string; ready: boolean; reason: string; fix: string }[] };
  const { ready, reason, fix } = checks.find((c) => c.name === 'workers-agree')!;
  return ready ? { ready, reason } : { ready, reason, fix };
}
const env = () => ({ TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });

function start(worker: Worker) {
  const run = { worker, done: worker.run() };
  running.push(run);
  return run;
}

/** Replaces region B's facts worker with one that reads `rosterPath`, as a redeploy of region B with that roster. */
async function regionBUses(rosterPath: string) {
  if (factsB) {
    factsB.worker.shutdown();
    await factsB.done;
  }
  factsB = start(
    await createWorkerFactsWorker({
      connection: connectionB,
      namespace: ctx.namespace,
      identity: identities.b,
      rosterPath,
      trustRoot: testTrustRoot(),
      targetsPath,
    }),
  );
}

beforeAll(async () => {
  // The runtime is the process's: install it with a metrics endpoint before the helpers install a quiet one.
  const address = `127.0.0.1:${await freePort()}`;
  installRuntime({ metricsAddress: address }, { LIFEBOAT_LOG_LEVEL: 'WARN' });
  metricsUrl = `http://${address}/metrics`;
  ctx = await connectToTestServer();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-workers-'));
  targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ services: {} }));
  connectionB = await NativeConnection.connect({ address: ctx.address });
  start((await createTestWorker(ctx, taskQueue, {}, targetsPath, { identity: identities.a })).worker);
  start((await createTestWorker({ ...ctx, nativeConnection: connectionB }, taskQueue, {}, targetsPath, { identity: identities.b })).worker);
  start(
    await createWorkerFactsWorker({
      connection: ctx.nativeConnection,
      namespace: ctx.namespace,
      identity: identities.a,
      rosterPath: inject('testRosterPath'),
      trustRoot: testTrustRoot(),
      targetsPath,
    }),
  );
  await regionBUses(inject('testRosterPath'));
  // Both regions are listed once each has polled; a poll may land on any partition of the queue.
  await vi.waitFor(async () => expect(await pollingIdentities()).toEqual(expect.arrayContaining([identities.a, identities.b])), {
    timeout: 20_000,
    interval: 200,
  });
}, 60_000);

afterAll(async () => {
  for (const r of running) if (r.worker.getState() === 'RUNNING') r.worker.shutdown();
  await Promise.allSettled(running.map((r) => r.done));
  await connectionB?.close();
  await ctx?.close();
});

interface Row {
  identity: string;
  facts?: { build: string; roster: { digest?: string; error?: string } };
  problems: string[];
}

test('two workers with the same roster, targets file and trust root: both listed, exit 0', async () => {
  const listed = await lifeboatInProcess(['workers'], env());
  expect(listed.code, listed.stdout + listed.stderr).toBe(0);
  const lines = listed.stdout.split('\n');
  for (const identity of Object.values(identities)) expect(lines.find((l) => l.startsWith(identity))).toMatch(/ sha256:[0-9a-f]{12} .* ok$/);
  expect(listed.stdout).toContain(`all 2 worker(s) on ${taskQueue} run the same build, roster, targets file and trust root`);
  // Readiness judges by the same survey.
  expect(await workersAgree()).toEqual({ ready: true, reason: 'all 2 worker(s) answer and run the same build, roster, targets file and trust root' });
}, 60_000);

test('region B with another sealed roster: exit 1, and the rows say the roster digest differs', async () => {
  const other = join(dir, 'roster-other.json');
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as { groups: Record<string, string> };
  writeFileSync(other, JSON.stringify({ ...roster, groups: { ...roster.groups, [`extra-${suffix}`]: 'only in region B' } }));
  const sealedDigest = await sealTestRoster(other);
  await regionBUses(other);
  const listed = await lifeboatInProcess(['workers', '--json'], env());
  expect(listed.code, listed.stderr).toBe(1);
  const { agreed, workers } = JSON.parse(listed.stdout) as { agreed: boolean; workers: Row[] };
  expect(agreed).toBe(false);
  const b = workers.find((w) => w.identity === identities.b)!;
  const a = workers.find((w) => w.identity === identities.a)!;
  expect(b.facts?.roster.digest).toBe(sealedDigest);
  expect(a.facts?.roster.digest).not.toBe(sealedDigest);
  // Two workers, two rosters: no majority, so both are flagged for a person to decide; nothing else differs.
  expect(b.problems).toEqual([expect.stringMatching(/^roster digest differs between workers \(no majority\): this one has sha256:/)]);
  expect(a.problems).toEqual([expect.stringMatching(/^roster digest differs between workers/)]);
}, 60_000);

test('region B with a roster edited after sealing: exit 1, its row says why the roster cannot be loaded, region A is ok', async () => {
  const edited = join(dir, 'roster-edited.json');
  copyFileSync(inject('testRosterPath'), edited);
  const roster = JSON.parse(readFileSync(edited, 'utf8')) as { groups: Record<string, string> };
  writeFileSync(edited, JSON.stringify({ ...roster, groups: { ...roster.groups, unsigned: 'added later' } }));
  await regionBUses(edited);
  const listed = await lifeboatInProcess(['workers'], env());
  expect(listed.code, listed.stderr).toBe(1);
  const lines = listed.stdout.split('\n');
  expect(lines.find((l) => l.startsWith(identities.b))).toMatch(/ CANNOT LOAD .* DIFFERS$/);
  expect(lines.find((l) => l.startsWith(identities.a))).toMatch(/ ok$/);
  expect(listed.stdout).toMatch(new RegExp(`^${identities.b}: roster cannot be loaded: .*signed by 0 of the 2 roster admins`, 'm'));
  expect(listed.stdout).toContain('WORKERS DIFFER');
}, 60_000);

test('readiness judges by the same survey: while region B cannot load its roster, every runbook is not ready, naming the worker and the fix', async () => {
  // Region B still runs the roster edited after sealing, from the test before.
  const check = await workersAgree();
  expect(check.ready).toBe(false);
  expect(check.reason).toMatch(new RegExp(`^${identities.b}: roster cannot be loaded: .*signed by 0 of the 2 roster admins`));
  expect(check.reason).not.toContain(`${identities.a}:`);
  expect(check.fix).toContain('lifeboat workers');
}, 60_000);

test('the roster gauge says 0 for the worker whose roster cannot be loaded, 1 for the other', async () => {
  const edited = join(dir, 'roster-edited-gauge.json');
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as { groups: Record<string, string> };
  writeFileSync(edited, JSON.stringify({ ...roster, groups: { ...roster.groups, unsigned: 'added later' } }));
  const stops = [
    publishRosterLoadable({ identity: identities.a, rosterPath: inject('testRosterPath'), trustRoot: testTrustRoot(), intervalMs: 200 }),
    publishRosterLoadable({ identity: identities.b, rosterPath: edited, trustRoot: testTrustRoot(), intervalMs: 200 }),
  ];
  try {
    const gauge = async () => {
      const text = await (await fetch(metricsUrl)).text();
      const values = new Map<string, string>();
      for (const m of text.matchAll(/^lifeboat_worker_roster_loadable\{[^}]*identity="([^"]+)"[^}]*\} (\S+)$/gm)) values.set(m[1]!, m[2]!);
      return values;
    };
    await expect.poll(gauge, { timeout: 10_000 }).toEqual(
      new Map([
        [identities.a, '1'],
        [identities.b, '0'],
      ]),
    );
  } finally {
    for (const stop of stops) stop();
  }
}, 30_000);

test('a worker that polls the task queue but does not answer on its own queue (an older build) is flagged, naming its queue', async () => {
  const identityC = `region-c-${suffix}`;
  const connectionC = await NativeConnection.connect({ address: ctx.address });
  const c = start((await createTestWorker({ ...ctx, nativeConnection: connectionC }, taskQueue, {}, targetsPath, { identity: identityC })).worker);
  try {
    // Listed once it has polled.
    await expect.poll(pollingIdentities, { timeout: 20_000 }).toContain(identityC);
    const listed = await lifeboatInProcess(['workers', '--json'], env());
    expect(listed.code, listed.stderr).toBe(1);
    const { workers } = JSON.parse(listed.stdout) as { workers: Row[] };
    const row = workers.find((w) => w.identity === identityC)!;
    expect(row.facts).toBeUndefined();
    expect(row.problems).toEqual([
      expect.stringMatching(new RegExp(`^did not answer: .*does not serve lifeboat-worker/${identityC}; restart it on this build`)),
    ]);
  } finally {
    c.worker.shutdown();
    await c.done;
    await connectionC.close();
  }
}, 60_000);
