import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunReport } from '../../cli/report/model';
import { sampleTargets } from '../../providers/sample-estate/targets';
import type { RunResult } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { motoEnv, setUpRoute53, startMoto, type Moto, type Route53Setup } from '../helpers/moto';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import type { TestEstate } from '../../estate/testing';

/**
 * The proof that a runbook is not tied to the sample estate: the same region-failover, through the CLI, where the
 * traffic switch is a Route 53 failover record (on an AWS API emulator) with a health check per region, and no
 * HAProxy in the estate at all.
 */
const runId = 'region-failover/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;
let moto: Moto;
let r53: Route53Setup;
let targetsPath: string;

beforeAll(async () => {
  Object.assign(process.env, motoEnv);
  [{ ctx, estate }, moto] = await Promise.all([openRunbookSuite({ fleetHosts: 4, loadBalancer: false }, 'route53-failover'), startMoto()]);
  const regions = estate.catalog.services.booking.regions;
  const port = (url: string) => Number(new URL(url).port);
  r53 = await setUpRoute53(moto.endpoint, {
    regions: ['A', 'B'],
    healthChecks: { A: { ip: '127.0.0.1', port: port(regions.A.url), path: '/health' }, B: { ip: '127.0.0.1', port: port(regions.B.url), path: '/health' } },
  });
  const targets = sampleTargets(estate.catalog);
  targetsPath = join(estate.dir, 'route53.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ ...targets, services: { booking: { ...targets.services.booking!, traffic: r53.settings } } }, null, 2));
});

afterAll(async () => {
  await closeRunbookSuite({ ctx, estate }, [runId]);
  await moto?.stop();
});

/** Which region's endpoint each failover role points at, read straight from Route 53. */
async function records(): Promise<Record<string, string>> {
  const out = await r53.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: r53.zoneId, StartRecordName: r53.recordName }));
  const sets = (out.ResourceRecordSets ?? []).filter((s) => s.Name?.replace(/\.$/, '') === r53.recordName && s.Failover);
  return Object.fromEntries(sets.map((s) => [s.Failover!, `${s.SetIdentifier} ${s.HealthCheckId}`]));
}

test('a planned failover switches a Route 53 failover record, approved from the CLI, and the report names the provider', async () => {
  const idA = r53.settings.regions.A!.setIdentifier;
  const idB = r53.settings.regions.B!.setIdentifier;
  expect(await records()).toEqual({ PRIMARY: `${idA} ${r53.healthCheckIds.A}`, SECONDARY: `${idB} ${r53.healthCheckIds.B}` });

  // targets check probes the providers, which read their credentials and settings from process.env rather than the
  // env main is given: a real process, so what it sees is exactly the environment the test hands it.
  const check = await lifeboat(['targets', 'check', '--targets', targetsPath, '--json']);
  expect(check.code).toBe(0);
  expect((JSON.parse(check.stdout) as { checks: { capability: string; provider: string }[] }).checks.find((c) => c.capability === 'traffic')?.provider).toMatch(
    /^route53 \(zone /,
  );

  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue, LIFEBOAT_TARGETS: targetsPath };
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--as', 'alice'], env);
    expect(started.stderr).toBe('');
    const handle = ctx.client.workflow.getHandle(runId);
    const waiting = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    // The source is read from Route 53: the region of the PRIMARY record.
    expect(waiting.details.regions).toMatchObject({ service: 'booking', source: 'A', target: 'B', activeBefore: 'A' });

    const status = await lifeboatInProcess(['status', runId], env);
    expect(status.stdout).toMatch(/preflight .* acts through .*traffic: route53 \(zone /);

    expect((await lifeboatInProcess(['approve', runId, '--as', 'bob', '--comment', 'health checks green'], env)).code).toBe(0);
    expect((await lifeboatInProcess(['approve', runId, '--as', 'carol'], env)).code).toBe(0);
    const result = (await handle.result()) as RunResult<SwitchResult>;
    expect(result.state).toBe('succeeded');
    expect(result.output).toMatchObject({ service: 'booking', source: 'A', target: 'B', rpo: { bytes: 0 } });
  });

  // Route 53 now answers with region B, each record keeping its own health check.
  expect(await records()).toEqual({ PRIMARY: `${idB} ${r53.healthCheckIds.B}`, SECONDARY: `${idA} ${r53.healthCheckIds.A}` });

  const report = JSON.parse((await lifeboatInProcess(['report', runId, '--format', 'json'], env)).stdout) as RunReport;
  expect(report.actedThrough.switchTraffic).toBe(`route53 (zone ${r53.zoneId}, record ${r53.recordName}, failover)`);
  expect(report.actedThrough.promote).toMatch(/^postgres \(A 127\.0\.0\.1:\d+, B 127\.0\.0\.1:\d+\)$/);
  expect(report.measurements.rtoSeconds).toBeGreaterThan(0);
  expect(report.measurements.rpoBytes).toBe(0);
  const markdown = (await lifeboatInProcess(['report', runId], env)).stdout;
  expect(markdown).toContain(`| switchTraffic | route53 (zone ${r53.zoneId}, record ${r53.recordName}, failover) |`);
}, 180_000);
