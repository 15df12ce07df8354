import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { type BookingMode } from '../../activities/booking';
import type { RegionName } from '../../estate/catalog';
import { createScratchBookingActivities, scratchSlug, type ScratchBookingRemoval } from '../../providers/sample-estate/scratch-booking';
import type { TestEstate } from '../../estate/testing';
import { isListening } from '../../lib/free-port';
import type { ManualBookingModeInput } from '../../runbooks/manual-booking-mode';
import { approveUpdate, interveneUpdate, type RunResult, type RunStatus, type Notification } from '../../kit';
import type { ManualBookingReport } from '../../workflows/manual-booking-mode';
import { recordHistory } from '../helpers/histories';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { estateAdapters } from '../../dev/estate/adapters';

const runId = 'manual-booking-mode/booking';

let ctx: TemporalTestContext;
let estate: TestEstate;
let booking: ReturnType<typeof estateAdapters>;
let targetsPath: string;

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ fleetHosts: 4, loadBalancer: false }, 'manual-booking-drill'));
  booking = estateAdapters(estate.catalog);
  // Production has bookings and counter entries of its own that no drill may touch.
  await booking.createBooking({ region: 'A', idempotencyKey: 'prod-online-1', flight: 'LB700', seat: '1A', passenger: 'Pat Production' });
  await booking.appendLedger({ region: 'A', station: 'ATL-T1', idempotencyKey: 'prod-counter-1', flight: 'LB700', seat: '2A', passenger: 'Cora Counter' });
});
afterAll(() => closeRunbookSuite({ ctx, estate }));
afterEach(async () => {
  await ctx.client.workflow
    .getHandle(runId)
    .terminate('test cleanup')
    .catch(() => undefined);
});

const primary = () => estate.catalog.services.booking.regions.A.postgres;

async function sql<T extends object>(text: string, values: unknown[] = []): Promise<T[]> {
  const { host, port, user } = primary();
  const client = new Client({ host, port, user, database: 'postgres' });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** What a person would check on production: both regions' modes, every booking, every ledger line. */
async function production() {
  return {
    modes: { A: (await booking.getMode({ region: 'A' })).mode, B: (await booking.getMode({ region: 'B' })).mode },
    bookings: await sql('SELECT idempotency_key, flight, seat, passenger FROM bookings ORDER BY id'),
    ledgers: { A: (await booking.readLedger({ region: 'A' })).entries, B: (await booking.readLedger({ region: 'B' })).entries },
  };
}

/** Polls production's modes for as long as the drill runs, so a switch that is undone again is still seen. */
function watchProductionModes(): { stop: () => Promise<Set<string>> } {
  const seen = new Set<string>();
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const region of ['A', 'B'] as RegionName[]) seen.add(`${region}:${(await booking.getMode({ region })).mode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

const databaseExists = async (name: string) => (await sql('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;

function startDrill(taskQueue: string, approvals: 'policy' | 'people', input: Partial<ManualBookingModeInput> = {}): Promise<WorkflowHandle> {
  return ctx.client.workflow.start('manualBookingMode', {
    taskQueue,
    workflowId: runId,
    args: [
      {
        input: { reason: 'quarterly drill', incident: 'DRILL-Q4', stations: 'ATL-T1,DTW-T2', refreshMinutes: 1, drillHoldSeconds: 1, ...input },
        requestedBy: 'alice',
        drill: { kind: 'isolated', approvals },
      },
    ],
  });
}

interface Scratch {
  url: string;
  port: number;
  database: string;
  ledger: string;
}

/** Checks the drill's scratch service while it runs: its own port, its own database, and it is not production. */
async function scratchOf(handle: WorkflowHandle): Promise<Scratch> {
  const status = await waitForStatus(handle, (s) => s.details.drillScratchBooking !== undefined, 60_000);
  const scratch = status.details.drillScratchBooking as Scratch;
  const productionPorts = Object.values(estate.catalog.services.booking.regions).map((r) => Number(new URL(r.url).port));
  expect(productionPorts).not.toContain(scratch.port);
  expect(await isListening(scratch.port)).toBe(true);
  expect(await databaseExists(scratch.database)).toBe(true);
  expect(scratch.database).not.toBe(primary().database);
  return scratch;
}

async function expectRemoved(result: RunStatus, scratch: Scratch, via: 'cleanup' | 'undo'): Promise<void> {
  const cleanup = result.details.drillCleanup as ScratchBookingRemoval & { via: string };
  expect(cleanup).toMatchObject({
    removed: true,
    via,
    service: { port: scratch.port },
    database: { name: scratch.database, dropped: true },
    ledger: { deleted: true },
  });
  expect(await isListening(scratch.port)).toBe(false);
  expect(await databaseExists(scratch.database)).toBe(false);
  expect(existsSync(scratch.ledger)).toBe(false);
  expect(readdirSync(join(estate.dir, 'run')).filter((f) => f.startsWith('scratch-booking-'))).toEqual([]);
  expect(result.audit).toContainEqual(expect.objectContaining({ action: 'drill-cleanup' }));
}

test('an isolated drill approved by policy runs the whole procedure on a scratch booking service, removes it, and never touches production', async () => {
  const taskQueue = testTaskQueue();
  const before = await production();
  expect(before.modes).toEqual({ A: 'normal', B: 'normal' });
  const notifications: Notification[] = [];
  const { worker } = await createTestWorker(ctx, taskQueue, { notify: async (n: Notification) => void notifications.push(n) }, targetsPath);
  const watch = watchProductionModes();
  await worker.runUntil(async () => {
    const handle = await startDrill(taskQueue, 'policy');
    const scratch = await scratchOf(handle);
    // The scratch service refused online booking, naming the mode, while production kept booking online.
    const entered = await waitForStatus(handle, (s) => s.details.onlineRefusal !== undefined, 30_000);
    expect(entered.details.onlineRefusal).toMatch(/online booking is refused: region A is in manual mode/);
    expect(
      (await booking.createBooking({ region: 'A', idempotencyKey: 'prod-during-drill', flight: 'LB701', seat: '1A', passenger: 'Online As Usual' })).replayed,
    ).toBe(false);
    before.bookings.push({ idempotency_key: 'prod-during-drill', flight: 'LB701', seat: '1A', passenger: 'Online As Usual' });

    const result = (await handle.result()) as RunResult<ManualBookingReport>;
    const seen = await watch.stop();
    expect(result.state).toBe('succeeded');
    expect([...seen].sort()).toEqual(['A:normal', 'B:normal']);

    // The procedure ran in full on the scratch service: the stations' counter bookings were applied there.
    expect(result.output!.ledger).toEqual({
      entries: 4,
      applied: 4,
      rebooked: 0,
      settledByDecision: 0,
      duplicateCopies: 0,
      malformedLines: 0,
      unaccounted: [],
    });
    expect(result.steps.map((s) => s.name)).toEqual([
      'findRegion',
      'drillBuild',
      'switchMode',
      'verifyRefused',
      'verifyLedger',
      'notifyStations',
      'drillSeedLedger',
      'checkDatabase',
      'reconcile',
      'switchBack',
      'verifyOnline',
      'notifyBack',
      'reconcile',
      'account',
      'notifyReturn',
      'drillCleanup',
    ]);
    expect(result.steps.every((s) => s.status === 'succeeded')).toBe(true);

    // Nobody was asked: the policy approved both gates and resumed after the hold, and the audit trail says so.
    expect(result.gates.map((g) => [g.name, g.status, g.votes.map((v) => v.by)])).toEqual([
      ['approveEntry', 'approved', ['drill-policy']],
      ['approveReturn', 'approved', ['drill-policy']],
    ]);
    expect(result.audit).toContainEqual(expect.objectContaining({ actor: 'drill-policy', action: 'resume' }));

    // Measured against the runbook's objective, and the drill passed.
    expect(result.objectives).toEqual({ rtoSeconds: 900 });
    expect(result.measurements?.rtoSeconds).toBeGreaterThan(0);
    expect(result.measurements!.rtoSeconds!).toBeLessThan(60);
    expect(result.details.recoveryTimes).toMatchObject({ manualModeWorkingSeconds: result.measurements!.rtoSeconds, backToNormalSeconds: expect.any(Number) });
    expect(result.details.drillResult).toBe('passed');

    // Every notice is marked as a drill, and no station was paged.
    expect(notifications.length).toBeGreaterThan(0);
    for (const n of notifications) expect(n.title).toMatch(/^\[DRILL isolated\] /);
    expect(notifications.filter((n) => n.audience?.some((a) => a === 'ATL-T1' || a === 'DTW-T2'))).toEqual([]);

    await expectRemoved(result, scratch, 'cleanup');
    expect(await production()).toEqual(before);
    await recordHistory(handle, 'manual-booking-mode-drill-isolated-signed');
  });
});

test('an isolated drill aborted while holding removes its scratch service, database and ledger', async () => {
  const taskQueue = testTaskQueue();
  const before = await production();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  const watch = watchProductionModes();
  await worker.runUntil(async () => {
    const handle = await startDrill(taskQueue, 'people');
    const scratch = await scratchOf(handle);

    // People approve a people drill, and nobody resumes it: it holds until someone does.
    await waitForStatus(handle, (s) => s.gates.some((g) => g.name === 'approveEntry' && g.status === 'open'));
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave' }] });
    await waitForStatus(handle, (s) => s.details.phase === 'holding', 30_000);
    expect((await fetch(`${scratch.url}/admin/mode`).then((r) => r.json())) as { mode: BookingMode }).toMatchObject({ mode: 'manual' });
    await new Promise((r) => setTimeout(r, 1_500)); // longer than drillHoldSeconds: no policy resumes a people drill
    const holding = await waitForStatus(handle, () => true);
    expect(holding.details.phase).toBe('holding');
    expect(holding.audit.some((a) => a.action === 'resume')).toBe(false);

    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'drill interrupted' }] });
    const result = (await handle.result()) as RunResult<ManualBookingReport>;
    expect([...(await watch.stop())].sort()).toEqual(['A:normal', 'B:normal']);
    expect(result.state).toBe('aborted');
    expect(result.compensation.map((c) => [c.step, c.status])).toEqual([
      ['switchMode', 'succeeded'],
      ['drillBuild', 'succeeded'],
    ]);
    await expectRemoved(result, scratch, 'undo');
    expect(await production()).toEqual(before);
  });
});

test('the scratch service activities are idempotent, replace a leftover of an earlier run, and remove a build a crash interrupted', async () => {
  const scratch = createScratchBookingActivities(() => estate.catalog);
  const key = 'manual-booking-mode/scratch-activities';
  const first = await scratch.startScratchBooking({ key, runId: 'run-1', region: 'A' });
  const again = await scratch.startScratchBooking({ key, runId: 'run-1', region: 'A' });
  expect([again.pid, again.port, again.replacedLeftover]).toEqual([first.pid, first.port, false]);

  // A later run under the same workflow id finds what a terminated run left, and starts afresh.
  const later = await scratch.startScratchBooking({ key, runId: 'run-2', region: 'A' });
  expect(later.replacedLeftover).toBe(true);
  expect(await isListening(first.port)).toBe(false);
  expect(await isListening(later.port)).toBe(true);

  // A worker crash lost the record: removal still finds the process by its name and the database by the drill's.
  rmSync(join(estate.dir, 'scratch', 'booking', scratchSlug(key), 'scratch.json'));
  const removal = await scratch.removeScratchBooking({ key });
  expect(removal).toMatchObject({ removed: true, service: { port: later.port, stopped: true }, database: { name: scratchSlug(key), dropped: true } });
  expect(await isListening(later.port)).toBe(false);
  expect(await databaseExists(scratchSlug(key))).toBe(false);
  expect(existsSync(join(estate.dir, 'scratch', 'booking', scratchSlug(key)))).toBe(false);
  expect(await scratch.removeScratchBooking({ key })).toEqual({ key, removed: false });
});
