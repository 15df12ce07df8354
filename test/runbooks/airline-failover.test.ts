import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { finishAirlineLoads, startAirlineLoads } from '../../dev/estate/airline-load';
import { estateStatus } from '../../dev/estate/status';
import { breakRegion, breakService } from '../../estate/estate';
import { sampleEstateAwsEnv } from '../../estate/flight-status-service';
import { ESTATE_SERVICES } from '../../estate/services';
import type { TestEstate } from '../../estate/testing';
import type { RunResult } from '../../kit';
import type { ReadinessEvaluation } from '../../kit/trust';
import type { FailbackResult } from '../../workflows/region-failback';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { lifeboatInProcess } from '../helpers/cli';
import { approveByLeads } from './region-helpers';

/**
 * The whole airline, end to end: each service (booking with loyalty, checkin, crew, flight-status) fails over from A
 * to B through its own providers and comes back, under steady load on every service, with nothing acknowledged lost.
 * One estate and one worker for the file: the slow part is the estate, and one start serves every service.
 */
let ctx: TemporalTestContext;
let estate: TestEstate;
let targetsPath: string;

/** The switches, in the order an operator would take them, and the services each one moves. */
const moves = [
  { service: 'loyalty', moved: ['booking', 'loyalty'] },
  { service: 'checkin', moved: ['checkin'] },
  { service: 'crew', moved: ['crew'] },
  { service: 'flight-status', moved: ['flight-status'] },
] as const;

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ services: [...ESTATE_SERVICES], fleetHosts: 4 }, 'airline'));
  // The worker runs in this process; the Route 53 provider finds moto's credentials in its environment.
  Object.assign(process.env, sampleEstateAwsEnv(estate.catalog, process.env));
});
afterAll(() =>
  closeRunbookSuite(
    { ctx, estate },
    moves.flatMap((m) => [`region-failover/${m.service}`, `region-failback/${m.service}`]),
  ),
);

/** Starts a run as alice, has two SRE leads approve it, and returns its result. */
async function approvedRun<T>(
  taskQueue: string,
  workflowType: 'regionFailover' | 'regionFailback',
  input: { service: string; [field: string]: unknown },
): Promise<RunResult<T>> {
  const runbook = workflowType === 'regionFailover' ? 'region-failover' : 'region-failback';
  const handle: WorkflowHandle = await ctx.client.workflow.start(workflowType, {
    taskQueue,
    workflowId: `${runbook}/${input.service}`,
    args: [{ input, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval' || s.state === 'needs-intervention' || s.state === 'failed', 120_000);
  await approveByLeads(handle);
  return (await handle.result()) as RunResult<T>;
}

/** Where each service's clients are sent now, as `npm run estate -- status` shows it. */
async function activeRegions(): Promise<Record<string, string | null>> {
  const status = await estateStatus(estate.catalog);
  return Object.fromEntries(status.services.map((s) => [s.service, s.active]));
}

test('lifeboat targets check passes on the targets file the estate writes, and names the failover group and the dependency', async () => {
  const r = await lifeboatInProcess(['targets', 'check', '--targets', targetsPath]);
  expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
  for (const service of ESTATE_SERVICES) expect(r.stdout).toContain(service);
  expect(r.stdout).toMatch(/booking.*loyalty/);
  expect(r.stdout).toMatch(/checkin.*booking/);
  const json = JSON.parse((await lifeboatInProcess(['targets', 'check', '--targets', targetsPath, '--json'])).stdout) as {
    ok: boolean;
    checks: { service: string; provider: string; ok: boolean }[];
  };
  expect(json.ok).toBe(true);
  // Each service through its own providers, every one probed against the real system.
  const providers = (service: string) => [...new Set(json.checks.filter((c) => c.service === service).map((c) => c.provider.split(' ')[0]!))].sort();
  expect(providers('crew')).toEqual(expect.arrayContaining(['haproxy', 'http', 'patroni']));
  expect(providers('flight-status')).toEqual(expect.arrayContaining(['http', 'route53']));
  expect(providers('checkin')).toEqual(expect.arrayContaining(['haproxy', 'http', 'postgres']));

  // The plan says how each service moves, before anything runs.
  const plan = async (service: string) => (await lifeboatInProcess(['plan', 'region-failover', '--targets', targetsPath, '--service', service])).stdout;
  expect(await plan('loyalty')).toContain('moves together: booking, loyalty');
  expect(await plan('checkin')).toContain('depends on: booking');
  expect(await plan('flight-status')).toContain('keeps no data');
  expect(await plan('crew')).not.toContain('moves together');
});

test("an isolated drill of checkin's failover clones checkin's own standby, writes a record to the clone, and moves nothing", async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  const before = await estateStatus(estate.catalog);
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: 'region-failover/checkin',
      args: [{ input: { service: 'checkin', mode: 'planned' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
    });
    const result = (await handle.result()) as RunResult<{ clone: { port: number; recordKey?: string; bookingId?: number; removed: boolean } }>;
    expect(result.state, result.outcome).toBe('succeeded');
    // A record in checkin's table, not a seat in booking's: the clone is of checkin's standby.
    expect(result.output!.clone).toMatchObject({ recordKey: expect.stringMatching(/^lifeboat-drill:region-failover\/checkin:/), removed: true });
    expect(result.output!.clone.bookingId).toBeUndefined();
  });
  const after = await estateStatus(estate.catalog);
  expect(after.services.map((s) => [s.service, s.active, s.replication?.primary ?? null])).toEqual(
    before.services.map((s) => [s.service, s.active, s.replication?.primary ?? null]),
  );
});

test('every service fails over from A to B and back through its own providers, under load, with nothing acknowledged lost', { timeout: 900_000 }, async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  expect(await activeRegions()).toEqual({ booking: 'A', loyalty: 'A', checkin: 'A', crew: 'A', 'flight-status': 'A' });
  const loads = startAirlineLoads(estate.catalog, { ratePerSecond: 10 });
  const failedOver: Record<string, SwitchResult> = {};
  const cameBack: Record<string, FailbackResult> = {};
  try {
    await worker.runUntil(async () => {
      for (const { service, moved } of moves) {
        const failover = await approvedRun<SwitchResult>(taskQueue, 'regionFailover', { service, mode: 'planned', verifyWindowSeconds: 1 });
        expect(failover.state, `${service} failover: ${failover.outcome}`).toBe('succeeded');
        failedOver[service] = failover.output!;
        const after = await activeRegions();
        for (const s of moved) expect(after[s], `${s} after ${service}'s failover`).toBe('B');

        const failback = await approvedRun<FailbackResult>(taskQueue, 'regionFailback', { service, verifyWindowSeconds: 1 });
        expect(failback.state, `${service} failback: ${failback.outcome}`).toBe('succeeded');
        cameBack[service] = failback.output!;
        const back = await activeRegions();
        for (const s of moved) expect(back[s], `${s} after ${service}'s failback`).toBe('A');
      }
    });
  } finally {
    await Promise.all(loads.map((l) => l.run.stop()));
  }
  const finished = await finishAirlineLoads(loads, (line) => console.log(line));

  // The failover group moved as one, and the results say which services moved.
  expect(failedOver.loyalty).toMatchObject({ source: 'A', target: 'B', services: ['booking', 'loyalty'] });
  expect(cameBack.loyalty).toMatchObject({ source: 'B', target: 'A', services: ['booking', 'loyalty'] });
  // Each moved through its own providers: PostgreSQL and HAProxy, Patroni, Route 53.
  for (const service of ['loyalty', 'checkin', 'crew'] as const) expect(failedOver[service]!.rpo).toMatchObject({ bytes: 0 });
  expect(failedOver['flight-status']!.rpo).toMatchObject({ stateless: true });

  // Planned switches lose nothing: not by the runs' own count, and not by checking every acknowledged write afterwards.
  for (const { service } of moves.filter((m) => m.service !== 'flight-status')) {
    expect(failedOver[service]!.rpo.lostAcknowledgedBookings, `${service} failover's own loss count`).toBe(0);
    expect(cameBack[service]!.rpo.lostAcknowledgedBookings, `${service} failback's own loss count`).toBe(0);
  }
  const lost = Object.fromEntries(finished.filter((f) => f.service !== 'flight-status').map((f) => [f.service, f.counters.lost?.lost]));
  expect(lost).toEqual({ booking: 0, loyalty: 0, checkin: 0, crew: 0 });
  for (const f of finished) expect(f.counters.successes, `${f.service} kept serving`).toBeGreaterThan(20);
  console.log(
    Object.entries(cameBack)
      .map(([s, r]) => `${s}: rebuilt ${r.rebuilt.region} by ${r.rebuilt.method}, reprotected by ${r.reprotected?.method ?? '-'}`)
      .join('\n'),
  );
  console.log(
    finished
      .map((f) => `${f.service}: ${f.counters.successes} acknowledged, downtime ${f.counters.downtimeMs} ms, ${f.counters.lost?.checked ?? 0} checked`)
      .join('\n'),
  );
  expect(await activeRegions()).toEqual({ booking: 'A', loyalty: 'A', checkin: 'A', crew: 'A', 'flight-status': 'A' });
});

test('readiness covers every service and names the dependency that is not ready; break-region A breaks every service in A', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath, { factsWorker: true });
  const cli = (args: string[]) => lifeboatInProcess(args, { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue, LIFEBOAT_TARGETS: targetsPath });
  const checkinReadiness = async () =>
    JSON.parse((await cli(['readiness', 'region-failover', '--target', 'checkin', '--as', 'alice', '--json'])).stdout) as ReadinessEvaluation;
  const check = (evaluation: ReadinessEvaluation, name: string) => evaluation.checks.find((c) => c.name === name);
  await worker.runUntil(async () => {
    expect(check(await checkinReadiness(), 'dependencies-ready')).toMatchObject({ ready: true });

    // Booking's standby in B breaks (and with it loyalty's, on the same server): checkin could not fail over to B.
    expect(await breakService(estate.dir, 'booking', 'B')).toContain("loyalty's database lives on the same server and is down in B too");
    const broken = await checkinReadiness();
    expect(broken.ready).toBe(false);
    expect(check(broken, 'dependencies-ready')).toMatchObject({ ready: false, reason: expect.stringMatching(/^checkin depends on booking: .*booking/) });
    // Checkin's own standby is fine: only the dependency is named.
    expect(check(broken, 'standby-streaming')).toMatchObject({ ready: true });

    // Without --target, every service of the targets file is checked.
    const table = await cli(['readiness', 'region-failover', '--as', 'alice']);
    expect(table.code).toBe(1);
    for (const service of ESTATE_SERVICES) expect(table.stdout).toContain(service);
  });

  // The outage: every service in region A at once.
  const said = await breakRegion(estate.dir, 'A');
  expect(said).toHaveLength(ESTATE_SERVICES.length);
  const status = await estateStatus(estate.catalog);
  for (const s of status.services) expect(s.regions.A.reachable, `${s.service} A`).toBe(false);
  for (const service of ESTATE_SERVICES) expect(status.problems).toContain(`${service} A down`);
});
