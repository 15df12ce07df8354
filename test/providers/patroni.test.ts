import { Client } from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { freePort } from '../../lib/free-port';
import type { DatabaseProvider } from '../../providers/contracts/database';
import type { RebuildProvider } from '../../providers/contracts/rebuild';
import { createPatroniDatabase } from '../../providers/patroni/database';
import { PatroniSettings } from '../../providers/patroni/settings';
import { bookingRefs, startPatroniProviders, type PatroniPair, sqlOn } from '../helpers/patroni';

let pair: PatroniPair;
let db: DatabaseProvider;
let rebuild: RebuildProvider;

beforeAll(async () => {
  ({ pair, db, rebuild } = await startPatroniProviders());
}, 180_000);

afterAll(async () => {
  await pair?.stop();
}, 60_000);

const sql = <T = Record<string, unknown>>(region: string, text: string) => sqlOn<T>(pair, region, text);

const bookings = (region: string) => bookingRefs(pair, region);

test('the settings the helper returns are valid targets-file settings', () => {
  expect(PatroniSettings.parse(pair.settings)).toEqual(pair.settings);
  const wrong = PatroniSettings.safeParse({ ...pair.settings, regions: { A: { ...pair.settings.regions.A, restUrl: 'db-a1:8008' } } });
  expect(wrong.success ? '' : z.prettifyError(wrong.error)).toBe(
    '✖ give the http(s) URL of a Patroni REST API, e.g. "http://db-a1:8008"\n  → at regions.A.restUrl',
  );
});

test('probe passes: both REST APIs answer, each cluster has a leader, A is primary and B a streaming standby cluster', async () => {
  const results = await db.probe();
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.at(-1)).toMatchObject({
    check: 'one primary cluster, the others standby clusters of it',
    ok: true,
    detail: 'A primary; B standby, streaming',
  });
});

test('status: A is the leader of a primary cluster, B the standby leader, streaming', async () => {
  expect(await db.status('A')).toMatchObject({ reachable: true, role: 'leader', inRecovery: false, fenced: false });
  expect(await db.status('B')).toMatchObject({ reachable: true, role: 'standby_leader', inRecovery: true, streaming: true });
  expect(db.describe()).toContain('patroni (A http://127.0.0.1:');
  const lag = await db.reportedReplayLagSeconds!('A');
  expect(lag === null || lag >= 0).toBe(true);
});

test('fence A: writes are refused, reads go on, an older session is ended, and a second fence changes nothing', async () => {
  await sql('A', 'CREATE TABLE bookings (ref text PRIMARY KEY)');
  await sql('A', "INSERT INTO bookings VALUES ('before-fence')");
  const older = new Client(pair.settings.regions.A!.postgres);
  older.on('error', () => undefined);
  await older.connect();

  const fenced = await db.fence('A');
  expect(fenced.alreadyFenced).toBe(false);
  expect(fenced.terminatedSessions).toBeGreaterThanOrEqual(1);
  await expect(older.query('SELECT 1')).rejects.toThrow();
  await older.end().catch(() => undefined);
  await expect(sql('A', "INSERT INTO bookings VALUES ('after-fence')")).rejects.toThrow(/read-only transaction/);
  expect(await bookings('A')).toEqual(['before-fence']);
  expect(await db.status('A')).toMatchObject({ fenced: true, role: 'leader' });
  expect(await db.fence('A')).toMatchObject({ alreadyFenced: true });
  // Patroni keeps the fence: it is in the cluster's dynamic configuration, not only in postgresql.conf.
  const config = (await (await fetch(`${pair.settings.regions.A!.restUrl}/config`)).json()) as { postgresql: { parameters: Record<string, unknown> } };
  expect(config.postgresql.parameters.default_transaction_read_only).toBe('on');
});

test('B catches up with the fenced primary', async () => {
  await expect.poll(() => bookings('B'), { timeout: 20_000 }).toEqual(['before-fence']);
  const [a, b] = [await db.status('A'), await db.status('B')];
  await expect.poll(async () => (await db.status('B')).replayLsn, { timeout: 20_000 }).toBe(a.lsn);
  expect(b.streaming).toBe(true);
});

test('a paused Patroni (maintenance mode) is not asked to promote: the refusal says how to resume', async () => {
  const patch = (body: unknown) => fetch(`${pair.settings.regions.B!.restUrl}/config`, { method: 'PATCH', body: JSON.stringify(body) });
  expect((await patch({ pause: true })).status).toBe(200);
  // Right away: Patroni's GET /config may not show the pause yet, the provider reads the DCS itself.
  try {
    await expect(db.promote('B', 60)).rejects.toMatchObject({
      type: 'Precondition',
      message: 'region B: Patroni is paused (maintenance mode) and will not promote; run "patronictl resume" first',
    });
  } finally {
    expect((await patch({ pause: null })).status).toBe(200);
  }
  expect(await db.status('B')).toMatchObject({ role: 'standby_leader', inRecovery: true });
});

test('promote B: its leader accepts writes, and a second promote changes nothing', async () => {
  const promoted = await db.promote('B', 60);
  expect(promoted.alreadyPromoted).toBe(false);
  expect(await db.status('B')).toMatchObject({ reachable: true, role: 'leader', inRecovery: false, fenced: false });
  await sql('B', "INSERT INTO bookings VALUES ('on-b')");
  expect(await bookings('B')).toEqual(['before-fence', 'on-b']);
  expect(await db.promote('B', 60)).toMatchObject({ alreadyPromoted: true });
  expect(await db.unfence('B')).toEqual({ alreadyUnfenced: true });
});

test("rebuild A as a standby cluster of B: it streams from B and has B's new row; a second rebuild changes nothing", async () => {
  const progress: unknown[] = [];
  const result = await rebuild.rebuildAsStandby({ region: 'A', primary: 'B' }, (d) => progress.push(d));
  expect(result).toEqual({ region: 'A', primary: 'B', method: 'patroni-standby-cluster' });
  expect(await db.status('A')).toMatchObject({ reachable: true, role: 'standby_leader', inRecovery: true, streaming: true });
  await expect.poll(() => bookings('A'), { timeout: 20_000 }).toEqual(['before-fence', 'on-b']);
  await sql('B', "INSERT INTO bookings VALUES ('after-rebuild')");
  await expect.poll(() => bookings('A'), { timeout: 20_000 }).toContain('after-rebuild');
  expect(await rebuild.rebuildAsStandby({ region: 'A', primary: 'B' }, () => undefined)).toMatchObject({ method: 'already-standby' });
  expect(progress[0]).toMatchObject({ step: 'standby_cluster set', region: 'A' });
});

test('unfence A lifts the fence Patroni kept through the rebuild; probe passes with B primary', async () => {
  expect(await db.status('A')).toMatchObject({ fenced: true });
  expect(await db.unfence('A')).toEqual({ alreadyUnfenced: false });
  expect(await db.status('A')).toMatchObject({ fenced: false, inRecovery: true });
  expect(await db.unfence('A')).toEqual({ alreadyUnfenced: true });
  const results = await db.probe();
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.at(-1)?.detail).toBe('B primary; A standby, streaming');
});

test('rebuilding onto a region that is not primary is refused', async () => {
  await expect(rebuild.rebuildAsStandby({ region: 'B', primary: 'A' }, () => undefined)).rejects.toMatchObject({
    type: 'Precondition',
    message: expect.stringContaining('region A is not a primary cluster (standby_leader); promote it before rebuilding B'),
  });
});

test('an old primary that went on writing after the failover is rewound by Patroni and follows again', async () => {
  // An emergency failback: A is promoted while B, the primary, still takes writes nobody will keep.
  expect(await db.promote('A', 60)).toMatchObject({ alreadyPromoted: false });
  await sql('B', "INSERT INTO bookings VALUES ('lost-on-b')");
  await sql('A', "INSERT INTO bookings VALUES ('on-a')");
  expect(await db.reportedReplayLagSeconds!('A')).toBeNull();

  expect(await rebuild.rebuildAsStandby({ region: 'B', primary: 'A' }, () => undefined)).toMatchObject({ method: 'patroni-standby-cluster' });
  expect(await db.status('B')).toMatchObject({ role: 'standby_leader', inRecovery: true, streaming: true });
  await expect.poll(() => bookings('B'), { timeout: 20_000 }).toEqual(['after-rebuild', 'before-fence', 'on-a', 'on-b']);
  expect((await db.probe()).at(-1)).toMatchObject({ ok: true, detail: 'A primary; B standby, streaming' });
});

test('probe fails clearly on a wrong REST URL', async () => {
  const wrongUrl = `http://127.0.0.1:${await freePort()}`;
  const settings: PatroniSettings = { ...pair.settings, regions: { ...pair.settings.regions, A: { ...pair.settings.regions.A!, restUrl: wrongUrl } } };
  const results = await createPatroniDatabase(settings, pair.regions, 'booking').probe();
  expect(results.find((r) => r.check === `region A: Patroni REST API ${wrongUrl}`)).toMatchObject({
    ok: false,
    detail: expect.stringContaining('unreachable'),
  });
  expect(results.at(-1)).toMatchObject({ ok: false, detail: 'not every region answered' });
  expect(results.find((r) => r.check.startsWith('region B: Patroni REST API'))).toMatchObject({ ok: true });
});
