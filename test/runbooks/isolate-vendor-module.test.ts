import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, inject, test } from 'vitest';
import type { TestEstate } from '../../estate/testing';
import type { IsolationReport } from '../../workflows/vendor-isolation/report';
import type { HandsOnTask } from '../../workflows/vendor-isolation/hands-on-queue';
import type { WaveProgress } from '../../workflows/vendor-isolation/rollout';
import { taskSignal } from '../../workflows/vendor-isolation/messages';
import { approveUpdate, interveneUpdate, runIdFor, type RunResult, type RunStatus } from '../../kit';
import { HostScope, scopeLabel } from '../../runbooks/isolate-vendor-module';
import { lifeboatInProcess } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createHttpFleet } from '../../providers/http/fleet';

const BAD = 'C-00000291';
const GOOD = 'C-00000290';

let ctx: TemporalTestContext;
let estate: TestEstate;
let fleet: ReturnType<typeof createHttpFleet>;
let targetsPath: string;

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ loadBalancer: false, fleetHosts: 36 }, 'isolate'));
  fleet = createHttpFleet({ url: estate.catalog.fleet.url });
});
afterAll(() => closeRunbookSuite({ ctx, estate }));
beforeEach(async () => {
  await fetch(`${estate.catalog.fleet.url}/sim/reset`, { method: 'POST' });
});

const handsOnOf = (s: RunStatus) => s.details.handsOn as { open: number; tasks: HandsOnTask[] } | undefined;
const wavesOf = (s: RunStatus) => s.details.waves as WaveProgress[];

function start(taskQueue: string, input: Record<string, unknown>) {
  return ctx.client.workflow.start('isolateVendorModule', {
    taskQueue,
    workflowId: runIdFor('isolate-vendor-module', scopeLabel(HostScope.parse(input.scope ?? {}))),
    args: [{ input: { badVersion: BAD, goodVersion: GOOD, ...input }, requestedBy: 'alice' }],
  });
}

test('contains a faulty push, heals remote-fixable hosts in waves, and finishes once every hands-on host is done or waived', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const push = await fleet.pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.3 });
  const crashed = push.results.filter((r) => r.health === 'crashed').map((r) => r.hostId);
  expect(crashed.length).toBeGreaterThan(5);
  const { worker, notifications } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await start(taskQueue, { waves: { canary: 3, sizes: ['50%'], concurrency: 5 }, handsOnDeadline: '10 minutes' });
    const runId = handle.workflowId;

    // Contained before anyone is asked anything; the canary's result is in the gate's title and in status.
    const atGate = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    expect(atGate.details.blastRadius).toMatchObject({ scopeHosts: 36, affected: 36, carryingBadVersion: 36, down: crashed.length });
    expect(atGate.details.containment).toMatchObject({ pinnedTo: GOOD, hosts: 36, changed: 36 });
    expect(atGate.steps.map((s) => [s.name, s.status])).toEqual([
      ['assess', 'succeeded'],
      ['contain', 'succeeded'],
      ['canary', 'succeeded'],
      ['continueRollout:approvers', 'succeeded'],
    ]);
    expect(atGate.gates[0]!.title).toMatch(/canary fixed \d+ of 3 remotely, \d+ need hands-on repair, 0 failed/);
    const approvalNeeded = await until(async () => notifications.find((n) => n.kind === 'approval-needed'), 10_000);
    expect(approvalNeeded.title).toBe(`Approval needed: ${atGate.gates[0]!.title}`);
    expect(wavesOf(atGate).map((w) => [w.name, w.status])).toEqual([
      ['canary', 'done'],
      ['wave-1', 'planned'],
      ['wave-2', 'planned'],
    ]);
    const second = await fleet.pushContentUpdate({ version: 'C-00000292', faulty: true, crashRate: 1 });
    expect(second.counts.applied).toBe(0);
    expect(second.results.every((r) => r.reason === `update channel pinned to ${GOOD}`)).toBe(true);
    // Nothing past the canary was touched before the approval.
    const touched = (await fleet.counters()).hosts.map((h) => h.hostId);
    expect(touched.length).toBeLessThanOrEqual(3);

    await handle.executeUpdate(approveUpdate, { args: [{ by: 'erin', comment: 'canary is fine' }] });
    const waiting = await waitForStatus(handle, (s) => s.currentStep === 'handsOn' && (handsOnOf(s)?.open ?? 0) > 0);
    expect(wavesOf(waiting).every((w) => w.status === 'done')).toBe(true);
    const summary = await fleet.fleetSummary();
    expect(summary.byHealth.crashed).toBe(summary.handsOnBroken);
    const stillCrashed = (await fleet.listHosts({ health: 'crashed' })).hosts.map((h) => h.id).sort();
    const queue = handsOnOf(waiting)!;
    expect(queue.tasks.map((t) => t.host).sort()).toEqual(stillCrashed);
    expect(queue.tasks.every((t) => t.status === 'open' && /hands-on/.test(t.reason))).toBe(true);
    expect(stillCrashed.length).toBeGreaterThanOrEqual(2);

    const status = await lifeboatInProcess(['status', runId], env);
    expect(status.stdout).toContain(`hands-on: ${stillCrashed.length} open, 0 done, 0 waived`);
    for (const host of stillCrashed.slice(0, 10)) expect(status.stdout).toMatch(new RegExp(`^    ${host}: .*hands-on`, 'm'));
    expect(status.stdout).toContain(`next: lifeboat task done ${runId} <host>`);
    // The checklist a page at a time, for lists longer than status carries.
    const firstOpen = await lifeboatInProcess(['task', 'list', runId, '--open', '--limit', '1', '--json'], env);
    const page = JSON.parse(firstOpen.stdout) as { total: number; offset: number; tasks: { host: string; status: string }[] };
    expect(page).toMatchObject({ total: stillCrashed.length, offset: 0, tasks: [{ status: 'open' }] });
    expect(page.tasks).toHaveLength(1);
    expect(stillCrashed).toContain(page.tasks[0]!.host);

    // Refusals: a host not in the queue (exit 1), a waiver without a reason (exit 2).
    const unknown = await lifeboatInProcess(['task', 'done', runId, 'a-kiosk-99', '--as', 'erin'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('host a-kiosk-99 is not in the hands-on queue');
    const noReason = await lifeboatInProcess(['task', 'waive', runId, stillCrashed[0]!, '--as', 'erin'], env);
    expect(noReason.code).toBe(2);

    const [byHand, waived, ...rest] = stillCrashed;
    const done = await lifeboatInProcess(['task', 'done', runId, byHand!, '--as', 'erin'], env);
    expect(done.stderr).toBe('');
    expect(done.stdout).toContain(`erin marked ${byHand} done`);
    const again = await lifeboatInProcess(['task', 'done', runId, byHand!, '--as', 'bob'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`host ${byHand} was already done by erin`);
    const waive = await lifeboatInProcess(['task', 'waive', runId, waived!, '--as', 'bob', '--reason', 'kiosk retired'], env);
    expect(waive.code).toBe(0);
    // Open items come first, then the closed ones with who closed them.
    const listed = await lifeboatInProcess(['task', 'list', runId, '--offset', String(rest.length)], env);
    expect(listed.stdout).toContain(`hands-on items ${rest.length + 1}-${stillCrashed.length} of ${stillCrashed.length}`);
    expect(listed.stdout).toMatch(new RegExp(`^  ${byHand}\\s+done\\s+\\S+\\s+erin`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^  ${waived}\\s+waived\\s+\\S+\\s+bob\\s+kiosk retired`, 'm'));
    const badLimit = await lifeboatInProcess(['task', 'list', runId, '--limit', '5000'], env);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit: limit is at most 1000 items a page');
    // The stock signal path works too.
    for (const host of rest) await handle.signal(taskSignal, { action: 'done', host, by: 'dave' });

    const result = (await handle.result()) as RunResult<IsolationReport>;
    expect(result.state).toBe('succeeded');
    const report = result.output!;
    expect(report).toMatchObject({
      affectedHosts: 36,
      downAtStart: crashed.length,
      fixedRemotely: 36 - stillCrashed.length,
      fixedByHand: stillCrashed.length - 1,
      waivers: [{ host: waived, by: 'bob', reason: 'kiosk retired' }],
    });
    expect(report.containedAfterSeconds).toBeGreaterThanOrEqual(0);
    expect(report.recovery.p50Seconds).not.toBeNull();
    expect(report.recovery.p90Seconds!).toBeGreaterThanOrEqual(report.recovery.p50Seconds!);
    expect(report.recovery.p100Seconds).toBeNull(); // one host was waived, so never all of them
    expect(result.details.verified).toEqual({ hosts: 36, healthy: 35, waivedBroken: 1 });
    const after = await fleet.listHosts();
    expect(after.hosts.every((h) => h.agent.channel === 'pinned' && h.agent.pinnedVersion === GOOD)).toBe(true);
    expect(after.hosts.filter((h) => h.health !== 'healthy').map((h) => h.id)).toEqual([waived]);
    const counters = await fleet.counters();
    expect(counters.max.rollbacks).toBe(1);
    expect(counters.max.reboots).toBe(1);
    expect(counters.totals.repairs).toBe(stillCrashed.length - 1);
    await recordHistory(handle, 'isolate-vendor-module-crash-rate-0.3-signed');
  });
});

test('a wave over the failure threshold stops for an operator, and nothing past it is touched until they choose', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  await fleet.pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.3 });
  // Region B's kiosks drop off the console's network: the remote fix cannot reach them.
  await fetch(`${estate.catalog.fleet.url}/sim/reachability`, {
    method: 'POST',
    body: JSON.stringify({ scope: { region: 'B', role: 'kiosk' }, reachable: false }),
    headers: { 'content-type': 'application/json' },
  });
  const unreachable = (await fleet.listHosts({ health: 'unreachable' })).hosts.map((h) => h.id);
  expect(unreachable).toHaveLength(9);
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    // Region A (18 hosts) first, then B: wave-2 is B's first nine hosts, six of them kiosks; wave-3 has three.
    const handle = await start(taskQueue, { waves: { canary: 2, sizes: [16, 9], concurrency: 4 }, failureThreshold: 0.4 });
    const runId = handle.workflowId;
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const stopped = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    expect(stopped.intervention).toMatchObject({ step: 'wave-2', options: ['retry', 'skip', 'abort'] });
    expect(stopped.intervention!.error).toMatch(
      /^wave-2: 6 of 9 host\(s\) failed remotely, over the threshold of 40%: b-kiosk-01 \(unreachable from the console\)/,
    );
    expect(wavesOf(stopped).map((w) => [w.name, w.status])).toEqual([
      ['canary', 'done'],
      ['wave-1', 'done'],
      ['wave-2', 'over-threshold'],
      ['wave-3', 'planned'],
    ]);
    const lastNine = async () => (await fleet.listHosts({ region: 'B', offset: 9, limit: 9 })).hosts;
    const untouched = await lastNine();
    expect(untouched.filter((h) => h.health !== 'unreachable').length).toBe(6);
    expect(untouched.every((h) => h.agent.contentVersion === BAD && h.counters.rollbacks + h.counters.reboots + h.counters.quarantines === 0)).toBe(true);

    // Retrying changes nothing while the network is down; it stops again at the same wave.
    const retry = await lifeboatInProcess(['retry', runId, '--as', 'erin', '--reason', 'network team says it is back'], env);
    expect(retry.code).toBe(0);
    const again = await waitForStatus(handle, (s) => s.state === 'needs-intervention' && s.steps.find((x) => x.name === 'wave-2')!.attempts === 2);
    expect(again.intervention!.step).toBe('wave-2');
    expect((await lastNine()).every((h) => h.counters.rollbacks === 0)).toBe(true);

    // Skipping moves wave-2's failed hosts to the hands-on queue, and the rollout goes on with wave-3.
    const skip = await lifeboatInProcess(['skip', runId, '--as', 'erin', '--reason', 'kiosks need a visit anyway'], env);
    expect(skip.code).toBe(0);
    const queued = await waitForStatus(handle, (s) => s.currentStep === 'handsOn');
    expect(wavesOf(queued).map((w) => w.status)).toEqual(['done', 'done', 'failed-hosts-skipped', 'done']);
    const tasks = handsOnOf(queued)!.tasks;
    const skipped = tasks.filter((t) => /skipped by the operator/.test(t.reason)).map((t) => t.host);
    expect(skipped.sort()).toEqual(['b-kiosk-01', 'b-kiosk-02', 'b-kiosk-03', 'b-kiosk-04', 'b-kiosk-05', 'b-kiosk-06']);
    // Wave-3 stayed under the threshold; its three failures join the queue without stopping the run.
    expect(wavesOf(queued)[3]).toMatchObject({ hosts: 9, failed: 3 });
    expect(
      tasks
        .filter((t) => /unreachable/.test(t.reason))
        .map((t) => t.host)
        .sort(),
    ).toEqual(unreachable.sort());
    expect((await lastNine()).filter((h) => h.health !== 'unreachable').every((h) => h.agent.contentVersion === GOOD || h.handsOnOnly)).toBe(true);
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'test done' }] });
    expect(((await handle.result()) as RunResult).state).toBe('aborted');
  });
});

// The hands-on deadline's escalations are checked on the time-skipping server: isolate-vendor-module-deadline.test.ts.

test('a scope by region and several tags pins and fixes only its hosts; the rest of the fleet is left alone', async () => {
  const taskQueue = testTaskQueue();
  await fleet.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1 });
  const scoped = (await fleet.listHosts({ region: 'B', tag: 'os-windows' })).hosts.filter((h) => h.tags.includes('terminal-2')).map((h) => h.id);
  expect(scoped.length).toBeGreaterThan(2);
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await start(taskQueue, { scope: { region: 'B', tags: ['os-windows', 'terminal-2'] }, waves: { canary: 1, sizes: ['100%'] } });
    const atGate = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    expect(atGate.target).toBe('B-os-windows-terminal-2');
    expect(atGate.details.blastRadius).toMatchObject({ scopeHosts: scoped.length, affected: scoped.length });
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
    const waiting = await waitForStatus(handle, (s) => s.currentStep === 'handsOn' || s.state !== 'running');
    for (const t of handsOnOf(waiting)?.tasks ?? []) await handle.signal(taskSignal, { action: 'done', host: t.host, by: 'dave' });
    const result = (await handle.result()) as RunResult<IsolationReport>;
    expect(result.state).toBe('succeeded');
    const all = (await fleet.listHosts()).hosts;
    const inside = all.filter((h) => scoped.includes(h.id));
    const outside = all.filter((h) => !scoped.includes(h.id));
    expect(inside.every((h) => h.health === 'healthy' && h.agent.contentVersion === GOOD && h.agent.pinnedVersion === GOOD)).toBe(true);
    expect(
      outside.every(
        (h) => h.agent.channel === 'open' && h.agent.contentVersion === BAD && h.counters.rollbacks + h.counters.reboots + h.counters.repairs === 0,
      ),
    ).toBe(true);
  });
});

/** `lifeboat worker` in its own process, so the test can SIGKILL it like a crashed host would. */
function startWorkerProcess(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [resolve(__dirname, '../../bin/lifeboat.js'), 'worker'], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: ctx.address,
      LIFEBOAT_TASK_QUEUE: taskQueue,
      LIFEBOAT_TARGETS: targetsPath,
      LIFEBOAT_ROSTER: inject('testRosterPath'),
      TEMPORAL_NAMESPACE: ctx.namespace,
      LIFEBOAT_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolveReady, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${stderr}`)), 120_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('worker polling')) {
        clearTimeout(timer);
        resolveReady(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)));
  });
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('after a SIGKILL of the worker mid-wave, a new worker resumes the wave and no host is rolled back twice', async () => {
  const taskQueue = testTaskQueue();
  await fleet.pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.3 });
  const workers: ChildProcess[] = [];
  try {
    workers.push(await startWorkerProcess(taskQueue));
    const handle = await start(taskQueue, { waves: { canary: 2, sizes: ['100%'], concurrency: 2, soak: '1 second' } });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    // Kill once a few batches of wave-1 are done (the canary rolled back at most 2 hosts).
    const atKill = await until(async () => {
      const c = await fleet.counters();
      return c.totals.rollbacks >= 8 ? c : undefined;
    }, 60_000);
    workers[0]!.kill('SIGKILL');
    await until(async () => (workers[0]!.exitCode !== null || workers[0]!.signalCode !== null ? true : undefined), 10_000);
    workers.push(await startWorkerProcess(taskQueue));
    const waiting = await waitForStatus(handle, (s) => s.currentStep === 'handsOn' && (handsOnOf(s)?.open ?? 0) > 0, 120_000);
    const wave1 = wavesOf(waiting).find((w) => w.name === 'wave-1')!;
    expect(wave1.status).toBe('done');
    expect(wave1.resumedAtPosition).toBeGreaterThan(2);
    expect(waiting.steps.find((s) => s.name === 'wave-1')!.attempts).toBe(1);
    for (const t of handsOnOf(waiting)!.tasks) await handle.signal(taskSignal, { action: 'waive', host: t.host, by: 'erin', reason: 'repair after the test' });
    const result = (await handle.result()) as RunResult<IsolationReport>;
    expect(result.state).toBe('succeeded');
    const counters = await fleet.counters();
    expect(counters.totals.rollbacks).toBeGreaterThan(atKill.totals.rollbacks);
    expect(counters.max.rollbacks).toBe(1);
    expect(counters.max.reboots).toBe(1);
    expect(counters.max.quarantines).toBe(1);
    expect(result.output!.fixedRemotely).toBe(counters.totals.rollbacks);
    await recordHistory(handle, 'isolate-vendor-module-worker-killed-signed');
  } finally {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
  }
}, 300_000);
