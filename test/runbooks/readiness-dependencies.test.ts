import { tmpdir } from 'node:os';
import { afterAll, beforeAll, beforeEach, expect, inject, test } from 'vitest';
import { createReadinessActivities } from '../../activities/readiness';
import { targetsAccess } from '../../activities/targets';
import type { ReadinessEvaluation } from '../../kit/trust';
import { regionFailback } from '../../runbooks/region-failback';
import { regionFailover } from '../../runbooks/region-failover';
import { lifeboatInProcess } from '../helpers/cli';
import { commandEstate, type CommandEstate } from '../helpers/command-estate';
import { connectToTestServer, createTestWorker, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';

/**
 * Readiness across services, on an estate of files behind the `command` provider: checkin calls booking
 * (`dependsOn` in the targets file), flight-status keeps no data. What a dependency lacks in the target region makes
 * the service that calls it not ready, and says which dependency and what is wrong.
 */
let estate: CommandEstate;
let ctx: TemporalTestContext;

beforeAll(async () => {
  estate = commandEstate({ booking: {}, checkin: { dependsOn: ['booking'] }, 'flight-status': { stateless: true } });
  ctx = await connectToTestServer('readiness');
});
afterAll(async () => {
  await ctx?.close();
  estate?.remove();
});
beforeEach(() => {
  for (const service of ['booking', 'checkin', 'flight-status']) estate.healthy(service);
});

const probes = () => createReadinessActivities({ access: targetsAccess(estate.targetsPath), rosterPath: inject('testRosterPath') });
const checkNamed = (name: string) => [...(regionFailover.readiness ?? [])].find((c) => c.name === name)!;
const probe = (target: string, name: string) => probes().readinessProbe({ runbook: 'region-failover', target, check: checkNamed(name) });

test('a service with no dependencies is ready, and one whose dependency is ready in the target region says so', async () => {
  expect(await probe('booking', 'dependencies-ready')).toEqual({ ready: true, reason: 'no dependencies' });
  expect(await probe('checkin', 'dependencies-ready')).toEqual({
    ready: true,
    reason: 'checkin depends on booking: booking is ready in region B: its standby streams, its service answers and the traffic provider reaches it',
  });
});

test("booking's standby in B not streaming leaves checkin not ready, naming booking, while checkin's own standby is fine", async () => {
  estate.answer('booking', 'database', 'status', { reachable: true, inRecovery: true, streaming: false, replayLsn: '0/3000000' }, 'B');
  expect(await probe('checkin', 'dependencies-ready')).toEqual({
    ready: false,
    reason: "checkin depends on booking: booking's standby in region B is not streaming from the primary",
  });
  expect(await probe('checkin', 'standby-streaming')).toMatchObject({ ready: true, reason: expect.stringMatching(/^region B's standby streams/) });
  // Booking's own failover readiness says the same about its standby, in the words it always used.
  expect(await probe('booking', 'standby-streaming')).toEqual({ ready: false, reason: 'the standby in region B is not streaming from the primary' });
});

test("booking's service down in B and its endpoint failing its checks are both named", async () => {
  estate.answer('booking', 'service-mode', 'health', { reachable: false, error: 'connection refused' }, 'B');
  estate.answer('booking', 'traffic', 'health', [
    { region: 'A', endpoint: 'booking-a', healthy: true, status: 'UP' },
    { region: 'B', endpoint: 'booking-b', healthy: false, status: 'DOWN' },
  ]);
  const outcome = await probe('checkin', 'dependencies-ready');
  expect(outcome.ready).toBe(false);
  expect(outcome.reason).toContain('checkin depends on booking: the booking service in region B is unreachable (connection refused)');
  expect(outcome.reason).toContain('the traffic provider sees booking-b (region B) as DOWN: its health checks fail');
});

test('a dependency that already serves from the target region needs no standby there', async () => {
  estate.answer('booking', 'traffic', 'active', { region: 'B', endpoint: 'booking-b' });
  estate.answer('booking', 'database', 'status', { reachable: true, inRecovery: false, fenced: false, lsn: '0/4000000' }, 'B');
  expect(await probe('checkin', 'dependencies-ready')).toEqual({
    ready: true,
    reason: 'checkin depends on booking: booking already serves from region B and answers there',
  });
});

test('flight-status keeps no data: its standby check is ready for that reason, and its service needs no database', async () => {
  expect(await probe('flight-status', 'standby-streaming')).toEqual({ ready: true, reason: 'flight-status keeps no data: there is no standby to stream' });
  expect(await probe('flight-status', 'target-service-healthy')).toEqual({
    ready: true,
    reason: 'the flight-status service in region B answers (flight-status keeps no data)',
  });
});

test('region-failback asks the same of the region it returns to', () => {
  expect((regionFailback.readiness ?? []).map((c) => c.name)).toEqual(['dependencies-ready']);
});

test('lifeboat readiness without --target checks every service of the targets file, one row per service and check', async () => {
  estate.answer('booking', 'database', 'status', { reachable: true, inRecovery: true, streaming: false, replayLsn: '0/3000000' }, 'B');
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue, LIFEBOAT_TARGETS: estate.targetsPath };
  const { worker } = await createTestWorker(ctx, taskQueue, {}, estate.targetsPath, { factsWorker: true });
  await worker.runUntil(async () => {
    const out = await lifeboatInProcess(['readiness', 'region-failover'], env);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(1);
    for (const service of ['booking', 'checkin', 'flight-status']) expect(out.stdout).toMatch(new RegExp(`region-failover\\s+${service}\\s+standby-streaming`));
    expect(out.stdout).toMatch(
      /region-failover\s+checkin\s+dependencies-ready\s+NOT READY\s+checkin depends on booking: booking's standby in region B is not streaming from the primary/,
    );
    expect(out.stdout).toMatch(/region-failover\s+booking\s+dependencies-ready\s+ready\s+no dependencies/);
    expect(out.stdout.trim().split('\n').at(-1)).toBe('NOT READY: region-failover on booking, region-failover on checkin, region-failover on flight-status');

    // The JSON lists one evaluation per service; one service named with --target is one evaluation, as before.
    const all = JSON.parse((await lifeboatInProcess(['readiness', 'region-failover', '--json'], env)).stdout) as { runbooks: ReadinessEvaluation[] };
    expect(all.runbooks.map((e) => e.target)).toEqual(['booking', 'checkin', 'flight-status']);
    const one = JSON.parse((await lifeboatInProcess(['readiness', 'region-failover', '--target', 'checkin', '--json'], env)).stdout) as ReadinessEvaluation;
    expect(one).toMatchObject({ runbook: 'region-failover', target: 'checkin', ready: false });

    // Without a readable targets file the CLI checks the usual target only, as before.
    const noFile = JSON.parse(
      (await lifeboatInProcess(['readiness', 'region-failover', '--json'], { ...env, LIFEBOAT_TARGETS: `${tmpdir()}/no-such-targets.json` })).stdout,
    ) as ReadinessEvaluation;
    expect(noFile).toMatchObject({ runbook: 'region-failover', target: 'booking' });
  });
}, 120_000);
