import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createRegionSwitchActivities } from '../../activities/region-switch';
import { createRosterActivities } from '../../activities/roster';
import { targetsAccess } from '../../activities/targets';
import { createTrafficActivities } from '../../activities/traffic';
import type { AlertOutcome } from '../../cli/alerts/receiver';
import { AlertRules } from '../../cli/alerts/rules';
import { serveAlerts } from '../../cli/commands/alerts';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { breakRegion, startEstate } from '../../estate/estate';
import { countLostBookings } from '../../estate/load';
import type { TestEstate } from '../../estate/testing';
import type { RunResult } from '../../kit';
import type { ReadinessEvaluation } from '../../kit/trust';
import type { FailbackResult } from '../../workflows/region-failback';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { lifeboatInProcess } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { sealTestRoster } from '../helpers/roster-seal';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { approveByLeads, estateSnapshot, expectOutagesWithin, loadThroughBalancer, moreBookings, sql } from './region-helpers';

let ctx: TemporalTestContext;
let estate: TestEstate;

beforeAll(async () => {
  ({ ctx, estate } = await openRunbookSuite({ fleetHosts: 4 }, 'region-failback'));
});
afterAll(() =>
  closeRunbookSuite({ ctx, estate }, [
    'region-failover/booking-failback-test',
    'region-failback/booking-failback-test',
    'region-failover/booking',
    'region-failback/booking',
  ]),
);

/**
 * Starts a run as alice, has both leads approve it, and returns its result. The workflow ids carry a suffix: the
 * failover test file runs `region-failover/booking` at the same time on the same server.
 */
async function approvedRun<T>(taskQueue: string, workflowType: string, input: object, name?: string): Promise<RunResult<T>> {
  const runbook = workflowType === 'regionFailover' ? 'region-failover' : 'region-failback';
  const handle: WorkflowHandle = await ctx.client.workflow.start(workflowType, {
    taskQueue,
    workflowId: `${runbook}/booking`,
    args: [{ input, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval' || s.state === 'needs-intervention' || s.state === 'failed', 120_000);
  await approveByLeads(handle);
  const result = (await handle.result()) as RunResult<T>;
  if (name) await recordHistory(handle, name);
  return result;
}

test('an isolated drill of failback is refused before anything is touched', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('regionFailback', {
      taskQueue,
      workflowId: 'region-failback/booking',
      args: [{ input: { service: 'booking' }, requestedBy: 'alice', drill: { kind: 'isolated' } }],
    });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toMatch(/^region-failback has no isolated drill: it rebuilds real databases/);
    expect(result.steps).toEqual([]);
  });
});

test('after an emergency failover, failback rebuilds region A, returns to it under load with nothing lost, and the next failover works', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    // The outage: region A breaks, and the service fails over to B.
    await breakRegion(estate.dir, 'A');
    const failover = await approvedRun<SwitchResult>(taskQueue, 'regionFailover', { service: 'booking', mode: 'emergency', verifyWindowSeconds: 1 });
    expect(failover.state).toBe('succeeded');

    // Region A comes back: its service and its database, which still thinks it is the primary.
    await startEstate({ dir: estate.dir });
    expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { role: 'primary' }, B: { role: 'primary' } });

    const load = loadThroughBalancer(estate.catalog);
    try {
      await moreBookings(load, 20);
      const failback = await approvedRun<FailbackResult>(
        taskQueue,
        'regionFailback',
        { service: 'booking', verifyWindowSeconds: 2 },
        'region-failback-after-emergency-signed',
      );
      expect(failback.state).toBe('succeeded');
      await moreBookings(load, 20);
      const counters = await load.stop();
      const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());

      const out = failback.output!;
      expect(lost.lost).toBe(0);
      expect(out).toMatchObject({ mode: 'planned', source: 'B', target: 'A', rpo: { bytes: 0, lostAcknowledgedBookings: 0 } });
      expect(out.rebuilt).toMatchObject({ region: 'A', method: 'pg_rewind' });
      expect(out.reprotected).toMatchObject({ region: 'B', method: expect.stringMatching(/^(pg_rewind|base-backup)$/) });
      expectOutagesWithin(counters, out.switchWindow);
      expect(failback.pointOfNoReturn).toMatchObject({ step: 'promote', undoInstead: 'lifeboat run region-failover --set service=booking --set mode=planned' });
      console.log(
        `failback: rebuilt A by ${out.rebuilt.method}, reprotected B by ${out.reprotected?.method}; switch window ${out.switchWindow.ms} ms, load downtime ${counters.downtimeMs} ms, ${lost.checked} bookings checked`,
      );
    } finally {
      await load.stop();
    }
    expect(await estateSnapshot(estate.catalog)).toMatchObject({
      active: 'A',
      A: { role: 'primary', fenced: false, mode: 'normal', lbServer: 'UP' },
      B: { role: 'standby', fenced: false },
    });

    // The estate is as it was before the outage, so a planned failover works again.
    const next = await approvedRun<SwitchResult>(taskQueue, 'regionFailover', { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 });
    expect(next.state).toBe('succeeded');
    expect(next.output).toMatchObject({ source: 'A', target: 'B', rpo: { bytes: 0, lostAcknowledgedBookings: 0 } });
  });
}, 300_000);

test('failback after a planned failover rewinds the fenced old primary and leaves no region fenced', async () => {
  // The previous test ends with a planned failover to B: A is a fenced primary that still runs, the usual drill state.
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { role: 'primary', fenced: true }, B: { role: 'primary', fenced: false } });
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const failback = await approvedRun<FailbackResult>(
      taskQueue,
      'regionFailback',
      { service: 'booking', verifyWindowSeconds: 1, incidentId: 'DRILL-7' },
      'region-failback-after-planned-signed',
    );
    expect(failback.state).toBe('succeeded');
    expect(failback.output).toMatchObject({
      source: 'B',
      target: 'A',
      incidentId: 'DRILL-7',
      rebuilt: { region: 'A', method: 'pg_rewind' },
      reprotected: { region: 'B' },
    });
  });
  expect(await estateSnapshot(estate.catalog)).toMatchObject({
    active: 'A',
    A: { role: 'primary', fenced: false, mode: 'normal' },
    B: { role: 'standby', fenced: false },
  });
  const timelines = await sql<{ name: string }>(estate.catalog, 'A', `SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history' ORDER BY name`);
  // Four promotions in this file (B, A, B, A), each exactly once, and A followed every one of them.
  expect(timelines.map((t) => t.name)).toEqual(['00000002.history', '00000003.history', '00000004.history', '00000005.history']);
}, 120_000);

/** The test roster with the alert receiver as a person of its own: a key, no groups, so it starts runs and approves nothing. */
async function rosterWithReceiver(): Promise<{ rosterPath: string; keyFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-failback-cycle-'));
  const principal = await generateEd25519KeyPair(dir, 'alertmanager');
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as { people: { id: string; name: string; groups: string[]; keys: string[] }[] };
  roster.people.push({ id: 'alertmanager', name: 'Alertmanager (alert receiver)', groups: [], keys: [principal.publicKeyLine] });
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, JSON.stringify(roster));
  await sealTestRoster(rosterPath);
  return { rosterPath, keyFile: principal.privateKeyPath };
}

test('after a failover and a failback, region B is back in rotation, readiness says ready, and an alert rule that requires readiness starts the emergency failover', async () => {
  // Where the previous tests leave the estate: home in region A, B a standby again.
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'A', A: { role: 'primary' }, B: { role: 'standby' } });
  const targetsPath = join(estate.dir, 'lifeboat.targets.json');
  const { rosterPath, keyFile } = await rosterWithReceiver();
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, createRosterActivities({ rosterPath }), targetsPath, { factsWorker: true });
  const token = randomBytes(24).toString('hex');
  const outcomes: AlertOutcome[] = [];
  await worker.runUntil(async () => {
    // Readiness wants a recent passing drill; an isolated one leaves production alone.
    const drill = await ctx.client.workflow.execute('regionFailover', {
      taskQueue,
      workflowId: 'region-failover/booking',
      args: [{ input: { service: 'booking', mode: 'planned' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
    });
    expect((drill as RunResult).state).toBe('succeeded');

    const failover = await approvedRun<SwitchResult>(taskQueue, 'regionFailover', { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 });
    expect(failover.output).toMatchObject({ source: 'A', target: 'B' });
    expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', A: { lbServer: 'DRAIN' }, B: { lbServer: 'UP' } });
    const failback = await approvedRun<FailbackResult>(taskQueue, 'regionFailback', { service: 'booking', verifyWindowSeconds: 1 });
    expect(failback.output).toMatchObject({ source: 'B', target: 'A', reprotected: { region: 'B' } });

    // As a fresh estate has its standby: in rotation at the load balancer, though clients go to A.
    expect(await estateSnapshot(estate.catalog)).toMatchObject({
      active: 'A',
      A: { role: 'primary', lbServer: 'UP' },
      B: { role: 'standby', fenced: false, lbServer: 'UP' },
    });

    // Visibility lists the drill within moments; then every check of region-failover on booking is ready.
    const readiness = () =>
      lifeboatInProcess(['readiness', 'region-failover', '--target', 'booking', '--json'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
    await expect.poll(async () => (await readiness()).code, { timeout: 20_000, interval: 500 }).toBe(0);
    const evaluation = JSON.parse((await readiness()).stdout) as ReadinessEvaluation;
    expect(evaluation).toMatchObject({ runbook: 'region-failover', target: 'booking', ready: true });
    expect(evaluation.checks.find((c) => c.name === 'load-balancer-reaches-target')).toMatchObject({
      ready: true,
      reason: 'the traffic provider sees booking_B/B (region B) as UP (L7OK): it passes its health checks and is in rotation',
    });

    // The alert: region A is down, and the rule starts the emergency failover only when readiness says so.
    const rules = AlertRules.parse({
      rules: [
        {
          name: 'booking-region-down',
          match: { alertname: 'BookingRegionDown', region: 'A' },
          runbook: 'region-failover',
          input: { service: 'booking', mode: 'emergency' },
          requireReady: true,
          minInterval: '1s',
        },
      ],
    });
    const serving = await serveAlerts({
      rules,
      client: ctx.rawClient,
      taskQueue,
      env: {},
      host: '127.0.0.1',
      port: 0,
      token,
      as: 'alertmanager',
      key: keyFile,
      log: (o) => outcomes.push(o),
      say: () => undefined,
    });
    try {
      const now = new Date().toISOString();
      const res = await fetch(serving.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          version: '4',
          receiver: 'lifeboat',
          status: 'firing',
          alerts: [
            {
              status: 'firing',
              labels: { alertname: 'BookingRegionDown', region: 'A' },
              annotations: {},
              startsAt: now,
              endsAt: '0001-01-01T00:00:00Z',
              fingerprint: 'failbackcycle0001',
            },
          ],
          groupLabels: { alertname: 'BookingRegionDown' },
        }),
      });
      expect(res.status).toBe(200);
    } finally {
      await serving.close();
    }
    expect(outcomes).toMatchObject([{ outcome: 'started', rule: 'booking-region-down', runId: 'region-failover/booking' }]);
    // The worker accepts the receiver's signed start: the run assesses the risk and waits for people.
    const emergency = ctx.client.workflow.getHandle('region-failover/booking');
    const status = await waitForStatus(emergency, (s) => s.state === 'waiting-approval' || s.state === 'failed' || s.state === 'aborted', 60_000);
    expect(status).toMatchObject({ state: 'waiting-approval', requestedBy: 'alertmanager' });
    expect(status.steps.find((st) => st.name === 'preflight')).toMatchObject({ status: 'succeeded' });
    await emergency.terminate('the test checked that the alert started it');
  });
  // Nothing was drained or fenced by the alert's run before its gate.
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'A', A: { fenced: false, lbServer: 'UP' }, B: { role: 'standby', lbServer: 'UP' } });
}, 300_000);

test('a standby left drained by a failback of older code still reaches: readiness and the preflight judge it alike', async () => {
  const access = targetsAccess(join(estate.dir, 'lifeboat.targets.json'));
  const traffic = createTrafficActivities(access);
  const regionSwitch = createRegionSwitchActivities(access);
  await traffic.drainBackend({ service: 'booking', region: 'B', state: 'drain' });
  try {
    const reach = await regionSwitch.targetReach({ service: 'booking', region: 'B' });
    expect(reach).toMatchObject({
      reaches: true,
      serving: 'drain',
      reason: 'the traffic provider sees booking_B/B (region B) as DRAIN (L7OK): it passes its health checks and is drained, which the switch undoes',
    });
    expect((await regionSwitch.preflightTarget({ service: 'booking', region: 'B', requireStreaming: true })).loadBalancer.status).toBe('DRAIN');

    // In maintenance it reaches neither: both say why, in the same words.
    await traffic.drainBackend({ service: 'booking', region: 'B', state: 'maint' });
    const maint = await regionSwitch.targetReach({ service: 'booking', region: 'B' });
    expect(maint).toMatchObject({ reaches: false, serving: 'maint' });
    expect(maint.reason).toMatch(/^the traffic provider sees booking_B\/B \(region B\) as MAINT.*: an operator put it in maintenance/);
    await expect(regionSwitch.preflightTarget({ service: 'booking', region: 'B', requireStreaming: true })).rejects.toThrow(
      `target region B is not ready: ${maint.reason}`,
    );
  } finally {
    await traffic.drainBackend({ service: 'booking', region: 'B', state: 'ready' });
  }
}, 60_000);
