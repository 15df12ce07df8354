import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { type Host } from '../../activities/fleet';
import type { TestEstate } from '../../estate/testing';
import { Fleet } from '../../estate/fleet/model';
import type { IsolationReport } from '../../workflows/vendor-isolation/report';
import type { HandsOnTask } from '../../workflows/vendor-isolation/hands-on-queue';
import type { DrillCleanup } from '../../workflows/vendor-isolation/scratch-fleet';
import type { RunResult, RunStatus } from '../../kit';
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
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ loadBalancer: false, fleetHosts: 36 }, 'isolate-drill'));
  fleet = createHttpFleet({ url: estate.catalog.fleet.url });
});
afterAll(() => closeRunbookSuite({ ctx, estate }));
beforeEach(async () => {
  await fetch(`${estate.catalog.fleet.url}/sim/reset`, { method: 'POST' });
});

const scratchFleets = async () =>
  ((await (await fetch(`${estate.catalog.fleet.url}/scratch-fleets`)).json()) as { fleets: { id: string; hosts: number }[] }).fleets;
const scratchOf = (s: RunStatus) =>
  s.details.drillScratchFleet as { id: string; hosts: number; faultyUpdate?: { version: string; hosts: number; crashed: number } };

/** What a person would compare on each production host: versions, channel, health and per-host counters. */
const production = async (): Promise<Host[]> => (await fleet.listHosts()).hosts;

function startDrill(taskQueue: string, approvals: 'policy' | 'people') {
  return ctx.client.workflow.start('isolateVendorModule', {
    taskQueue,
    workflowId: 'isolate-vendor-module/A',
    args: [
      {
        input: {
          badVersion: BAD,
          goodVersion: GOOD,
          scope: { region: 'A' },
          waves: { canary: 2, sizes: ['100%'], concurrency: 10 },
          drillCrashRate: 1,
          handsOnDeadline: '10 minutes',
        },
        requestedBy: 'alice',
        drill: { kind: 'isolated', approvals },
      },
    ],
  });
}

test('an isolated drill with policy approvals runs the whole procedure on a scratch fleet, removes it, and leaves production untouched', async () => {
  const taskQueue = testTaskQueue();
  // Production is not pristine: region B's channel is blocked, so "as before" covers more than defaults.
  await fleet.setUpdateChannel({ scope: { region: 'B' }, state: 'blocked' });
  const before = await production();
  const countersBefore = await fleet.counters();
  const { worker, notifications } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await startDrill(taskQueue, 'policy');
    const result = (await handle.result()) as RunResult<IsolationReport>;
    expect(result.state).toBe('succeeded');
    expect(result.drill).toEqual({ kind: 'isolated', approvals: 'policy' });

    // The drill built its own copy of region A (18 hosts), crashed all of it, and ran every step against it.
    const scratch = scratchOf(result);
    expect(scratch).toMatchObject({ hosts: 18, faultyUpdate: { version: BAD, hosts: 18, crashed: 18 } });
    expect(result.steps.filter((s) => s.kind === 'step').map((s) => [s.name, s.status])).toEqual([
      ['drillBuild', 'succeeded'],
      ['drillReproduce', 'succeeded'],
      ['assess', 'succeeded'],
      ['contain', 'succeeded'],
      ['canary', 'succeeded'],
      ['wave-1', 'succeeded'],
      ['handsOn', 'succeeded'],
      ['verify', 'succeeded'],
      ['report', 'succeeded'],
      ['drillCleanup', 'succeeded'],
    ]);
    expect(result.details.blastRadius).toMatchObject({ scopeHosts: 18, affected: 18, down: 18, handsOnOnly: 2 });
    expect(result.details.containment).toMatchObject({ pinnedTo: GOOD, hosts: 18, changed: 18 });
    expect(result.details.verified).toEqual({ hosts: 18, healthy: 18, waivedBroken: 0 });
    expect(result.output).toMatchObject({ affectedHosts: 18, downAtStart: 18, fixedRemotely: 16, fixedByHand: 2, waivers: [] });

    // The gate and the two scratch hands-on hosts were closed by the drill's policy, and the audit trail says so.
    expect(result.gates.map((g) => [g.name, g.status, g.votes.map((v) => v.by)])).toEqual([['continueRollout', 'approved', ['drill-policy']]]);
    const tasks = (result.details.handsOn as { tasks: HandsOnTask[] }).tasks;
    expect(tasks.map((t) => [t.host, t.status, t.by])).toEqual([
      [`${scratch.id}.a-kiosk-05`, 'done', 'drill-policy'],
      [`${scratch.id}.a-gate-05`, 'done', 'drill-policy'],
    ]);
    expect(result.audit.filter((a) => a.actor === 'drill-policy').map((a) => a.action)).toEqual(['approved', 'task-done', 'task-done']);

    // Cleanup ran as the last step and status shows what it removed; the console has no scratch fleet left.
    expect(result.details.drillCleanup).toMatchObject({ scratchFleet: scratch.id, hosts: 18, removed: true, via: 'cleanup' } satisfies Partial<DrillCleanup>);
    expect(result.compensation).toEqual([]);
    expect(await scratchFleets()).toEqual([]);
    expect((await fleet.listHosts({ fleet: scratch.id })).total).toBe(0);
    expect(result.details.drillResult).toBe('passed');
    expect(notifications.find((n) => n.kind === 'info')?.title).toBe(
      `[DRILL isolated] falcon-sensor-content ${BAD} isolated on A (scratch fleet ${scratch.id})`,
    );

    // Production: every host exactly as before (versions, channel, health, counters), and no counter moved.
    expect(await production()).toEqual(before);
    expect(await fleet.counters()).toEqual(countersBefore);
    await recordHistory(handle, 'isolate-vendor-module-drill-isolated-signed');
  });

  // A real faulty push afterwards behaves as it would on a fleet the drill never ran beside.
  const control = new Fleet(36);
  control.setChannel({ scope: { region: 'B' }, state: 'blocked' });
  const expected = control.pushContent({ version: BAD, faulty: true, crashRate: 0.3, scope: {} });
  const push = await fleet.pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.3 });
  expect(push.results).toEqual(expected.results);
  expect(push.counts).toEqual(expected.counts);
  const handsOnOnly = new Set(before.filter((h) => h.handsOnOnly).map((h) => h.id));
  const crashed = push.results.filter((r) => r.health === 'crashed' && !handsOnOnly.has(r.hostId)).map((r) => r.hostId);
  expect(crashed.length).toBeGreaterThan(0);
  // The version is faulty in production in its own right: a reboot alone does not bring a crashed host back.
  expect((await fleet.rebootHost({ hostIds: [crashed[0]!] })).results[0]).toMatchObject({ outcome: 'applied', health: 'crashed' });
});

test('an isolated drill aborted at the gate (people approve) still removes its scratch fleet', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const before = await production();
  const { worker, notifications } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await startDrill(taskQueue, 'people');
    const runId = handle.workflowId;
    const atGate = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    // Halfway: the scratch fleet exists and its canary is fixed; people are asked, as in a real run.
    const scratch = scratchOf(atGate);
    expect(await scratchFleets()).toMatchObject([{ id: scratch.id, hosts: 18 }]);
    expect(atGate.gates[0]).toMatchObject({ name: 'continueRollout', status: 'open', votes: [] });
    expect(atGate.gates[0]!.eligible).toContain('erin');
    // The gate opens before its notification activity has run; wait for the message rather than race it.
    await expect.poll(() => notifications.find((n) => n.kind === 'approval-needed')?.title ?? '').toMatch(/^\[DRILL isolated\] Approval needed/);
    expect((await fleet.counters({ fleet: scratch.id })).totals.reboots).toBe(2);
    expect(await production()).toEqual(before);

    const abort = await lifeboatInProcess(['abort', runId, '--as', 'erin', '--reason', 'drill cut short'], env);
    expect(abort.code).toBe(0);
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.compensation).toEqual([{ step: 'drillBuild', status: 'succeeded' }]);
    expect(result.details.drillCleanup).toMatchObject({ scratchFleet: scratch.id, hosts: 18, removed: true, via: 'undo' });
    expect(result.steps.map((s) => s.name)).not.toContain('drillCleanup');
    expect(await scratchFleets()).toEqual([]);
    expect(await production()).toEqual(before);
    expect((await fleet.counters()).totals).toEqual({ rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 });

    const status = await lifeboatInProcess(['status', runId], env);
    expect(status.stdout).toContain(`drillCleanup: `);
    expect(status.stdout).toMatch(/✓ undo drillBuild/);
  });
});
