import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { AlertOutcome } from '../cli/alerts/receiver';
import { AlertRules } from '../cli/alerts/rules';
import { serveAlerts, type ServingAlerts } from '../cli/commands/alerts';
import { breakRegion } from '../estate/estate';
import { countLostBookings, startLoad, writeCounters } from '../estate/load';
import { estateLayout } from '../estate/state-dir';
import type { TestEstate } from '../estate/testing';
import { runYardstick } from '../dev/estate/yardstick';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { startAlertmanager } from '../test/helpers/alertmanager';
import { generateEd25519KeyPair } from '../lib/ssh-keys';
import { approveUpdate, statusQuery, type RunResult, type RunStatus } from '../kit';
import type { SwitchResult } from '../workflows/region-switch-facts';
import { until, withEstate } from './estate-run';
import type { Benchmark, BenchContext, BenchSection } from './section';

const WARMUP = 40;
const RECOVERY = 20;
const RATE = 25;
const POLL_MS = 250;
const workflowId = 'region-failover/booking';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Is region A's booking service answering and healthy? A poll, as a blackbox probe would make it. */
async function regionUp(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return false;
    return ((await response.json()) as { status?: string }).status === 'ok';
  } catch {
    return false;
  }
}

interface Timeline {
  brokeAt: number;
  firstFailedPollAt: number;
  postedAt: number;
  receiverStartedAt: number;
  runStartedAt: number;
  gateOpenedAt: number;
  approvedAt: number;
  restoredAt: number;
  verifiedAt: number;
  rtoSeconds: number;
  rtoFromDetectionSeconds: number | undefined;
  downtimeMs: number;
  lost: number;
  acknowledged: number;
}

async function alertTriggeredFailover(ctx: BenchContext, connection: Connection, native: NativeConnection, estate: TestEstate, dir: string): Promise<Timeline> {
  // The receiver is a roster entry of its own, with a fresh key and no groups, in a copy of the bench roster.
  const principal = await generateEd25519KeyPair(join(dir, 'receiver-key'), 'alertmanager');
  const roster = JSON.parse(readFileSync(ctx.signing.rosterPath, 'utf8')) as { people: { id: string; name?: string; groups?: string[]; keys?: string[] }[] };
  roster.people.push({ id: 'alertmanager', name: 'Alertmanager (alert receiver)', groups: [], keys: [principal.publicKeyLine] });
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, JSON.stringify(roster, null, 2));
  await ctx.signing.seal(rosterPath);

  const taskQueue = `bench-detection-${Date.now()}`;
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: ctx.bundlePath },
    activities: createActivities({ rosterPath, notify: { log: () => undefined }, targetsPath: join(estate.dir, 'lifeboat.targets.json') }),
  });
  const token = randomBytes(24).toString('hex');
  const rules = AlertRules.parse({
    rules: [
      {
        name: 'booking-region-down',
        match: { alertname: 'BookingRegionDown', region: 'A' },
        runbook: 'region-failover',
        input: { service: 'booking', mode: 'emergency', verifyWindowSeconds: 0 },
        minInterval: '1s',
      },
    ],
  });
  const outcomes: { at: number; outcome: AlertOutcome }[] = [];
  const serving: ServingAlerts = await serveAlerts({
    port: 0,
    host: '127.0.0.1',
    token,
    as: 'alertmanager',
    key: principal.privateKeyPath,
    rules,
    client: new Client({ connection, namespace: 'default' }),
    taskQueue,
    env: {},
    log: (outcome) => outcomes.push({ at: Date.now(), outcome }),
    say: (line) => ctx.log(`receiver: ${line}`),
  });
  let alertmanager: Awaited<ReturnType<typeof startAlertmanager>> | undefined;
  const layout = estateLayout(estate.dir);
  const load = startLoad({ url: estate.catalog.loadBalancer!.clientUrl, ratePerSecond: RATE, countersFile: layout.loadCounters, ackedFile: layout.loadAcked });
  let monitoring = true;
  try {
    alertmanager = await startAlertmanager({ dir, receiverUrl: serving.url, token, groupBy: ['alertname', 'region'], groupWait: '0s', repeatInterval: '1h' });
    const amUrl = alertmanager.url;
    const regionA = estate.catalog.services.booking.regions.A.url;
    if (!(await regionUp(regionA))) throw new Error(`region A's booking service at ${regionA} is not healthy before the break`);
    return await worker.runUntil(async () => {
      await until('warm-up bookings', () => load.counters().successes >= WARMUP);
      // The monitor: poll region A every 250 ms; on the first failure, post a firing alert to Alertmanager.
      let firstFailedPollAt = 0;
      let postedAt = 0;
      let monitorError: unknown;
      void (async () => {
        while (monitoring) {
          const polledAt = Date.now();
          if (!(await regionUp(regionA))) {
            firstFailedPollAt = polledAt;
            const alert = {
              labels: { alertname: 'BookingRegionDown', region: 'A', service: 'booking', severity: 'page' },
              startsAt: new Date(polledAt).toISOString(),
            };
            const response = await fetch(`${amUrl}/api/v2/alerts`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify([alert]),
            });
            if (!response.ok) throw new Error(`Alertmanager refused the alert: HTTP ${response.status} ${await response.text()}`);
            postedAt = Date.now();
            return;
          }
          await sleep(Math.max(0, POLL_MS - (Date.now() - polledAt)));
        }
      })().catch((err: unknown) => (monitorError = err));
      // Let the monitor see the region healthy once, then break it.
      await sleep(POLL_MS * 2);
      const brokeAt = Date.now();
      await breakRegion(estate.dir, 'A');
      const client = ctx.signing.client(connection);
      const handle = client.workflow.getHandle(workflowId);
      await until('the receiver to start the run', () => monitorError !== undefined || outcomes.some((o) => o.outcome.outcome === 'started'), 60_000);
      if (monitorError) throw monitorError;
      const started = outcomes.find((o) => o.outcome.outcome === 'started')!;
      // Approved the moment the gate opens (the mechanics, not a person's reaction time), by two leads.
      let status: RunStatus | undefined;
      const deadline = Date.now() + 60_000;
      while ((status = await handle.query(statusQuery).catch(() => undefined))?.state !== 'waiting-approval') {
        if (status && ['failed', 'aborted', 'succeeded'].includes(status.state))
          throw new Error(`the run ended ${status.state} before its gate: ${status.outcome}`);
        if (Date.now() > deadline) throw new Error(`the run never reached its gate; last state ${status?.state}`);
        await sleep(20);
      }
      for (const by of ['bob', 'carol']) await handle.executeUpdate(approveUpdate, { args: [{ by }] });
      const result = (await handle.result()) as RunResult<SwitchResult>;
      if (result.state !== 'succeeded') throw new Error(`alert-triggered failover ended ${result.state}: ${result.outcome}`);
      const final = await handle.query(statusQuery);
      const atSwitch = load.counters().successes;
      await until('bookings after the failover', () => load.counters().successes >= atSwitch + RECOVERY);
      const counters = await load.stop();
      const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());
      writeCounters(layout.loadCounters, { ...counters, lost });
      const stepEnd = (name: string) => {
        const step = final.steps.find((s) => s.name === name && s.kind === 'step');
        if (!step?.finishedAt) throw new Error(`the run has no finished ${name} step: ${final.steps.map((s) => s.name).join(', ')}`);
        return Date.parse(step.finishedAt);
      };
      const gate = final.gates[0];
      if (!gate?.decidedAt) throw new Error('the run has no decided gate');
      return {
        brokeAt,
        firstFailedPollAt,
        postedAt,
        receiverStartedAt: started.at,
        runStartedAt: Date.parse(final.startedAt),
        gateOpenedAt: Date.parse(gate.openedAt),
        approvedAt: Date.parse(gate.decidedAt),
        restoredAt: stepEnd('switchTraffic'),
        verifiedAt: stepEnd('verify'),
        rtoSeconds: final.measurements?.rtoSeconds ?? result.output!.rto.fromStartSeconds,
        rtoFromDetectionSeconds: final.measurements?.rtoFromDetectionSeconds ?? result.output!.rto.fromDetectionSeconds,
        downtimeMs: counters.downtimeMs,
        lost: lost.lost,
        acknowledged: counters.successes,
      };
    });
  } finally {
    monitoring = false;
    await load.stop();
    await alertmanager?.stop();
    await serving.close();
  }
}

const secs = (ms: number) => (ms / 1000).toFixed(2);

/**
 * An emergency failover triggered by an alert, on the sample estate under 25 bookings/s: region A breaks, a monitor
 * polling it every 250 ms posts `BookingRegionDown` to a real Alertmanager, which delivers it to the alert receiver
 * (`lifeboat alerts serve`, in process), which starts `region-failover`; two leads approve the moment the gate opens.
 * Each leg timed, next to the runbook's own RTO and one round of the manual yardstick.
 */
export const detectionBenchmark: Benchmark = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-detection-'));
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  try {
    await ensureSearchAttributes(native, 'default');
    ctx.log('detection: manual yardstick, one round...');
    const y = await withEstate((estate) => runYardstick({ catalog: estate.catalog, warmupBookings: WARMUP, recoveryBookings: RECOVERY, ratePerSecond: RATE }));
    ctx.log('detection: alert-triggered emergency failover...');
    const t = await withEstate((estate) => alertTriggeredFailover(ctx, connection, native, estate, dir));
    const legs: [string, number, number, string][] = [
      ['region A breaks -> first failed poll', t.brokeAt, t.firstFailedPollAt, `monitor polls region A's /health every ${POLL_MS} ms`],
      ['first failed poll -> alert posted to Alertmanager', t.firstFailedPollAt, t.postedAt, 'startsAt = the first failed poll'],
      [
        'alert posted -> run started',
        t.postedAt,
        t.runStartedAt,
        'Alertmanager (group_wait 0s) -> receiver -> signed start -> first workflow task (status startedAt)',
      ],
      ['run started -> gate opened', t.runStartedAt, t.gateOpenedAt, 'assess, notify, the gate'],
      ['gate opened -> approved', t.gateOpenedAt, t.approvedAt, 'bob and carol, signed, the moment it opens'],
      ['approved -> traffic restored', t.approvedAt, t.restoredAt, 'end of switchTraffic'],
      ['traffic restored -> verified', t.restoredAt, t.verifiedAt, 'synthetic booking through the load balancer, window 0 s'],
    ];
    const rows = legs.map(([leg, from, to, note]) => [leg, secs(to - from), note]);
    rows.push([
      'total: region A breaks -> traffic restored',
      secs(t.restoredAt - t.brokeAt),
      `the receiver's start call returned ${secs(t.receiverStartedAt - t.postedAt)} s after the post`,
    ]);
    rows.push(['total: region A breaks -> verified', secs(t.verifiedAt - t.brokeAt), '']);
    rows.push(["runbook's RTO (measurements.rtoSeconds, from the run's start)", String(t.rtoSeconds), 'run started -> verified']);
    rows.push([
      'RTO from detection (alert startsAt -> verified)',
      t.rtoFromDetectionSeconds === undefined ? '-' : String(t.rtoFromDetectionSeconds),
      'detectedAt from the alert',
    ]);
    rows.push(['downtime seen by the load, alert-triggered runbook', secs(t.downtimeMs), `${t.lost} of ${t.acknowledged} acknowledged bookings lost`]);
    rows.push([
      'downtime seen by the load, manual yardstick (1 round)',
      secs(y.downtimeMs),
      `${y.lost} of ${y.acknowledged} acknowledged bookings lost; no detection, promote at once`,
    ]);
    return {
      title: `Alert-triggered emergency failover: region break to restored traffic (one run, ${RATE} bookings/s, real Alertmanager)`,
      header: ['leg', 'seconds', 'note'],
      rows,
      notes: [
        `break -> restored ${secs(t.restoredAt - t.brokeAt)} s, of which detection and alerting (break -> run started) ${secs(t.runStartedAt - t.brokeAt)} s`,
        `load downtime ${(t.downtimeMs / y.downtimeMs).toFixed(2)}x the manual yardstick's, which has no detection or approval`,
      ],
    } satisfies BenchSection;
  } finally {
    await connection.close();
    await native.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
