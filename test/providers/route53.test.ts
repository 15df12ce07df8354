import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { freePort } from '../../lib/free-port';
import { createRoute53Traffic } from '../../providers/route53/traffic';
import { motoEnv, motoRoute53, setUpRoute53, startMoto, type Moto, type Route53Setup } from '../helpers/moto';

let moto: Moto;

beforeAll(async () => {
  // The provider finds credentials on AWS's standard chain, as it would in production.
  delete process.env.AWS_PROFILE;
  Object.assign(process.env, motoEnv);
  moto = await startMoto();
});

afterAll(async () => {
  await moto?.stop();
});

/** The record sets as Route 53 itself lists them, by set identifier: what an operator would look at. */
async function recordsOf(setup: Route53Setup) {
  const listed = await setup.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: setup.zoneId }));
  const ours = (listed.ResourceRecordSets ?? []).filter((s) => s.Name === `${setup.recordName}.`);
  return Object.fromEntries(
    ours.map((s) => [
      s.SetIdentifier ?? '',
      { failover: s.Failover, weight: s.Weight, healthCheckId: s.HealthCheckId, value: s.ResourceRecords?.[0]?.Value, ttl: s.TTL },
    ]),
  );
}

const idOf = (setup: Route53Setup, region: string) => setup.settings.regions[region]!.setIdentifier;

/**
 * moto applies every change at once (INSYNC, and GetChange says INSYNC for any id), so the wait for a pending change
 * is shown with a client that reports the change PENDING for the first `pendingPolls` GetChange calls.
 */
function pendingChanges(endpoint: string, pendingPolls: number): { client: Route53Client; polls(): number } {
  const real = motoRoute53(endpoint);
  let polls = 0;
  const send = async (command: object): Promise<unknown> => {
    if (command instanceof GetChangeCommand) {
      polls++;
      return { ChangeInfo: { Id: command.input.Id, Status: polls > pendingPolls ? 'INSYNC' : 'PENDING' } };
    }
    const out = (await real.send(command as never)) as { ChangeInfo?: object };
    return command instanceof ChangeResourceRecordSetsCommand ? { ...out, ChangeInfo: { ...out.ChangeInfo, Status: 'PENDING' } } : out;
  };
  return { client: { send } as unknown as Route53Client, polls: () => polls };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a failure'),
    (err: unknown) => err,
  );
}

test('probe passes on a good failover setup and names the active region', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const results = await createRoute53Traffic(setup.settings, setup.regions).probe();
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.map((r) => r.check)).toEqual([
    `reach Route 53 and read zone ${setup.zoneId}`,
    `read record ${setup.recordName} CNAME`,
    `region A record set "${idOf(setup, 'A')}"`,
    `region A health check ${setup.healthCheckIds.A}`,
    `region B record set "${idOf(setup, 'B')}"`,
    `region B health check ${setup.healthCheckIds.B}`,
    'active region (failover)',
  ]);
  expect(results.at(-1)!.detail).toContain('clients go to region A');
});

test('probe fails with the fix on a wrong zone id', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const results = await createRoute53Traffic({ ...setup.settings, hostedZoneId: 'ZWRONG123' }, setup.regions).probe();
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({ ok: false });
  expect(results[0]!.detail).toContain('hosted zone "ZWRONG123" does not exist');
  expect(results[0]!.detail).toContain('fix "hostedZoneId"');
});

test('probe fails with the fix on a missing record, and on a region whose record set is missing', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const missing = await createRoute53Traffic({ ...setup.settings, recordName: `shop.${setup.recordName}` }, setup.regions).probe();
  const record = missing.find((r) => r.check.startsWith('read record'))!;
  expect(record.ok).toBe(false);
  expect(record.detail).toContain(`has no CNAME record "shop.${setup.recordName}"`);

  const renamed = { ...setup.settings, regions: { ...setup.settings.regions, B: { ...setup.settings.regions.B!, setIdentifier: 'b-typo' } } };
  const region = (await createRoute53Traffic(renamed, setup.regions).probe()).find((r) => r.check === 'region B record set "b-typo"')!;
  expect(region).toMatchObject({ ok: false, detail: `no record set "b-typo" on ${setup.recordName}; create it or fix "setIdentifier"` });
});

test('active() reads the PRIMARY record', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const active = await createRoute53Traffic(setup.settings, setup.regions).active();
  expect(active.region).toBe('A');
  expect(active.endpoint).toContain('PRIMARY');
});

test('switchTo B then A swaps PRIMARY and SECONDARY and keeps values and health checks', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const traffic = createRoute53Traffic(setup.settings, setup.regions);
  const before = await recordsOf(setup);

  expect(await traffic.switchTo('B')).toEqual({ region: 'B', previous: 'A', changed: true });
  const afterB = await recordsOf(setup);
  expect(afterB[idOf(setup, 'B')]).toEqual({ ...before[idOf(setup, 'B')], failover: 'PRIMARY' });
  expect(afterB[idOf(setup, 'A')]).toEqual({ ...before[idOf(setup, 'A')], failover: 'SECONDARY' });
  expect(afterB[idOf(setup, 'B')]!.healthCheckId).toBe(setup.healthCheckIds.B);
  expect((await traffic.active()).region).toBe('B');

  expect(await traffic.switchTo('A')).toEqual({ region: 'A', previous: 'B', changed: true });
  expect(await recordsOf(setup)).toEqual(before);
});

test('switching to the active region changes nothing', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const traffic = createRoute53Traffic(setup.settings, setup.regions);
  const before = await recordsOf(setup);
  expect(await traffic.switchTo('A')).toEqual({ region: 'A', previous: 'A', changed: false });
  expect(await recordsOf(setup)).toEqual(before);
});

test('a switch returns once Route 53 reports the change INSYNC', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const pending = pendingChanges(moto.endpoint, 2);
  const traffic = createRoute53Traffic(setup.settings, setup.regions, { client: pending.client, pollMs: 10 });
  expect(await traffic.switchTo('B')).toEqual({ region: 'B', previous: 'A', changed: true });
  expect(pending.polls()).toBe(3);
});

test('a change not INSYNC within changeTimeoutSeconds is a retryable error, and the retry finds the switch made', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const pending = pendingChanges(moto.endpoint, Infinity);
  const traffic = createRoute53Traffic({ ...setup.settings, changeTimeoutSeconds: 0 }, setup.regions, { client: pending.client, pollMs: 10 });
  const err = await failureOf(traffic.switchTo('B'));
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect((err as Error).message).toMatch(/^Route 53 change \S+ is still PENDING after 0 s; it completes on its own/);
  expect(await traffic.switchTo('B')).toEqual({ region: 'B', previous: 'B', changed: false });
});

test('a TTL in the targets file is written by the switch', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  await createRoute53Traffic({ ...setup.settings, ttl: 30 }, setup.regions).switchTo('B');
  expect(Object.values(await recordsOf(setup)).map((r) => r.ttl)).toEqual([30, 30]);
});

test('weighted routing: the active region carries the weight, the others 0', async () => {
  const setup = await setUpRoute53(moto.endpoint, { routing: 'weighted', regions: ['A', 'B', 'C'] });
  const traffic = createRoute53Traffic(setup.settings, setup.regions);
  expect(await traffic.active()).toMatchObject({ region: 'A' });
  expect(await traffic.switchTo('C')).toEqual({ region: 'C', previous: 'A', changed: true });
  const weights = Object.fromEntries(Object.entries(await recordsOf(setup)).map(([id, r]) => [id, r.weight]));
  expect(weights).toEqual({ [idOf(setup, 'A')]: 0, [idOf(setup, 'B')]: 0, [idOf(setup, 'C')]: 100 });
  expect(await traffic.switchTo('C')).toEqual({ region: 'C', previous: 'C', changed: false });
  expect((await traffic.probe()).filter((r) => !r.ok)).toEqual([]);
});

test('an unknown region is refused without a retry', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const traffic = createRoute53Traffic(setup.settings, setup.regions);
  const err = await failureOf(traffic.switchTo('C'));
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ nonRetryable: true, type: 'UnknownTarget', message: 'Route 53 has no record set for region "C"; the regions are A, B' });
  expect((await traffic.active()).region).toBe('A');
});

test('a switch with a region whose record set is missing is refused, naming it', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const renamed = { ...setup.settings, regions: { ...setup.settings.regions, B: { ...setup.settings.regions.B!, setIdentifier: 'b-typo' } } };
  const err = await failureOf(createRoute53Traffic(renamed, setup.regions).switchTo('B'));
  expect(err).toMatchObject({ nonRetryable: true, type: 'Precondition' });
  expect((err as Error).message).toContain('no record set "b-typo" for region B');
});

test('health() reports each region by its health check', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const health = await createRoute53Traffic(setup.settings, setup.regions).health();
  expect(health.map((h) => h.region)).toEqual(['A', 'B']);
  for (const h of health) {
    expect(h.endpoint).toBe(`${idOf(setup, h.region)} ${setup.settings.regions[h.region]!.value}`);
    expect(h.healthy).toBe(true);
    expect(h.status).toMatch(/^Healthy \(\d+ of \d+ checkers report success\)$/);
    expect(h.checkDetail).toMatch(/^Success/);
  }
});

test('DNS has no drain: drain and maint are not applied, ready is', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const traffic = createRoute53Traffic(setup.settings, setup.regions);
  expect(await traffic.setServing('B', 'drain')).toEqual({ state: 'drain', applied: false });
  expect(await traffic.setServing('B', 'maint')).toEqual({ state: 'maint', applied: false });
  expect(await traffic.setServing('B', 'ready')).toEqual({ state: 'ready', applied: true });
  expect(await traffic.serving('B')).toMatchObject({ state: 'ready' });
  expect(traffic.describe()).toBe(`route53 (zone ${setup.zoneId}, record ${setup.recordName}, failover)`);
});

test('an API that does not answer is a retryable error', async () => {
  const setup = await setUpRoute53(moto.endpoint);
  const dead = `http://127.0.0.1:${await freePort()}`;
  const err = await failureOf(createRoute53Traffic({ ...setup.settings, endpoint: dead }, setup.regions).active());
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect((err as Error).message).toContain(`Route 53 at ${dead} did not answer route53:ListResourceRecordSets`);
});
