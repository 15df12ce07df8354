import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, beforeEach, expect, inject, test } from 'vitest';
import { startCluster, stopCluster } from '../../estate/postgres-cluster';
import type { TestEstate } from '../../estate/testing';
import type { ManualBookingModeInput } from '../../runbooks/manual-booking-mode';
import { approveUpdate, interveneUpdate, type RunResult, type RunStatus, statusQuery } from '../../kit';
import type { ConflictRecord } from '../../workflows/manual-booking-conflicts';
import type { ManualBookingReport } from '../../workflows/manual-booking-mode';
import { lifeboatInProcess } from '../helpers/cli';
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
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ fleetHosts: 4 }, 'manual-booking'));
  booking = estateAdapters(estate.catalog);
});
afterAll(() => closeRunbookSuite({ ctx, estate }));
/** Each test is a new incident: the previous one's ledger was archived after it was reconciled. */
beforeEach(() => {
  const dir = join(estate.dir, 'ledger', 'A');
  for (const file of readdirSync(dir)) rmSync(join(dir, file));
});
/** A test that failed half-way must not leave its run holding the one run id the next test needs. */
afterEach(async () => {
  await ctx.client.workflow
    .getHandle(runId)
    .terminate('test cleanup')
    .catch(() => undefined);
});

const primaryDataDir = () => estate.catalog.services.booking.regions.A.postgres.dataDir;
const details = <T>(s: RunStatus, key: string) => s.details[key] as T;
const conflictsOf = (s: RunStatus) => details<ConflictRecord[] | undefined>(s, 'conflicts') ?? [];
const counter = (station: string, idempotencyKey: string, flight: string, seat: string, passenger: string, recordedAt?: string) =>
  booking.appendLedger({ region: 'A', station, idempotencyKey, flight, seat, passenger, ...(recordedAt ? { recordedAt } : {}) });

async function start(taskQueue: string, input: Partial<ManualBookingModeInput> = {}): Promise<WorkflowHandle> {
  return ctx.client.workflow.start('manualBookingMode', {
    taskQueue,
    workflowId: runId,
    args: [
      {
        input: { reason: 'booking database outage', incident: 'INC-2407', stations: 'ATL-T1,DTW-T2', refreshMinutes: 1, databaseRecheckSeconds: 1, ...input },
        requestedBy: 'alice',
      },
    ],
  });
}

/** Through the entry gate to holding, checking what the stations and customers see. */
async function enterManualMode(handle: WorkflowHandle): Promise<RunStatus> {
  await waitForStatus(handle, (s) => s.gates.some((g) => g.name === 'approveEntry' && g.status === 'open'));
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave', comment: 'stations are briefed' }] });
  const holding = await waitForStatus(handle, (s) => s.details.phase === 'holding' && s.details.holding !== undefined);
  expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'manual' });
  expect(details<string>(holding, 'onlineRefusal')).toMatch(/online booking is refused: region A is in manual mode/);
  return holding;
}

/** Dave, of airline operations, approves the return once the database is writable. */
async function approveReturn(handle: WorkflowHandle): Promise<void> {
  await waitForStatus(handle, (s) => s.gates.some((g) => g.name === 'approveReturn' && g.status === 'open'));
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave' }] });
}

const env = (taskQueue: string) => ({ TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });

test('a full cycle: counter bookings during a database outage are applied exactly once, conflicts resolved and reported', async () => {
  const taskQueue = testTaskQueue();
  // Online bookings taken before the outage; they make flights LB500 and LB501 known to the database.
  const online = await Promise.all([
    booking.createBooking({ region: 'A', idempotencyKey: 'on-ann', flight: 'LB500', seat: '1A', passenger: 'Ann Online' }),
    booking.createBooking({ region: 'A', idempotencyKey: 'on-bob', flight: 'LB500', seat: '2A', passenger: 'Bob Online' }),
    booking.createBooking({ region: 'A', idempotencyKey: 'on-cy', flight: 'LB501', seat: '1A', passenger: 'Cy Online' }),
  ]);
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await start(taskQueue);
    await enterManualMode(handle);
    await expect(booking.createBooking({ region: 'A', idempotencyKey: 'web-1', flight: 'LB500', seat: '9A', passenger: 'Web' })).rejects.toThrow(/manual mode/);

    // The database goes down; the counters keep booking by hand.
    await stopCluster(primaryDataDir(), 'immediate');
    try {
      const beforeBob = new Date(Date.parse(online[1].booking.createdAt) - 60_000).toISOString();
      await counter('ATL-T1', 'tk-dee', 'LB500', '3A', 'Dee');
      await counter('ATL-T1', 'tk-eve', 'LB500', '4A', 'Eve');
      await counter('DTW-T2', 'tk-fay', 'LB501', '2B', 'Fay');
      await counter('ATL-T1', 'tk-gil', 'LB500', '1A', 'Gil'); // Ann booked 1A online first
      await counter('DTW-T2', 'tk-hal', 'LB500', '2A', 'Hal', beforeBob); // the counter gave 2A before Bob booked it online
      await counter('DTW-T2', 'tk-cy', 'LB501', '5C', 'cy  online'); // Cy already holds 1A
      await counter('ATL-T1', 'tk-ivy', 'LB999', '1A', 'Ivy'); // a flight the database does not know
      await counter('ATL-T1', 'tk-jay', 'LB501', '7D', 'Jay');
      await counter('DTW-T2', 'tk-kim', 'LB501', '7D', 'Kim'); // two counters, one seat: Jay was first

      // Resume while the database is still down: the run says why it waits, and applies nothing.
      const resumed = await lifeboatInProcess(['resume', runId, '--as', 'erin', '--comment', 'DBA says ten minutes', '--json'], env(taskQueue));
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ by: 'erin', databaseReady: false, database: expect.stringMatching(/^unreachable/) });
      const waiting = await waitForStatus(handle, (s) => s.details.phase === 'waiting-for-database');
      // The return refreshes what the hold shows at once (the refresh timer is a minute at least).
      expect(details(waiting, 'holding')).toMatchObject({
        region: 'A',
        mode: 'manual',
        database: { reachable: false, writable: false },
        ledger: { byStation: { 'ATL-T1': 5, 'DTW-T2': 4 }, total: 9, malformed: 0 },
      });
      expect(details<object>(waiting, 'holding')).toHaveProperty('timeInMode');
      expect(details<string>(waiting, 'waitingFor')).toMatch(/^database: unreachable/);
      expect(waiting.gates.map((g) => g.name)).toEqual(['approveEntry']);
      const again = await lifeboatInProcess(['resume', runId, '--as', 'erin'], env(taskQueue));
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('the return was already asked for by erin');
    } finally {
      await startCluster(primaryDataDir());
    }
    await approveReturn(handle);
    expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'manual' });

    // Reconciliation lists the conflicts; everything else is applied already.
    const resolving = await waitForStatus(handle, (s) => s.details.phase === 'resolving', 30_000);
    const conflicts = conflictsOf(resolving);
    const byKey = (key: string) => conflicts.find((c) => c.entry?.idempotencyKey === key)!;
    expect(conflicts.map((c) => [c.entry?.idempotencyKey, c.kind, c.status])).toEqual([
      ['tk-hal', 'seat-taken', 'open'],
      ['tk-gil', 'seat-taken', 'open'],
      ['tk-cy', 'duplicate-passenger', 'open'],
      ['tk-ivy', 'unknown-flight', 'open'],
      ['tk-kim', 'seat-taken', 'open'],
    ]);
    expect(byKey('tk-hal')).toMatchObject({ holder: { idempotencyKey: 'on-bob', source: 'online' }, earliest: 'keep-ledger' });
    expect(byKey('tk-kim')).toMatchObject({ holder: { idempotencyKey: 'tk-jay', source: 'ledger' }, earliest: 'keep-database' });
    for (const key of ['tk-dee', 'tk-eve', 'tk-fay', 'tk-jay']) expect(await booking.getBooking({ region: 'A', idempotencyKey: key })).not.toBeNull();
    for (const key of ['tk-gil', 'tk-hal', 'tk-cy', 'tk-ivy', 'tk-kim']) expect(await booking.getBooking({ region: 'A', idempotencyKey: key })).toBeNull();

    const shown = await lifeboatInProcess(['status', runId], env(taskQueue));
    expect(shown.stdout).toContain('conflicts (5 open of 5):');
    expect(shown.stdout).toMatch(
      /c1 \[open\] seat-taken: LB500 seat 2A: Hal \(DTW-T2, .*\) and Bob Online \(online, .*\) -> choose keep-database \| keep-ledger \| discard; earliest-wins picks keep-ledger/,
    );
    expect(shown.stdout).toContain(`next: lifeboat resolve ${runId} <conflict>`);

    // One by one where judgement is needed, then the rule for the rest.
    const wrong = await lifeboatInProcess(['resolve', runId, byKey('tk-ivy').id, '--keep', 'both', '--as', 'dave'], env(taskQueue));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`conflict ${byKey('tk-ivy').id} (unknown-flight) may be resolved with keep-ledger, discard, not keep-both`);
    const one = await lifeboatInProcess(
      ['resolve', runId, byKey('tk-cy').id, '--keep', 'database', '--as', 'dave', '--comment', 'same person, keeps 1A'],
      env(taskQueue),
    );
    expect(one.stderr).toBe('');
    expect(one.stdout).toContain(`dave decided ${byKey('tk-cy').id}: keep-database; 4 conflicts still open`);
    expect(
      (
        await lifeboatInProcess(
          ['resolve', runId, byKey('tk-ivy').id, '--keep', 'ledger', '--as', 'dave', '--comment', 'LB999 is a charter added today'],
          env(taskQueue),
        )
      ).code,
    ).toBe(0);
    const rule = await lifeboatInProcess(['resolve', runId, '--rule', 'earliest-wins', '--as', 'erin', '--json'], env(taskQueue));
    expect(rule.code).toBe(0);
    expect(JSON.parse(rule.stdout)).toMatchObject({
      by: 'erin',
      open: 0,
      resolved: [{ decision: 'keep-ledger' }, { decision: 'keep-database' }, { decision: 'keep-database' }],
    });

    const result = (await handle.result()) as RunResult<ManualBookingReport>;
    expect(result.state).toBe('succeeded');
    const report = result.output!;
    expect(report.ledger).toEqual({ entries: 9, applied: 8, rebooked: 2, settledByDecision: 1, duplicateCopies: 0, malformedLines: 0, unaccounted: [] });
    expect(report.conflicts.map((c) => [c.entry?.idempotencyKey, c.status, c.resolution?.decision, c.resolution?.by, c.resolution?.rule])).toEqual([
      ['tk-hal', 'done', 'keep-ledger', 'erin', 'earliest-wins'],
      ['tk-gil', 'done', 'keep-database', 'erin', 'earliest-wins'],
      ['tk-cy', 'done', 'keep-database', 'dave', undefined],
      ['tk-ivy', 'done', 'keep-ledger', 'dave', undefined],
      ['tk-kim', 'done', 'keep-database', 'erin', 'earliest-wins'],
    ]);
    expect(report.conflicts.every((c) => c.outcome)).toBe(true);
    expect(report.timeInModeSeconds).toBeGreaterThan(0);

    // The database: every counter booking once, the losers of a seat rebooked, nobody twice.
    const seats = async (flight: string) => (await booking.flightSeats({ region: 'A', flight })).seats.filter((s) => s.booked);
    const lb500 = await seats('LB500');
    expect(lb500.find((s) => s.seat === '1A')?.idempotencyKey).toBe('on-ann');
    expect(lb500.find((s) => s.seat === '2A')?.idempotencyKey).toBe('tk-hal');
    expect(lb500.map((s) => s.idempotencyKey).sort()).toEqual(['on-ann', 'on-bob', 'tk-dee', 'tk-eve', 'tk-gil', 'tk-hal']);
    const lb501 = await seats('LB501');
    expect(lb501.map((s) => s.idempotencyKey).sort()).toEqual(['on-cy', 'tk-fay', 'tk-jay', 'tk-kim']);
    expect(lb501.find((s) => s.seat === '7D')?.idempotencyKey).toBe('tk-jay');
    expect((await seats('LB999')).map((s) => s.idempotencyKey)).toEqual(['tk-ivy']);

    // Back to normal: online booking works, and the run proved it with its own check booking.
    expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'normal' });
    expect(await booking.getBooking({ region: 'A', idempotencyKey: `lifeboat-online-check:${runId}:${(await handle.describe()).runId}` })).toMatchObject({
      flight: 'LBCHECK',
      seat: report.onlineCheck.seat,
    });
    expect((await booking.createBooking({ region: 'A', idempotencyKey: 'web-2', flight: 'LB500', seat: '9A', passenger: 'Web' })).replayed).toBe(false);
    expect(result.audit.filter((a) => a.action === 'conflict-resolved').map((a) => a.actor)).toEqual(['dave', 'dave', 'erin', 'erin', 'erin']);
    expect(result.audit).toContainEqual(expect.objectContaining({ actor: 'erin', action: 'resume', comment: 'DBA says ten minutes' }));

    const status = await lifeboatInProcess(['status', runId], env(taskQueue));
    expect(status.stdout).toContain('state: succeeded');
    await recordHistory(handle, 'manual-booking-mode-full-cycle-signed');
  });
});

test('malformed, truncated and duplicated ledger lines are reported and never applied or dropped silently', async () => {
  const taskQueue = testTaskQueue();
  await booking.createBooking({ region: 'A', idempotencyKey: 'on-max', flight: 'LB600', seat: '1A', passenger: 'Max Online' });
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await start(taskQueue);
    await enterManualMode(handle);
    await counter('ATL-T1', 'tk-nia', 'LB600', '2A', 'Nia');
    await counter('DTW-T2', 'tk-nia', 'LB600', '2A', 'Nia'); // the same booking written at two counters
    await counter('DTW-T2', 'tk-ole', 'LB600', '3A', 'Ole');
    await counter('ATL-T1', 'tk-ole', 'LB600', '4B', 'Pia'); // the same ticket number for someone else
    const atl = join(estate.dir, 'ledger', 'A', 'ATL-T1.jsonl');
    appendFileSync(atl, 'coffee spilled on this line\n');
    appendFileSync(
      atl,
      `${JSON.stringify({ idempotencyKey: 'tk-bad', station: 'ATL-T1', flight: 'LB600', seat: 'Z9', passenger: 'Quin', recordedAt: new Date().toISOString(), region: 'A' })}\n`,
    );
    appendFileSync(atl, '{"idempotencyKey":"tk-torn","station":"ATL-T1","flight":"LB6');

    await handle.signal('resume', { by: 'erin' });
    const held = await waitForStatus(handle, (s) => details<{ ledger: { malformed: number } }>(s, 'holding').ledger.malformed === 3, 15_000);
    expect(details(held, 'holding')).toMatchObject({ ledger: { total: 4, malformed: 3 } });
    await approveReturn(handle);

    const resolving = await waitForStatus(handle, (s) => s.details.phase === 'resolving', 30_000);
    const conflicts = conflictsOf(resolving);
    expect(conflicts.map((c) => [c.kind, c.line?.lineNumber ?? c.entry?.idempotencyKey])).toEqual([
      ['malformed', 3],
      ['malformed', 4],
      ['malformed', 5],
      ['duplicate-key', 'tk-ole'],
    ]);
    expect(conflicts[2]!.detail).toMatch(/truncated line/);
    expect(details<{ duplicates: unknown[] }>(resolving, 'reconciliation').duplicates).toEqual([
      expect.objectContaining({ station: 'DTW-T2', idempotencyKey: 'tk-nia' }),
    ]);
    expect(await booking.getBooking({ region: 'A', idempotencyKey: 'tk-ole' })).toMatchObject({ passenger: 'Ole', seat: '3A' });

    const rule = await lifeboatInProcess(['resolve', runId, '--rule', 'earliest-wins', '--as', 'dave'], env(taskQueue));
    expect(rule.code).toBe(1);
    expect(rule.stderr).toContain('no open conflict is one the earliest-wins rule decides; decide c1, c2, c3, c4 one by one');
    for (const c of conflicts.filter((x) => x.kind === 'malformed')) {
      const r = await lifeboatInProcess(['resolve', runId, c.id, '--discard', '--as', 'dave', '--comment', 're-entered from the paper copy'], env(taskQueue));
      expect(r.code).toBe(0);
    }
    await handle.signal('resolve', { by: 'dave', conflict: 'c4', decision: 'keep-ledger', comment: 'Pia is a different passenger' });

    const result = (await handle.result()) as RunResult<ManualBookingReport>;
    expect(result.state).toBe('succeeded');
    expect(result.output!.ledger).toEqual({
      entries: 4,
      applied: 2,
      rebooked: 0,
      settledByDecision: 1,
      duplicateCopies: 1,
      malformedLines: 3,
      unaccounted: [],
    });
    expect(result.output!.duplicates).toHaveLength(1);
    expect(result.output!.conflicts.map((c) => [c.id, c.resolution?.decision, c.resolution?.by])).toEqual([
      ['c1', 'discard', 'dave'],
      ['c2', 'discard', 'dave'],
      ['c3', 'discard', 'dave'],
      ['c4', 'keep-ledger', 'dave'],
    ]);
    const booked = (await booking.flightSeats({ region: 'A', flight: 'LB600' })).seats.filter((s) => s.booked).map((s) => [s.idempotencyKey, s.passenger]);
    expect(booked.sort()).toEqual([
      ['on-max', 'Max Online'],
      ['tk-nia', 'Nia'],
      ['tk-ole#ATL-T1', 'Pia'],
      ['tk-ole', 'Ole'],
    ]);
    await recordHistory(handle, 'manual-booking-mode-damaged-ledger-signed');
  });
});

test('resume is refused before the run holds in manual mode', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await start(taskQueue, { mode: 'read-only' });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const early = await lifeboatInProcess(['resume', runId, '--as', 'erin'], env(taskQueue));
    expect(early.code).toBe(1);
    expect(early.stderr).toBe('error: refused: erin cannot resume yet: the run is not holding in manual mode (it is entering)\n');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave' }] });
    const holding = await waitForStatus(handle, (s) => s.details.phase === 'holding');
    expect(details<string>(holding, 'onlineRefusal')).toMatch(/region A is in read-only mode/);
    const nothingOpen = await lifeboatInProcess(['resolve', runId, 'c1', '--discard', '--as', 'dave'], env(taskQueue));
    expect(nothingOpen.code).toBe(1);
    expect(nothingOpen.stderr).toBe('error: refused: no conflict is waiting for a decision\n');
    const noConflictId = await lifeboatInProcess(['resolve', runId, '--keep', 'database', '--as', 'dave'], env(taskQueue));
    expect(noConflictId.code).toBe(2);
    expect(noConflictId.stderr).toContain('a decision needs the conflict id, such as c1');
    const badKeep = await lifeboatInProcess(['resolve', runId, 'c1', '--keep', 'everything', '--as', 'dave'], env(taskQueue));
    expect(badKeep.code).toBe(2);
    expect(badKeep.stderr).toContain('--keep everything is not one of database, ledger, both');
    await lifeboatInProcess(['abort', runId, '--as', 'alice', '--reason', 'database came back by itself'], env(taskQueue));
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.compensation).toEqual([{ step: 'switchMode', status: 'succeeded' }]);
    expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'normal' });
  });
});

test('a region the targets file does not list fails the run at once, naming the regions it does list, and booking is left as it was', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const handle = await start(taskQueue, { region: 'C' });
    expect(await handle.result().catch((e: unknown) => e)).toBeInstanceOf(WorkflowFailedError);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({
      state: 'failed',
      outcome: expect.stringContaining('region: "C" is not a region of booking in the targets file; use one of A, B'),
    });
    expect(status.steps.find((s) => s.name === 'findRegion')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(status.steps.map((s) => s.name)).toEqual(['findRegion']);
    expect(status.gates).toEqual([]);
  });
  expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'normal' });
  expect(await booking.getMode({ region: 'B' })).toEqual({ region: 'B', mode: 'normal' });
});

/** `lifeboat worker` in a child process, as an operator runs it, so the test can kill it like a crashed host. */
function spawnWorker(taskQueue: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, [resolve(__dirname, '../../bin/lifeboat.js'), 'worker'], {
    env: {
      ...process.env,
      ...env(taskQueue),
      LIFEBOAT_TARGETS: targetsPath,
      LIFEBOAT_ROSTER: inject('testRosterPath'),
      TEMPORAL_NAMESPACE: ctx.namespace,
      LIFEBOAT_RECONCILE_DELAY_MS: '100',
      LIFEBOAT_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('worker polling')) resolveReady();
    });
    void exited.then(() => reject(new Error(`worker exited before polling: ${stderr}`)));
  });
  return { child, ready, exited };
}

test('after a SIGKILL of the worker in the middle of reconciliation, a new worker finishes it with no duplicate booking', { timeout: 180_000 }, async () => {
  const taskQueue = testTaskQueue();
  const total = 90;
  await booking.createBooking({ region: 'A', idempotencyKey: 'on-zed', flight: 'LB700', seat: '1A', passenger: 'Zed Online' });
  const keys = Array.from({ length: total }, (_, i) => `tk-crash-${i}`);
  const first = spawnWorker(taskQueue);
  let second: ReturnType<typeof spawnWorker> | undefined;
  try {
    await first.ready;
    const handle = await start(taskQueue);
    await enterManualMode(handle);
    for (const [i, key] of keys.entries()) {
      await counter(`CTR-${i % 3}`, key, 'LB700', `${2 + Math.floor(i / 6)}${'ABCDEF'[i % 6]}`, `Passenger ${i}`);
    }
    await handle.signal('resume', { by: 'erin' });
    await approveReturn(handle);

    const url = estate.catalog.services.booking.regions.A.url;
    const found = async () => {
      const res = await fetch(`${url}/bookings/lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ keys }) });
      return ((await res.json()) as { found: string[] }).found.length;
    };
    await expect.poll(found, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(25);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await found();
    expect(atKill).toBeLessThan(total);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await found()).toBe(atKill);

    second = spawnWorker(taskQueue);
    await second.ready;
    const result = (await handle.result()) as RunResult<ManualBookingReport>;
    expect(result.state).toBe('succeeded');
    expect(result.output!.ledger).toMatchObject({ entries: total, applied: total, rebooked: 0, unaccounted: [] });
    const [crashed] = details<{ passes: { resumed: boolean; applied: number; alreadyInDatabase: number }[] }>(result, 'reconciliation').passes;
    expect(crashed!.resumed).toBe(true);
    expect(crashed!.alreadyInDatabase).toBeGreaterThan(0);
    expect(crashed!.applied + crashed!.alreadyInDatabase).toBe(total);
    const seats = await booking.flightSeats({ region: 'A', flight: 'LB700' });
    expect(seats.bookedCount).toBe(total + 1);
    expect(await found()).toBe(total);
    await recordHistory(handle, 'manual-booking-mode-worker-crash-signed');
  } finally {
    for (const w of [first, second]) {
      if (w && w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGTERM');
        await w.exited;
      }
    }
  }
});

/**
 * The test worker in a child process (test/runbooks/worker-process.ts); with `stallAfter` that activity does its work
 * and then never returns, so the test can kill the worker after the change took effect and before Temporal heard of it.
 */
function spawnTestWorker(taskQueue: string, stallAfter?: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<void>; stalled: Promise<void> } {
  const script = resolve(__dirname, 'worker-process.ts');
  const child = spawn(process.execPath, ['-e', `require('tsx/cjs/api').register(); require(${JSON.stringify(script)})`], {
    env: {
      ...process.env,
      ...env(taskQueue),
      TEMPORAL_NAMESPACE: ctx.namespace,
      LIFEBOAT_TEST_BUNDLE: inject('testBundlePath'),
      LIFEBOAT_ROSTER: inject('testRosterPath'),
      LIFEBOAT_TARGETS: targetsPath,
      ...(stallAfter ? { LIFEBOAT_TEST_STALL_AFTER: stallAfter } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const printed = (line: string) =>
    new Promise<void>((resolvePrinted, reject) => {
      child.stdout!.on('data', () => stdout.includes(line) && resolvePrinted());
      void exited.then(() => reject(new Error(`worker exited before it printed "${line}": ${stderr}`)));
    });
  const stalled = stallAfter ? printed(`stalled ${stallAfter}`) : new Promise<void>(() => undefined);
  stalled.catch(() => undefined);
  return { child, ready: printed('ready'), exited, stalled };
}

test(
  'a worker killed inside the mode switch, after the mode changed: an abort restores the mode booking had before the run',
  { timeout: 180_000 },
  async () => {
    const taskQueue = testTaskQueue();
    expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'normal' });
    const first = spawnTestWorker(taskQueue, 'setMode');
    let second: ReturnType<typeof spawnTestWorker> | undefined;
    try {
      await first.ready;
      const handle = await start(taskQueue);
      await waitForStatus(handle, (s) => s.gates.some((g) => g.name === 'approveEntry' && g.status === 'open'));
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave' }] });
      await first.stalled;
      expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'manual' });
      first.child.kill('SIGKILL');
      await first.exited;

      second = spawnTestWorker(taskQueue);
      await second.ready;
      // The dead attempt times out; the retry on the new worker finds manual mode already set, by the dead one.
      const holding = await waitForStatus(handle, (s) => s.details.phase === 'holding', 90_000);
      expect(holding.steps.find((s) => s.name === 'switchMode')).toMatchObject({ status: 'succeeded', attempts: 2 });
      await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'the switch crashed; back to where we were' }] });
      const result = (await handle.result()) as RunResult;
      expect(result.state).toBe('aborted');
      expect(result.compensation).toEqual([{ step: 'switchMode', status: 'succeeded' }]);
      // The undo restored the mode read before the switch, not the one its retry saw.
      expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'normal' });
    } finally {
      for (const w of [first, second]) {
        if (w && w.child.exitCode === null && w.child.signalCode === null) {
          w.child.kill('SIGTERM');
          await w.exited;
        }
      }
    }
  },
);
