import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleetServer } from '../../estate/fleet/server';
import { createHttpFleet } from '../../providers/http/fleet';

const BAD = 'C-00000291';
const GOOD = 'C-00000290';

async function startFleet(size: number) {
  const started = createFleetServer(size);
  await new Promise<void>((r) => started.server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
  return { ...started, url, fleetApi: createHttpFleet({ url }) };
}

let fleet: Awaited<ReturnType<typeof startFleet>>;
let api: ReturnType<typeof createHttpFleet>;

beforeAll(async () => {
  fleet = await startFleet(36);
  api = fleet.fleetApi;
});
afterAll(async () => {
  await fleet?.close();
});
beforeEach(async () => {
  await fetch(`${fleet.url}/sim/reset`, { method: 'POST' });
});

describe('fleet control API (the CrowdStrike case)', () => {
  it('lists hosts across both regions with roles, tags and filters', async () => {
    const all = await api.listHosts();
    expect(all.total).toBe(36);
    expect(new Set(all.hosts.map((h) => h.role))).toEqual(new Set(['kiosk', 'gate', 'booking']));
    const kioskA = await api.listHosts({ region: 'A', role: 'kiosk' });
    expect(kioskA.total).toBeGreaterThan(0);
    expect(kioskA.hosts.every((h) => h.region === 'A' && h.role === 'kiosk')).toBe(true);
    expect((await api.listHosts({ tag: 'bitlocker' })).hosts.every((h) => h.handsOnOnly)).toBe(true);
  });

  it('a bad update crashes hosts; a blocked channel stops it', async () => {
    await api.setUpdateChannel({ scope: { region: 'B' }, state: 'blocked' });
    const push = await api.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1 });
    const summary = await api.fleetSummary();
    expect(summary.byRegion.A!.crashed).toBe(18);
    expect(summary.byRegion.B!.crashed).toBe(0);
    expect(push.results.filter((r) => r.outcome === 'refused').every((r) => r.reason === 'update channel blocked')).toBe(true);
    expect((await api.listHosts({ region: 'B' })).hosts.every((h) => h.agent.contentVersion === GOOD)).toBe(true);
  });

  it('a crash rate crashes only that share of the receiving hosts', async () => {
    await api.pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.3 });
    const { byHealth } = await api.fleetSummary();
    expect(byHealth.crashed).toBeGreaterThan(0);
    expect(byHealth.crashed).toBeLessThan(36);
  });

  it('quarantine + reboot and rollback + reboot bring hosts back; hands-on hosts stay broken until repaired by hand', async () => {
    await api.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1 });
    const crashed = (await api.listHosts({ health: 'crashed' })).hosts;
    const remote = crashed.filter((h) => !h.handsOnOnly).map((h) => h.id);
    const handsOn = crashed.filter((h) => h.handsOnOnly).map((h) => h.id);
    expect(handsOn.length).toBeGreaterThan(0);
    const half = Math.floor(remote.length / 2);
    const viaQuarantine = remote.slice(0, half);
    const viaRollback = remote.slice(half);

    // A reboot alone does not help: the faulty content crashes the host again.
    const bare = await api.rebootHost({ hostIds: [viaQuarantine[0]!] });
    expect(bare.results[0]).toMatchObject({ outcome: 'applied', health: 'crashed' });

    expect((await api.quarantineModule({ hostIds: viaQuarantine })).counts.applied).toBe(viaQuarantine.length);
    expect((await api.rollbackHost({ hostIds: viaRollback, version: GOOD })).counts.applied).toBe(viaRollback.length);
    const rebooted = await api.rebootHost({ hostIds: remote });
    expect(rebooted.results.every((r) => r.health === 'healthy')).toBe(true);

    const refused = await api.rebootHost({ hostIds: handsOn });
    expect(refused.counts.refused).toBe(handsOn.length);
    expect(refused.results[0]!.reason).toMatch(/hands-on/);
    expect((await api.quarantineModule({ hostIds: handsOn })).counts.refused).toBe(handsOn.length);
    expect((await api.listHosts({ ids: handsOn })).hosts.every((h) => h.health === 'crashed')).toBe(true);

    const repaired = await api.markRepaired({ hostIds: handsOn, by: 'gate agent J. Doe' });
    expect(repaired.counts.applied).toBe(handsOn.length);
    expect((await api.fleetSummary()).byHealth).toEqual({ healthy: 36, crashed: 0, unreachable: 0 });
  });

  it('retries are answered, not repeated: no host is rolled back or rebooted twice', async () => {
    await api.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1 });
    const ids = (await api.listHosts({ health: 'crashed' })).hosts.filter((h) => !h.handsOnOnly).map((h) => h.id);
    const first = await api.rollbackHost({ hostIds: ids, version: GOOD, requestId: 'run-1/rollback' });
    const retried = await api.rollbackHost({ hostIds: ids, version: GOOD, requestId: 'run-1/rollback' });
    expect(retried).toMatchObject({ replayed: true, counts: first.counts });
    // Even without a request id, rolling back to the version a host already runs is a no-op.
    expect((await api.rollbackHost({ hostIds: ids, version: GOOD })).counts['no-op']).toBe(ids.length);
    await api.rebootHost({ hostIds: ids, requestId: 'run-1/reboot' });
    await api.rebootHost({ hostIds: ids, requestId: 'run-1/reboot' });
    const counters = await api.counters();
    expect(counters.max.rollbacks).toBe(1);
    expect(counters.max.reboots).toBe(1);
    expect(counters.totals.rollbacks).toBe(ids.length);
  });

  it('pinning keeps hosts on their version; rollback refuses unknown versions', async () => {
    await api.setUpdateChannel({ scope: { role: 'booking' }, state: 'pinned', version: GOOD });
    await api.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1 });
    expect((await api.listHosts({ role: 'booking' })).hosts.every((h) => h.health === 'healthy' && h.agent.channel === 'pinned')).toBe(true);
    const r = await api.rollbackHost({ hostIds: ['a-kiosk-01'], version: 'C-00000001' });
    expect(r.results[0]).toMatchObject({ outcome: 'refused' });
    await expect(api.rollbackHost({ hostIds: ['a-kiosk-01'], version: '' })).rejects.toThrow(/HTTP 400/);
  });
});

describe('scratch fleets for isolated drills', () => {
  it('copies a scope into a namespace that production selectors never match, and removes it', async () => {
    const production = await api.listHosts();
    const scope = await api.listHosts({ region: 'A', tag: 'os-windows' });
    const first = await api.createScratchFleet({ copyOf: { region: 'A', tags: ['os-windows'] }, label: 'drill', requestId: 'drill-1/build' });
    expect(first).toMatchObject({ hosts: scope.total, replayed: false, label: 'drill' });
    // A retried create answers with the same fleet instead of building a second one.
    expect(await api.createScratchFleet({ copyOf: { region: 'A', tags: ['os-windows'] }, requestId: 'drill-1/build' })).toMatchObject({
      id: first.id,
      replayed: true,
    });

    const scratch = await api.listHosts({ fleet: first.id });
    expect(scratch.total).toBe(scope.total);
    expect(scratch.hosts.map((h) => h.id)).toEqual(scope.hosts.map((h) => `${first.id}.${h.id}`));
    expect(scratch.hosts.every((h) => h.fleet === first.id && h.health === 'healthy' && h.agent.channel === 'open' && h.agent.contentVersion === GOOD)).toBe(
      true,
    );
    expect(scratch.hosts.filter((h) => h.handsOnOnly).length).toBe(scope.hosts.filter((h) => h.handsOnOnly).length);
    // Every production selector, even the whole fleet's, still sees production only.
    expect(await api.listHosts()).toEqual(production);
    expect((await api.listHosts({ region: 'A', tag: 'os-windows' })).total).toBe(scope.total);
    expect((await api.fleetSummary()).total).toBe(36);

    // A faulty push to the scratch fleet crashes its hosts only; the fix works on them as on production.
    const push = await api.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1, scope: { fleet: first.id } });
    expect(push.counts.applied).toBe(scope.total);
    expect(await api.listHosts()).toEqual(production);
    const remote = (await api.listHosts({ fleet: first.id, health: 'crashed' })).hosts.filter((h) => !h.handsOnOnly).map((h) => h.id);
    await api.quarantineModule({ hostIds: remote });
    expect((await api.rebootHost({ hostIds: remote })).results.every((r) => r.health === 'healthy')).toBe(true);
    expect((await api.counters({ fleet: first.id })).totals.reboots).toBe(remote.length);
    expect((await api.counters()).totals).toEqual({ rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 });
    // The scratch push did not make the version faulty in production: production's own push decides that.
    const prodPush = await api.pushContentUpdate({ version: BAD, faulty: false, scope: { ids: ['a-kiosk-01'] } });
    expect(prodPush.results[0]).toMatchObject({ outcome: 'applied', health: 'healthy' });

    expect(await api.removeScratchFleet({ id: first.id })).toEqual({ id: first.id, removed: true, hosts: scope.total });
    expect(await api.removeScratchFleet({ id: first.id })).toEqual({ id: first.id, removed: false, hosts: 0 });
    expect((await api.listHosts({ fleet: first.id })).total).toBe(0);
    expect((await api.listHosts({ ids: remote })).hosts).toEqual([]);
    const listing = await (await fetch(`${fleet.url}/scratch-fleets`)).json();
    expect(listing).toEqual({ fleets: [] });
    // The removed fleet's request is not answered with a new fleet, and pushes to it are refused.
    await expect(api.createScratchFleet({ copyOf: {}, requestId: 'drill-1/build' })).rejects.toThrow(/HTTP 409: scratch fleet .* was already removed/);
    await expect(api.pushContentUpdate({ version: BAD, faulty: true, scope: { fleet: first.id } })).rejects.toThrow(/HTTP 404/);
  });
});

describe('a fleet of 10,000 hosts', () => {
  let big: Awaited<ReturnType<typeof startFleet>>;
  beforeAll(async () => {
    big = await startFleet(10_000);
  });
  afterAll(async () => {
    await big?.close();
  });

  it('crashes, fixes and counts in batches', async () => {
    const fleetApi = big.fleetApi;
    await fleetApi.pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.5 });
    const { byHealth } = await fleetApi.fleetSummary();
    expect(byHealth.crashed).toBeGreaterThan(4_000);
    expect(byHealth.crashed).toBeLessThan(6_000);
    await fleetApi.quarantineModule({ scope: { health: 'crashed' } });
    await fleetApi.rebootHost({ scope: { health: 'crashed' } });
    const after = await fleetApi.fleetSummary();
    expect(after.byHealth.crashed).toBe(after.handsOnBroken);
    const page = await fleetApi.listHosts({ health: 'crashed', limit: 100 });
    expect(page.hosts).toHaveLength(100);
    expect(page.hosts.every((h) => h.handsOnOnly)).toBe(true);
    expect((await fleetApi.counters()).max.reboots).toBe(1);
  });
});
