import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DatabaseProvider } from '../../providers/contracts/database';
import type { RebuildProvider } from '../../providers/contracts/rebuild';
import { bookingRefs, startPatroniProviders, type PatroniPair, sqlOn } from '../helpers/patroni';

// An emergency failover and its failback: region A is lost, B is promoted without a fence, and A comes back on its own.
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

test('A is lost: status says unreachable, and B is promoted without fencing A', async () => {
  await sql('A', 'CREATE TABLE bookings (ref text PRIMARY KEY)');
  await sql('A', "INSERT INTO bookings VALUES ('before-outage')");
  await expect.poll(() => bookings('B'), { timeout: 20_000 }).toEqual(['before-outage']);
  await pair.stopRegion('A', 'crash');

  expect(await db.status('A')).toMatchObject({ reachable: false, error: expect.stringContaining('unreachable') });
  await expect(db.fence('A')).rejects.toThrow(/unreachable/);
  expect(await db.promote('B', 60)).toMatchObject({ alreadyPromoted: false });
  await sql('B', "INSERT INTO bookings VALUES ('on-b')");
});

test('A comes back as a primary of its own on the same timeline number; the rebuild still makes it follow B', async () => {
  await pair.startRegion('A');
  await expect.poll(async () => (await db.status('A')).inRecovery === false && (await db.status('A')).role, { timeout: 60_000 }).toBe('leader');
  await sql('A', "INSERT INTO bookings VALUES ('lost-on-a')");
  const probe = await db.probe();
  expect(probe.at(-1)).toMatchObject({ ok: false, detail: expect.stringContaining('2 primary clusters') });

  const result = await rebuild.rebuildAsStandby({ region: 'A', primary: 'B' }, () => undefined);
  expect(result).toMatchObject({ method: 'patroni-standby-cluster', fallbackReason: expect.stringContaining('both been promoted onto timeline 2') });
  expect(await db.status('A')).toMatchObject({ role: 'standby_leader', inRecovery: true, streaming: true });
  await sql('B', "INSERT INTO bookings VALUES ('after-rebuild')");
  await expect.poll(() => bookings('A'), { timeout: 20_000 }).toEqual(['after-rebuild', 'before-outage', 'on-b']);
  expect((await db.probe()).filter((r) => !r.ok)).toEqual([]);
});
