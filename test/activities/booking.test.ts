import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, stopCluster } from '../../estate/postgres-cluster';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { estateAdapters } from '../../dev/estate/adapters';

let estate: TestEstate;
let booking: ReturnType<typeof estateAdapters>;

beforeAll(async () => {
  estate = await startTestEstate({ loadBalancer: false, fleetHosts: 6 });
  booking = estateAdapters(estate.catalog);
});
afterAll(async () => {
  await estate?.stop();
});

describe('booking service', () => {
  it('reports health with database reachability and writability', async () => {
    expect(await booking.health({ region: 'A' })).toMatchObject({ reachable: true, mode: 'normal', status: 'ok', db: { reachable: true, writable: true } });
    expect(await booking.health({ region: 'B' })).toMatchObject({ reachable: true, db: { reachable: true, writable: false, inRecovery: true } });
  });

  it('a retried request with the same idempotency key never books twice', async () => {
    const req = { region: 'A' as const, idempotencyKey: 'idem-1', flight: 'LB200', seat: '4C', passenger: 'Dee' };
    const first = await booking.createBooking(req);
    const again = await booking.createBooking(req);
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ booking: first.booking, replayed: true });
    await expect(booking.createBooking({ ...req, seat: '5C' })).rejects.toThrow(/idempotency key idem-1 was already used/);
    const url = estate.catalog.services.booking.regions.A.url;
    const seats = (await (await fetch(`${url}/flights/LB200/seats`)).json()) as { bookedCount: number; seats: { seat: string; booked: boolean }[] };
    expect(seats.bookedCount).toBe(1);
    expect(seats.seats.find((s) => s.seat === '4C')).toMatchObject({ booked: true });
    expect(seats.seats.filter((s) => !s.booked)).toHaveLength(179);
  });

  it('a seat can be booked only once', async () => {
    await booking.createBooking({ region: 'A', idempotencyKey: 'seat-1', flight: 'LB201', seat: '1A', passenger: 'Eve' });
    const url = estate.catalog.services.booking.regions.A.url;
    const res = await fetch(`${url}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idempotencyKey: 'seat-2', flight: 'LB201', seat: '1A', passenger: 'Fay' }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toBe('seat 1A on flight LB201 is already booked');
    await expect(booking.createBooking({ region: 'A', idempotencyKey: 'seat-2', flight: 'LB201', seat: '1A', passenger: 'Fay' })).rejects.toThrow(
      /already booked/,
    );
  });

  it('rejects invalid requests naming the field', async () => {
    const res = await fetch(`${estate.catalog.services.booking.regions.A.url}/bookings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idempotencyKey: 'bad', flight: 'LB201', seat: 'Z9', passenger: 'X' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/seat/);
  });

  it('refuses online booking in manual and read-only mode with a message naming the mode', async () => {
    expect(await booking.setMode({ region: 'A', mode: 'read-only' })).toMatchObject({ mode: 'read-only', previous: 'normal', changed: true });
    await expect(booking.createBooking({ region: 'A', idempotencyKey: 'ro-1', flight: 'LB202', seat: '1A', passenger: 'Gus' })).rejects.toThrow(
      /read-only mode/,
    );
    expect(await booking.getBooking({ region: 'A', idempotencyKey: 'idem-1' })).toMatchObject({ seat: '4C' });
    await booking.setMode({ region: 'A', mode: 'manual' });
    expect(await booking.setMode({ region: 'A', mode: 'manual' })).toMatchObject({ changed: false });
    expect(await booking.getMode({ region: 'A' })).toEqual({ region: 'A', mode: 'manual' });
    await expect(booking.createBooking({ region: 'A', idempotencyKey: 'man-1', flight: 'LB202', seat: '1A', passenger: 'Gus' })).rejects.toThrow(/manual mode/);
    await booking.setMode({ region: 'A', mode: 'normal' });
  });

  it('manual-mode bookings survive a database outage: the offline ledger keeps working', async () => {
    const dataDir = estate.catalog.services.booking.regions.A.postgres.dataDir;
    await booking.setMode({ region: 'A', mode: 'manual' });
    await stopCluster(dataDir, 'immediate');
    try {
      const health = await booking.health({ region: 'A' });
      expect(health).toMatchObject({ reachable: true, mode: 'manual', status: 'degraded', db: { reachable: false } });
      const entries = [
        { idempotencyKey: 'ctr-1', station: 'ATL-T1-03', flight: 'LB300', seat: '12A', passenger: 'Hal' },
        { idempotencyKey: 'ctr-2', station: 'ATL-T1-03', flight: 'LB300', seat: '12B', passenger: 'Ida' },
        { idempotencyKey: 'ctr-3', station: 'ATL-T2-01', flight: 'LB301', seat: '3F', passenger: 'Jo' },
      ];
      for (const e of entries) expect((await booking.appendLedger({ region: 'A', ...e })).duplicate).toBe(false);
      // A retried append is recognised.
      expect((await booking.appendLedger({ region: 'A', ...entries[0]! })).duplicate).toBe(true);
      const ledger = await booking.readLedger({ region: 'A' });
      expect(ledger.entries.map((e) => e.idempotencyKey).sort()).toEqual(['ctr-1', 'ctr-2', 'ctr-3']);
      expect(ledger.entries.every((e) => e.recordedAt && e.region === 'A')).toBe(true);
      expect(ledger.malformed).toEqual([]);
      expect((await booking.readLedger({ region: 'A', station: 'ATL-T2-01' })).entries).toHaveLength(1);
      await expect(booking.createBooking({ region: 'A', idempotencyKey: 'x', flight: 'LB300', seat: '12C', passenger: 'K' })).rejects.toThrow(/manual mode/);
    } finally {
      await startCluster(dataDir);
    }
    // Still there after the outage, and the database is back.
    expect((await booking.readLedger({ region: 'A' })).entries).toHaveLength(3);
    await expect.poll(async () => (await booking.health({ region: 'A' })).db?.reachable, { timeout: 15_000 }).toBe(true);
    await booking.setMode({ region: 'A', mode: 'normal' });
  });

  it('ledger reading exposes damaged lines instead of dropping them', async () => {
    const file = join(estate.dir, 'ledger', 'B', 'DTW-T1-01.jsonl');
    await booking.appendLedger({ region: 'B', idempotencyKey: 'l-1', station: 'DTW-T1-01', flight: 'LB400', seat: '1A', passenger: 'Lu' });
    appendFileSync(file, '{"idempotencyKey":"l-2","station":"DTW-T1-01","flight":"LB4');
    await booking.appendLedger({ region: 'B', idempotencyKey: 'l-3', station: 'DTW-T1-01', flight: 'LB400', seat: '1C', passenger: 'Mo' });
    const ledger = await booking.readLedger({ region: 'B', station: 'DTW-T1-01' });
    expect(ledger.entries.map((e) => e.idempotencyKey)).toEqual(['l-1', 'l-3']);
    expect(ledger.malformed).toHaveLength(1);
    expect(ledger.malformed[0]).toMatchObject({ station: 'DTW-T1-01', lineNumber: 2 });
    expect(ledger.malformed[0]!.text).toContain('l-2');
  });
});
