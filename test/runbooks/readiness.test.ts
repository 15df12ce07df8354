import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createReadinessActivities } from '../../activities/readiness';
import { targetsAccess } from '../../activities/targets';
import { stopCluster } from '../../estate/postgres-cluster';
import { estateLayout } from '../../estate/state-dir';
import type { TestEstate } from '../../estate/testing';
import { runbooks as catalog } from '../../runbooks';
import { approveUpdate, type RunResult, type Notification } from '../../kit';
import { type ReadinessEvaluation } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
let estate: TestEstate;
let targetsPath: string;

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ fleetHosts: 4 }, 'readiness'));
});
afterAll(() => closeRunbookSuite({ ctx, estate }, ['paging-check/sre-oncall']));

// The CLI reads the suite's targets file, as the worker does: without --target it checks the region runbooks for each of its services.
const cli = (taskQueue: string, args: string[]) =>
  lifeboatInProcess(args, { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue, LIFEBOAT_TARGETS: targetsPath });
const checkOf = (evaluation: ReadinessEvaluation, name: string) => evaluation.checks.find((c) => c.name === name)!;

/** A copy of the test roster, changed by `edit`, that a worker reads at each check. */
function rosterCopy(name: string, edit: (roster: { people: { id: string; groups: string[]; keys?: string[] }[] }) => void = () => undefined): string {
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8'));
  edit(roster);
  const path = join(tmpdir(), `readiness-${name}-${process.pid}.json`);
  writeFileSync(path, JSON.stringify(roster));
  return path;
}
const withoutKeys = (group: string) => (roster: { people: { groups: string[]; keys?: string[] }[] }) => {
  for (const person of roster.people) if (person.groups.includes(group)) person.keys = [];
};

test('paging-check is not ready until it was drilled and a page was acknowledged; then ready, exit 0', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath, { factsWorker: true });
  await worker.runUntil(async () => {
    const before = await cli(taskQueue, ['readiness', 'paging-check', '--json']);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(1);
    const notReady = JSON.parse(before.stdout) as ReadinessEvaluation;
    expect(notReady).toMatchObject({ runbook: 'paging-check', target: 'sre-oncall', ready: false });
    expect(checkOf(notReady, 'approvers').ready).toBe(true);
    expect(checkOf(notReady, 'last-drill')).toMatchObject({
      ready: false,
      reason: 'no finished drill of paging-check on sre-oncall',
      fix: expect.stringMatching(/drill/),
    });
    expect(checkOf(notReady, 'page-acknowledged')).toMatchObject({ ready: false, reason: 'no acknowledged paging check of sre-oncall yet' });

    const drill = await ctx.client.workflow.execute('pagingCheck', {
      taskQueue,
      workflowId: 'paging-check/sre-oncall',
      args: [{ input: { team: 'sre-oncall' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
    });
    expect((drill as RunResult).state).toBe('succeeded');
    const page = await ctx.client.workflow.start('pagingCheck', {
      taskQueue,
      workflowId: 'paging-check/sre-oncall',
      args: [{ input: { team: 'sre-oncall' }, requestedBy: 'alice' }],
    });
    await waitForStatus(page, (s) => s.state === 'waiting-approval');
    await page.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
    expect(((await page.result()) as RunResult).state).toBe('succeeded');

    // Visibility follows the runs' close within moments.
    await expect.poll(async () => (await cli(taskQueue, ['readiness', 'paging-check'])).code, { timeout: 20_000, interval: 500 }).toBe(0);
    const after = await cli(taskQueue, ['readiness', 'paging-check']);
    expect(after.stdout).toMatch(/page-acknowledged\s+ready\s+erin acknowledged a page of sre-oncall/);
    expect(after.stdout).toMatch(/last-drill\s+ready\s+the last drill passed/);
    expect(after.stdout.trim().split('\n').at(-1)).toBe('ready');
  });
});

test('approvers: sre-leads without keys, or a requester who is one of the two leads, leave region-failover not ready', async () => {
  const taskQueue = testTaskQueue();
  const keyless = createReadinessActivities({ access: targetsAccess(targetsPath), rosterPath: rosterCopy('keyless', withoutKeys('sre-leads')) });
  const { worker } = await createTestWorker(ctx, taskQueue, keyless, targetsPath, { factsWorker: true });
  await worker.runUntil(async () => {
    const out = await cli(taskQueue, ['readiness', 'region-failover', '--target', 'booking', '--as', 'alice', '--json']);
    expect(out.code).toBe(1);
    expect(checkOf(JSON.parse(out.stdout), 'approvers')).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/gate approve needs 2 approval\(s\) but only 0 eligible people have keys \(no keys: bob, carol\)/),
    });
    const text = await cli(taskQueue, ['readiness', 'region-failover', '--as', 'alice']);
    expect(text.stdout).toMatch(/approvers\s+NOT READY\s+gate approve needs 2/);
    expect(text.stdout).toContain('add people with keys');
  });
  const taskQueue2 = testTaskQueue();
  const { worker: keyed } = await createTestWorker(ctx, taskQueue2, {}, targetsPath, { factsWorker: true });
  await keyed.runUntil(async () => {
    const asAlice = JSON.parse(
      (await cli(taskQueue2, ['readiness', 'region-failover', '--target', 'booking', '--as', 'alice', '--json'])).stdout,
    ) as ReadinessEvaluation;
    expect(checkOf(asAlice, 'approvers').ready).toBe(true);
    const asBob = JSON.parse(
      (await cli(taskQueue2, ['readiness', 'region-failover', '--target', 'booking', '--as', 'bob', '--json'])).stdout,
    ) as ReadinessEvaluation;
    expect(checkOf(asBob, 'approvers')).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/only 1 eligible people have keys, not counting the requester bob/),
    });
  });
});

test('a readiness schedule fires on the dev server, history shows each evaluation, and each change notifies once with the reason', async () => {
  const taskQueue = testTaskQueue();
  const rosterPath = rosterCopy('scheduled');
  const notes: Notification[] = [];
  const { worker } = await createTestWorker(
    ctx,
    taskQueue,
    { ...createReadinessActivities({ access: targetsAccess(targetsPath), rosterPath }), notify: async (n: Notification) => void notes.push(n) },
    targetsPath,
    { factsWorker: true },
  );
  const scheduleId = 'readiness/paging-check/sre-oncall';
  const history = async () => JSON.parse((await cli(taskQueue, ['readiness', 'history', 'paging-check', '--json'])).stdout) as ReadinessEvaluation[];
  await worker.runUntil(async () => {
    const created = await cli(taskQueue, ['readiness', 'schedule', 'paging-check', '--every', '3s', '--as', 'alice', '--json']);
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toEqual({ scheduleId, runbook: 'paging-check', target: 'sre-oncall', every: '3s' });
    try {
      await expect.poll(async () => (await history()).filter((e) => e.ready).length, { timeout: 30_000, interval: 1_000 }).toBeGreaterThanOrEqual(2);
      expect(notes).toEqual([]);

      writeFileSync(rosterPath, readFileSync(rosterCopy('scheduled-keyless', withoutKeys('sre-oncall'))));
      await expect.poll(async () => (await history()).findIndex((e) => e.ready), { timeout: 30_000, interval: 1_000 }).toBeGreaterThanOrEqual(2);
      const [newest] = await history();
      expect(newest).toMatchObject({ ready: false, target: 'sre-oncall' });
      expect(checkOf(newest!, 'approvers').reason).toMatch(/gate acknowledge needs 1 approval\(s\) but only 0 eligible people have keys/);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatchObject({
        kind: 'readiness',
        runId: scheduleId,
        title: 'paging-check on sre-oncall is NOT READY',
        text: expect.stringMatching(/^approvers: gate acknowledge needs 1/),
      });

      writeFileSync(rosterPath, readFileSync(inject('testRosterPath')));
      await expect.poll(async () => (await history()).findIndex((e) => !e.ready), { timeout: 30_000, interval: 1_000 }).toBeGreaterThanOrEqual(2);
      expect(notes.map((n) => n.title)).toEqual(['paging-check on sre-oncall is NOT READY', 'paging-check on sre-oncall is ready again']);
      const all = await history();
      expect(all.filter((e) => e.changed).map((e) => e.changed)).toEqual([
        { from: false, to: true, notified: true },
        { from: true, to: false, notified: true },
      ]);
      const text = await cli(taskQueue, ['readiness', 'history', 'paging-check']);
      expect(text.stdout).toMatch(/NOT READY\s+ready -> not ready \(notified\)\s+approvers: gate acknowledge/);
    } finally {
      await ctx.client.schedule.getHandle(scheduleId).delete();
    }
  });
});

test('region-failover: the estate checks pass on a healthy estate, and a stopped standby is not ready with the reason and the fix', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath, { factsWorker: true });
  await worker.runUntil(async () => {
    const healthy = JSON.parse((await cli(taskQueue, ['readiness', 'region-failover', '--target', 'booking', '--json'])).stdout) as ReadinessEvaluation;
    for (const name of ['standby-streaming', 'load-balancer-reaches-target', 'target-service-healthy'])
      expect(checkOf(healthy, name)).toMatchObject({ ready: true });
    expect(checkOf(healthy, 'standby-streaming').reason).toMatch(/region B's standby streams, \d+ bytes/);
    expect(checkOf(healthy, 'dependencies-ready')).toMatchObject({ ready: true, reason: 'no dependencies' });
    // No drill of region-failover ran in this namespace, so it is not ready as a whole.
    expect(checkOf(healthy, 'last-drill').ready).toBe(false);

    await stopCluster(estateLayout(estate.dir).pgData('B'), 'immediate');
    const out = await cli(taskQueue, ['readiness', 'region-failover', '--target', 'booking']);
    expect(out.code).toBe(1);
    expect(out.stdout).toMatch(/standby-streaming\s+NOT READY\s+the standby in region B is unreachable/);
    expect(out.stdout).toMatch(/target-service-healthy\s+NOT READY\s+the booking service in region B cannot reach its database/);
    expect(out.stdout).toContain('restart replication on the standby');
    expect(out.stdout.trim().split('\n').at(-1)).toBe('NOT READY: region-failover on booking');
  });
});

test('every runbook declares its checks, the plan shows them, and readiness without a runbook checks them all', async () => {
  const plan = JSON.parse((await lifeboatInProcess(['plan', 'isolate-vendor-module', '--json'])).stdout) as { readiness: { name: string }[] };
  expect(plan.readiness.map((c) => c.name)).toEqual(['approvers', 'workers-agree', 'fleet-api', 'last-known-good', 'last-drill', 'findings']);
  expect((await lifeboatInProcess(['plan', 'manual-booking-mode'])).stdout).toMatch(
    /Readiness checks[^\n]*\n {2}- approvers — [^\n]*\n[^\n]*\n {2}- workers-agree — [^\n]*\n[^\n]*\n {2}- ledger-writable/,
  );
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath, { factsWorker: true });
  await worker.runUntil(async () => {
    const all = await cli(taskQueue, ['readiness', '--json']);
    expect(all.code).toBe(1);
    const { runbooks } = JSON.parse(all.stdout) as { runbooks: ReadinessEvaluation[] };
    const byId = Object.fromEntries(runbooks.map((e) => [e.runbook, e]));
    // Every runbook of the catalog (runbooks/index.ts), so a new runbook is checked here without editing this test.
    expect(Object.keys(byId).sort()).toEqual(Object.keys(catalog).sort());
    expect(checkOf(byId['isolate-vendor-module']!, 'fleet-api')).toMatchObject({
      ready: true,
      reason: expect.stringMatching(/the fleet API answers: 4 hosts/),
    });
    expect(checkOf(byId['isolate-vendor-module']!, 'last-known-good').ready).toBe(true);
    expect(checkOf(byId['manual-booking-mode']!, 'ledger-writable')).toMatchObject({ ready: true });
    expect(checkOf(byId['manual-booking-mode']!, 'stations-known')).toMatchObject({
      ready: false,
      reason: expect.stringMatching(/lists no stations/),
      fix: expect.stringMatching(/stations/),
    });
  });
});

test('status, the report and drill history show the scheduled readiness last evaluated before the run', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath, { factsWorker: true });
  const scheduleId = 'readiness/paging-check/sre-oncall';
  await worker.runUntil(async () => {
    // An hour apart, so the one evaluation made at once is the last before the run.
    const scheduledAt = Date.now();
    expect((await cli(taskQueue, ['readiness', 'schedule', 'paging-check', '--every', '1h', '--as', 'alice'])).code).toBe(0);
    try {
      const history = async () => JSON.parse((await cli(taskQueue, ['readiness', 'history', 'paging-check', '--json'])).stdout) as ReadinessEvaluation[];
      // The history also lists the earlier test's evaluations (the same schedule id, every 3 s) until this schedule's
      // own one is indexed: wait for that one.
      await expect
        .poll(async () => (await history()).filter((e) => Date.parse(e.checkedAt) >= scheduledAt).length, { timeout: 30_000, interval: 500 })
        .toBeGreaterThanOrEqual(1);
      const [before] = await history();
      const drill = await ctx.client.workflow.execute('pagingCheck', {
        taskQueue,
        workflowId: 'paging-check/sre-oncall',
        args: [{ input: { team: 'sre-oncall' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
      });
      expect((drill as RunResult).state).toBe('succeeded');
      const expected = `${before!.ready ? 'ready' : 'NOT READY'} at ${before!.checkedAt}`;

      const status = await cli(taskQueue, ['status', 'paging-check/sre-oncall', '--json']);
      const shown = JSON.parse(status.stdout) as {
        startedAt: string;
        readinessBeforeRun: { scheduleId: string; summary: string; evaluation: ReadinessEvaluation };
      };
      expect(shown.readinessBeforeRun).toMatchObject({ scheduleId, evaluation: before, summary: expect.stringContaining(expected) });
      expect(Date.parse(shown.readinessBeforeRun.evaluation.checkedAt)).toBeLessThan(Date.parse(shown.startedAt));
      expect((await cli(taskQueue, ['status', 'paging-check/sre-oncall'])).stdout).toContain(`readiness before the run: ${expected}`);
      expect((await cli(taskQueue, ['report', 'paging-check/sre-oncall'])).stdout).toContain(`Readiness before the run (${scheduleId}): ${expected}`);

      // Visibility lists the drill once its close is indexed.
      const drills = async () =>
        JSON.parse((await cli(taskQueue, ['drill', 'history', 'paging-check', '--json'])).stdout) as { readinessBeforeRun?: { summary: string } }[];
      await expect.poll(async () => (await drills())[0]?.readinessBeforeRun?.summary, { timeout: 20_000, interval: 500 }).toContain(expected);
      expect((await cli(taskQueue, ['drill', 'history', 'paging-check'])).stdout).toContain(expected);
    } finally {
      await ctx.client.schedule.getHandle(scheduleId).delete();
    }
  });
});
