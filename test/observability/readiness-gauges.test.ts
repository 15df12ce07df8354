import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { freePort } from '../../lib/free-port';
import { approveUpdate, type RunResult } from '../../kit';
import { readinessScheduleId } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

interface RegionWorker {
  child: ChildProcess;
  metricsUrl: string;
  identity: string;
  printed: () => string;
}

/** A worker process of one region with its own metrics endpoint (readiness-worker-process.ts); resolves once it polls. */
async function startRegionWorker(taskQueue: string, region: string, readinessRoster: string): Promise<RegionWorker> {
  const address = `127.0.0.1:${await freePort()}`;
  const identity = `lifeboat@${region}/host-1`;
  const script = resolve(__dirname, 'readiness-worker-process.ts');
  // Both regions read the same targets file, as production deploys it: readiness's workers-agree check compares them.
  const targets = join(tmpdir(), `readiness-gauges-targets-${process.pid}.json`);
  writeFileSync(targets, JSON.stringify({ services: {} }));
  const child = spawn(process.execPath, ['-e', `require('tsx/cjs/api').register(); require(${JSON.stringify(script)})`], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: ctx.address,
      TEMPORAL_NAMESPACE: ctx.namespace,
      LIFEBOAT_TASK_QUEUE: taskQueue,
      LIFEBOAT_TEST_BUNDLE: inject('testBundlePath'),
      LIFEBOAT_ROSTER: inject('testRosterPath'),
      LIFEBOAT_TRUST_ROOT: inject('testTrustRootPath'),
      LIFEBOAT_READINESS_ROSTER: readinessRoster,
      LIFEBOAT_TARGETS: targets,
      LIFEBOAT_METRICS_ADDRESS: address,
      LIFEBOAT_WORKER_IDENTITY: identity,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((ready, reject) => {
    child.stdout!.on('data', () => out.includes('ready') && ready());
    child.on('exit', (code) => reject(new Error(`worker ${identity} exited (${code}) before it was ready: ${err}`)));
  });
  return { child, metricsUrl: `http://${address}/metrics`, identity, printed: () => out };
}

/** One Lifeboat gauge for one runbook and target on one worker's endpoint, or undefined when it has no such sample. */
async function gauge(worker: RegionWorker, name: string, target: string): Promise<number | undefined> {
  const text = await (await fetch(worker.metricsUrl)).text();
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.runbook === 'paging-check' && labels.target === target) return Number(match[3]);
  }
  return undefined;
}

/** The identity of the worker that completed a workflow's last workflow task. */
async function ranBy(workflowId: string, runId: string): Promise<string | undefined> {
  const history = await ctx.client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events
    ?.map((e) => e.workflowTaskCompletedEventAttributes?.identity)
    .filter(Boolean)
    .at(-1) as string | undefined;
}

test(
  'after a ready evaluation on region A and a not-ready one on region B, both workers export ready 0 for it, with an age that grows',
  { timeout: 240_000 },
  async () => {
    const taskQueue = testTaskQueue();
    // The gate's approvers are the team's roster group. Each test file has a namespace of its own, so this team's runs
    // and schedule are this test's alone.
    const team = 'sre-oncall';
    const scheduleId = readinessScheduleId('paging-check', team);
    const readinessRoster = join(tmpdir(), `readiness-gauges-${taskQueue}.json`);
    writeFileSync(readinessRoster, readFileSync(inject('testRosterPath')));
    const workers: RegionWorker[] = [];
    try {
      const a = await startRegionWorker(taskQueue, 'region-a', readinessRoster);
      workers.push(a);

      // paging-check is ready once drilled and once a real page of the team was acknowledged.
      const drill = await ctx.client.workflow.execute('pagingCheck', {
        taskQueue,
        workflowId: `paging-check/${team}`,
        args: [{ input: { team }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
      });
      expect((drill as RunResult).state).toBe('succeeded');
      const page = await ctx.client.workflow.start('pagingCheck', {
        taskQueue,
        workflowId: `paging-check/${team}`,
        args: [{ input: { team }, requestedBy: 'alice' }],
      });
      await waitForStatus(page, (s) => s.state === 'waiting-approval');
      await page.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
      expect(((await page.result()) as RunResult).state).toBe('succeeded');
      // Readiness reads the runs from visibility, which follows their close within moments.
      const cli = (args: string[]) => lifeboatInProcess(args, { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
      await expect
        .poll(async () => (await cli(['readiness', 'paging-check', '--target', team, '--as', 'alice'])).code, { timeout: 30_000, interval: 500 })
        .toBe(0);

      // The schedule's first evaluation runs at once, on region A: the only worker polling.
      const scheduled = await cli(['readiness', 'schedule', 'paging-check', '--target', team, '--every', '1h', '--as', 'alice']);
      expect(scheduled.stderr).toBe('');
      await expect.poll(() => gauge(a, 'lifeboat_readiness_ready', team), { timeout: 30_000, interval: 300 }).toBe(1);
      expect(await gauge(a, 'lifeboat_readiness_interval_seconds', team)).toBe(3600);

      // Region B starts and, without having run an evaluation, reports the one A ran; then A stops taking work.
      const b = await startRegionWorker(taskQueue, 'region-b', readinessRoster);
      workers.push(b);
      await expect.poll(() => gauge(b, 'lifeboat_readiness_ready', team), { timeout: 30_000, interval: 300 }).toBe(1);
      a.child.stdin!.write('stop polling\n');
      await expect.poll(() => a.printed(), { timeout: 30_000 }).toContain('stopped');

      // The sre-oncall people lose their keys: the next evaluation, on region B, is not ready.
      const roster = JSON.parse(readFileSync(readinessRoster, 'utf8')) as { people: { groups: string[]; keys?: string[] }[] };
      for (const person of roster.people) if (person.groups.includes('sre-oncall')) person.keys = [];
      writeFileSync(readinessRoster, JSON.stringify(roster));
      await ctx.client.schedule.getHandle(scheduleId).trigger();
      const history = async () => JSON.parse((await cli(['readiness', 'history', 'paging-check', '--target', team, '--json'])).stdout) as { ready: boolean }[];
      await expect.poll(async () => (await history()).map((e) => e.ready), { timeout: 30_000, interval: 500 }).toEqual([false, true]);
      const evaluations = [];
      for await (const wf of ctx.client.workflow.list({ query: `TemporalScheduledById = '${scheduleId}'` })) evaluations.push(wf);
      evaluations.sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
      expect(await Promise.all(evaluations.map((wf) => ranBy(wf.workflowId, wf.runId)))).toEqual([a.identity, b.identity]);

      // Every worker's endpoint says not ready, A's too, though the last evaluation A ran said ready.
      for (const worker of [a, b]) {
        await expect.poll(() => gauge(worker, 'lifeboat_readiness_ready', team), { timeout: 30_000, interval: 300 }).toBe(0);
        expect(await gauge(worker, 'lifeboat_readiness_checks_failing', team)).toBe(1);
      }
      // The age is that of the latest evaluation, and grows until the next one.
      const first = await Promise.all([a, b].map((w) => gauge(w, 'lifeboat_readiness_evaluated_age_seconds', team)));
      for (const age of first) expect(age).toBeLessThan(60);
      await new Promise((r) => setTimeout(r, 1_500));
      const later = await Promise.all([a, b].map((w) => gauge(w, 'lifeboat_readiness_evaluated_age_seconds', team)));
      for (const [i, age] of later.entries()) expect(age).toBeGreaterThan(first[i]! + 0.5);
    } finally {
      await ctx.client.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
      for (const { child } of workers) child.kill('SIGTERM');
      rmSync(readinessRoster, { force: true });
    }
  },
);
