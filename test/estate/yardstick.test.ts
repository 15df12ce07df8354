import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadCounters } from '../../estate/load';
import { estateLayout } from '../../estate/state-dir';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { runYardstick } from '../../dev/estate/yardstick';
import { estateAdapters } from '../../dev/estate/adapters';

let estate: TestEstate;

beforeAll(async () => {
  estate = await startTestEstate({ fleetHosts: 6 });
});
afterAll(async () => {
  await estate?.stop();
});

describe('the yardstick: break region A, promote and switch by hand', () => {
  it('load reports the downtime and the acknowledged bookings lost', async () => {
    const result = await runYardstick({ catalog: estate.catalog, warmupBookings: 30, recoveryBookings: 15, timeoutMs: 90_000 });

    // Clients saw an outage, then bookings flowed again through the same address.
    expect(result.downtimeMs).toBeGreaterThan(0);
    expect(result.counters.outages.length).toBeGreaterThanOrEqual(1);
    expect(result.failures).toBeGreaterThan(0);
    expect(result.acknowledged).toBeGreaterThanOrEqual(45);
    expect(result.lastAcknowledgedBeforeBreak).toMatch(/^load-/);
    // Every acknowledged booking was checked against the promoted region; the count is what the runbook must beat.
    expect(result.counters.lost).toMatchObject({ checked: result.acknowledged, lost: result.lost });
    expect(result.lost).toBeGreaterThanOrEqual(0);
    expect(result.lost).toBeLessThan(result.acknowledged);

    // The counters file others read says the same.
    const file = estateLayout(estate.dir).loadCounters;
    expect(existsSync(file)).toBe(true);
    const saved = LoadCounters.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(saved).toMatchObject({ running: false, successes: result.acknowledged, downtimeMs: result.downtimeMs, lost: { lost: result.lost } });

    // After the failover, B is active and takes bookings through the load balancer.
    const traffic = estateAdapters(estate.catalog);
    expect((await traffic.activeBackend()).region).toBe('B');
    const booking = estateAdapters(estate.catalog);
    const after = await booking.createBooking({ idempotencyKey: 'after-failover', flight: 'LB900', seat: '1A', passenger: 'Ned' });
    expect(after.booking.region).toBe('B');
  });
});
