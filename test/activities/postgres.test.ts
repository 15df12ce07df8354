import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { estateAdapters } from '../../dev/estate/adapters';

let estate: TestEstate;
let pg: ReturnType<typeof estateAdapters>;
let booking: ReturnType<typeof estateAdapters>;

async function sql(region: 'A' | 'B', text: string, params: unknown[] = []) {
  const p = estate.catalog.services.booking.regions[region].postgres;
  const c = new Client({ host: p.host, port: p.port, user: p.user, database: p.database, connectionTimeoutMillis: 3_000 });
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  estate = await startTestEstate({ loadBalancer: false, fleetHosts: 6 });
  pg = estateAdapters(estate.catalog);
  booking = estateAdapters(estate.catalog);
});
afterAll(async () => {
  await estate?.stop();
});

describe('PostgreSQL pair (real streaming replication)', () => {
  it('reports A as primary, B as a streaming standby, with lag in bytes and seconds', async () => {
    const s = await pg.replicationStatus();
    expect(s.primary).toBe('A');
    expect(s.standby).toBe('B');
    expect(s.nodes.B!.streaming).toBe(true);
    expect(typeof s.lagBytes).toBe('number');
  });

  it('replication catches up: a booking written in A is readable in B', async () => {
    await booking.createBooking({ region: 'A', idempotencyKey: 'repl-1', flight: 'LB100', seat: '1A', passenger: 'Ada' });
    const { lsn } = await pg.currentWalLsn({ region: 'A' });
    const replayed = await pg.waitForReplay({ region: 'B', targetLsn: lsn, timeoutMs: 30_000 });
    expect(replayed.reached).toBe(true);
    expect(await booking.getBooking({ region: 'B', idempotencyKey: 'repl-1' })).toMatchObject({ flight: 'LB100', seat: '1A' });
    const s = await pg.replicationStatus();
    expect(s.lagBytes).toBe(0);
    expect(s.lagSeconds).toBe(0);
  });

  it('fencing refuses writes while reads go on; unfencing restores writes; both are idempotent', async () => {
    const fenced = await pg.fenceDatabase({ region: 'A' });
    expect(fenced).toMatchObject({ fenced: true, alreadyFenced: false });
    await expect(sql('A', `INSERT INTO bookings (idempotency_key, flight, seat, passenger, region) VALUES ('f1','LB100','2A','Bo','A')`)).rejects.toThrow(
      /read-only transaction/,
    );
    expect((await sql('A', 'SELECT count(*)::int AS n FROM bookings')).rows[0].n).toBeGreaterThan(0);
    await expect(booking.createBooking({ region: 'A', idempotencyKey: 'fenced-1', flight: 'LB100', seat: '2A', passenger: 'Bo' })).rejects.toThrow(
      /refuses writes/,
    );
    expect((await booking.health({ region: 'A' })).db).toMatchObject({ reachable: true, writable: false });
    expect(await pg.fenceDatabase({ region: 'A' })).toMatchObject({ fenced: true, alreadyFenced: true });
    expect((await pg.nodeStatus({ region: 'A' })).fenced).toBe(true);

    expect(await pg.unfenceDatabase({ region: 'A' })).toMatchObject({ fenced: false, alreadyUnfenced: false });
    expect(await pg.unfenceDatabase({ region: 'A' })).toMatchObject({ fenced: false, alreadyUnfenced: true });
    const created = await booking.createBooking({ region: 'A', idempotencyKey: 'unfenced-1', flight: 'LB100', seat: '2A', passenger: 'Bo' });
    expect(created.replayed).toBe(false);
  });

  it('the standby refuses writes until it is promoted; promoting twice reports alreadyPromoted', async () => {
    await expect(sql('B', `INSERT INTO bookings (idempotency_key, flight, seat, passenger, region) VALUES ('s1','LB100','3A','Cy','B')`)).rejects.toThrow(
      /read-only transaction/,
    );
    await expect(booking.createBooking({ region: 'B', idempotencyKey: 'standby-1', flight: 'LB100', seat: '3A', passenger: 'Cy' })).rejects.toThrow(
      /refuses writes/,
    );

    const promoted = await pg.promoteStandby({ region: 'B' });
    expect(promoted).toMatchObject({ region: 'B', promoted: true, alreadyPromoted: false, otherPrimaryReachable: true });
    expect(await pg.promoteStandby({ region: 'B' })).toMatchObject({ promoted: true, alreadyPromoted: true });

    const created = await booking.createBooking({ region: 'B', idempotencyKey: 'standby-1', flight: 'LB100', seat: '3A', passenger: 'Cy' });
    expect(created.booking.region).toBe('B');
    const s = await pg.replicationStatus();
    expect(s.nodes.B!.inRecovery).toBe(false);
    expect(s.standby).toBeNull();
  });
});
