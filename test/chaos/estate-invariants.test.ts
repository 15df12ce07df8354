import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  checkLostWrites,
  checkTrafficOneRegion,
  PLANNED_LOSES_NOTHING,
  postmasterPid,
  startChaosLoad,
  TRAFFIC_ONE_REGION,
  TWO_WRITABLE_PRIMARIES,
  watchPrimaries,
  type PrimariesWatch,
} from '../../chaos/invariants';
import { estateAdapters } from '../../dev/estate/adapters';
import { estateLayout } from '../../estate/state-dir';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { sql } from '../runbooks/region-helpers';

let estate: TestEstate;

beforeAll(async () => {
  estate = await startTestEstate();
});
afterAll(() => estate?.stop());

/** Lets the watcher complete `rounds` more rounds: proof it is not stalled, and time for it to see the estate. */
async function moreRounds(watch: PrimariesWatch, rounds: number): Promise<void> {
  const target = watch.sampleCount() + rounds;
  await expect.poll(() => watch.sampleCount()).toBeGreaterThanOrEqual(target);
}

test('the estate as it started: one writable primary of booking, and clients in one region', async () => {
  const watch = watchPrimaries(estate.catalog);
  await moreRounds(watch, 3);
  expect(watch.lastRound()).toEqual([
    {
      database: 'booking',
      A: expect.objectContaining({ reachable: true, inRecovery: false, fenced: false }),
      B: expect.objectContaining({ reachable: true, inRecovery: true }),
    },
  ]);
  expect(await watch.stop()).toEqual([]);
  expect(await checkTrafficOneRegion(estate.catalog, ['booking'])).toEqual([]);
});

test('a drained active region sends clients nowhere: the traffic check says so, and passes again once it is ready', async () => {
  const adapters = estateAdapters(estate.catalog);
  await adapters.drainBackend({ service: 'booking', region: 'A' });
  try {
    expect(await checkTrafficOneRegion(estate.catalog, ['booking'])).toEqual([
      { invariant: TRAFFIC_ONE_REGION, evidence: expect.stringMatching(/^booking: clients are sent to region A .*out of rotation: DRAIN/) },
    ]);
  } finally {
    await adapters.drainBackend({ service: 'booking', region: 'A', state: 'ready' });
  }
  expect(await checkTrafficOneRegion(estate.catalog, ['booking'])).toEqual([]);
});

test('a load that lost nothing passes; acknowledged bookings deleted behind its back are counted lost, in load.json too', async () => {
  const clean = startChaosLoad(estate.catalog, ['booking']);
  await expect.poll(() => clean.acknowledged()).toBeGreaterThanOrEqual(10);
  const [measured] = await clean.measured();
  expect(measured).toMatchObject({ service: 'booking', lost: 0, lostKeys: [], lostSeconds: 0 });
  expect(measured!.acknowledged).toBeGreaterThanOrEqual(10);
  expect(checkLostWrites([measured!], { mode: 'planned' })).toEqual([]);

  const load = startChaosLoad(estate.catalog, ['booking']);
  await expect.poll(() => load.acknowledged()).toBeGreaterThanOrEqual(10);
  await load.stop();
  // This load's last three bookings vanish from the primary, as if a failover had dropped them.
  const gone = await sql<{ idempotency_key: string }>(
    estate.catalog,
    'A',
    `DELETE FROM bookings WHERE id IN (SELECT id FROM bookings ORDER BY id DESC LIMIT 3) RETURNING idempotency_key`,
  );
  const [lossy] = await load.measured();
  expect(lossy!.lost).toBe(3);
  expect([...lossy!.lostKeys].sort()).toEqual(gone.map((g) => g.idempotency_key).sort());
  expect(checkLostWrites([lossy!], { mode: 'planned' })).toEqual([{ invariant: PLANNED_LOSES_NOTHING, evidence: expect.stringContaining('booking: 3 of') }]);
  expect(checkLostWrites([lossy!], { mode: 'emergency', recordedRpo: [{ service: 'booking', lostWrites: 3 }] })).toEqual([]);
  // The runbooks' loss count reads the estate's counter file: the chaos load keeps it as `estate load` does.
  const counters = JSON.parse(readFileSync(estateLayout(estate.catalog.stateDir).loadCounters, 'utf8')) as { lost: { lost: number } };
  expect(counters.lost.lost).toBe(3);
});

test('a paused primary (SIGSTOP: new sessions hang) stalls no round of the watcher and counts as no writable primary', async () => {
  const pid = postmasterPid(estate.catalog.services.booking.regions.A.postgres.dataDir);
  const watch = watchPrimaries(estate.catalog);
  process.kill(pid, 'SIGSTOP');
  try {
    await moreRounds(watch, 2);
    expect(watch.lastRound()).toEqual([
      { database: 'booking', A: expect.objectContaining({ reachable: false }), B: expect.objectContaining({ reachable: true, inRecovery: true }) },
    ]);
    await moreRounds(watch, 2);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  expect(await watch.stop()).toEqual([]);
});

// Last: they leave booking with two primaries.
test('B promoted while A still takes writes: two writable primaries, with what each said as evidence', async () => {
  const watch = watchPrimaries(estate.catalog);
  await moreRounds(watch, 2);
  await sql(estate.catalog, 'B', 'SELECT pg_promote()');
  await moreRounds(watch, 3);
  expect(await watch.stop()).toEqual([
    {
      invariant: TWO_WRITABLE_PRIMARIES,
      evidence: expect.stringMatching(/^booking: both regions took writes in one round: A primary, not fenced \(asked .*\); B primary, not fenced \(asked /),
    },
  ]);
});

test("the same two primaries once Lifeboat's fence is on A: no violation", async () => {
  await estateAdapters(estate.catalog).fenceDatabase({ service: 'booking', region: 'A' });
  const watch = watchPrimaries(estate.catalog);
  await moreRounds(watch, 3);
  expect(await watch.stop()).toEqual([]);
});
