import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { proxyTargets, writeProxiedTargets, type ProxiedEndpoint } from '../../chaos/proxied-targets';
import { startToxiproxy, toxiproxyBinaryPath, type Toxiproxy } from '../../chaos/toxiproxy';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { lifeboat } from '../helpers/cli';

/** One row of `lifeboat targets check --json`. */
interface Check {
  service: string;
  capability: string;
  check: string;
  ok: boolean;
  detail: string;
}

let estate: TestEstate;
let toxiproxy: Toxiproxy;
let dir: string;
let proxiedPath: string;
let proxies: ProxiedEndpoint[];

beforeAll(async () => {
  // CI installs it; a developer's checkout may not have it yet, and should be told how, not shown a spawn error.
  if (!existsSync(toxiproxyBinaryPath)) throw new Error(`Toxiproxy's server is not at ${toxiproxyBinaryPath}: run npm run setup:chaos`);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-toxiproxy-'));
  [estate, toxiproxy] = await Promise.all([startTestEstate({ fleetHosts: 4 }), startToxiproxy({ dir, seed: 1 })]);
  proxiedPath = join(dir, 'lifeboat.targets.proxied.json');
  proxies = await writeProxiedTargets(join(estate.dir, 'lifeboat.targets.json'), proxiedPath, toxiproxy);
});

afterAll(async () => {
  await toxiproxy?.stop();
  await estate?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function checkTargets(): Promise<{ code: number; ok: boolean; checks: Check[] }> {
  const r = await lifeboat(['targets', 'check', '--targets', proxiedPath, '--json']);
  expect(r.stderr).toBe('');
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  return { code: r.code, ...report };
}

/** The PostgreSQL login check of booking's database in one region, as the probe names it. */
const bookingDatabase = (checks: Check[], region: string) =>
  checks.filter((c) => c.service === 'booking' && c.capability === 'database' && c.check.startsWith(`region ${region}:`));

test("every endpoint the worker reaches (but HAProxy's runtime API) goes through its own proxy, and the targets check passes through them", async () => {
  expect(proxies.map((p) => `${p.name} ${p.kind}`).sort()).toEqual([
    'booking.database.A database',
    'booking.database.B database',
    'booking.entry entry',
    'booking.serviceMode.A service-mode',
    'booking.serviceMode.B service-mode',
    'fleet fleet',
  ]);
  const proxied = readFileSync(proxiedPath, 'utf8');
  for (const p of proxies) {
    expect(p.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxied).not.toContain(p.upstream);
  }
  // A URL keeps its path and only changes where it connects.
  const modeUrl = (text: string) =>
    (JSON.parse(text) as { services: { booking: { serviceMode: { regions: { A: { url: string } } } } } }).services.booking.serviceMode.regions.A.url;
  const before = new URL(modeUrl(readFileSync(join(estate.dir, 'lifeboat.targets.json'), 'utf8')));
  const after = new URL(modeUrl(proxied));
  expect(after.host).toBe(proxies.find((p) => p.name === 'booking.serviceMode.A')!.listen);
  expect(after.pathname).toBe(before.pathname);
  // Toxiproxy cannot carry the runtime API's half-close (chaos/proxied-targets.ts, ProxyOptions), so it stays direct.
  const runtimeApi = (text: string) =>
    (JSON.parse(text) as { services: { booking: { traffic: { runtimeApi: unknown } } } }).services.booking.traffic.runtimeApi;
  expect(runtimeApi(proxied)).toEqual(estate.catalog.loadBalancer?.runtimeApi);

  const report = await checkTargets();
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.code).toBe(0);
  const [, listenPort] = proxies.find((p) => p.name === 'booking.database.A')!.listen.split(':');
  expect(bookingDatabase(report.checks, 'A')[0]?.check).toContain(`127.0.0.1:${listenPort}`);
});

test("with the link to booking's database in A down, the check fails naming it, and passes again once the link is back", async () => {
  await toxiproxy.setEnabled('booking.database.A', false);
  try {
    const down = await checkTargets();
    expect(down.code).toBe(1);
    expect(down.ok).toBe(false);
    expect(bookingDatabase(down.checks, 'A')).toEqual([expect.objectContaining({ ok: false, detail: expect.stringMatching(/region A unreachable/) })]);
    expect(bookingDatabase(down.checks, 'B').every((c) => c.ok)).toBe(true);
    expect(down.checks.filter((c) => c.capability === 'serviceMode').every((c) => c.ok)).toBe(true);
  } finally {
    await toxiproxy.setEnabled('booking.database.A', true);
  }
  const back = await checkTargets();
  expect(back.checks.filter((c) => !c.ok)).toEqual([]);
  expect(back.code).toBe(0);
});

test("connections to booking's database in A reset by the network fail the check; with the toxics removed it passes", async () => {
  await toxiproxy.addToxic('booking.database.A', { type: 'reset_peer', attributes: { timeout: 0 }, stream: 'upstream' });
  try {
    const reset = await checkTargets();
    expect(reset.code).toBe(1);
    expect(bookingDatabase(reset.checks, 'A')).toEqual([expect.objectContaining({ ok: false, detail: expect.stringMatching(/region A unreachable/) })]);
  } finally {
    await toxiproxy.removeAllToxics('booking.database.A');
  }
  const back = await checkTargets();
  expect(back.checks.filter((c) => !c.ok)).toEqual([]);
});

test('two services on one database server share its proxy, and a Patroni standby keeps streaming straight from the other region', async () => {
  const postgres = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', database: 'd' });
  const file = {
    version: 1,
    services: {
      booking: { regions: ['A', 'B'], database: { provider: 'postgres', regions: { A: postgres(15432), B: postgres(15433) } } },
      loyalty: { regions: ['A', 'B'], database: { provider: 'postgres', regions: { A: postgres(15432), B: postgres(15433) } } },
      crew: {
        regions: ['A', 'B'],
        database: {
          provider: 'patroni',
          regions: {
            A: { restUrl: 'http://127.0.0.1:18008/', postgres: postgres(15500) },
            B: { restUrl: 'http://127.0.0.1:18009/', postgres: postgres(15501) },
          },
        },
      },
    },
  };
  // Its own Toxiproxy: these names (booking.database.A) are the estate's proxies' names in the shared one.
  const own = await startToxiproxy({ dir });
  try {
    const { targets, proxies: shared } = await proxyTargets(file, own);
    expect(shared.find((p) => p.upstream === '127.0.0.1:15432')).toMatchObject({
      name: 'booking.database.A',
      fields: ['services.booking.database.regions.A', 'services.loyalty.database.regions.A'],
    });
    expect(shared.filter((p) => p.upstream === '127.0.0.1:15432')).toHaveLength(1);
    const crewA = (targets as typeof file & { services: { crew: { database: { regions: { A: Record<string, unknown> } } } } }).services.crew.database.regions.A;
    expect(crewA.replication).toEqual({ host: '127.0.0.1', port: 15500 });
    expect(crewA.postgres).not.toMatchObject({ port: 15500 });
    expect(crewA.restUrl).toBe(`http://${shared.find((p) => p.name === 'crew.patroni.A')!.listen}/`);
    // The input is left as it was: the estate's own file stays direct.
    expect(file.services.booking.database.regions.A.port).toBe(15432);
  } finally {
    await own.stop();
  }
});

test('an endpoint off this machine is refused: no test traffic leaves 127.0.0.1', async () => {
  await expect(toxiproxy.createProxy('elsewhere', '10.1.2.3:5432')).rejects.toThrow(/only loopback upstreams/);
  const file = { version: 1, services: {}, fleet: { provider: 'http', url: 'http://fleet.example.com:8080/' } };
  await expect(proxyTargets(file, toxiproxy)).rejects.toThrow('fleet.url (fleet.example.com:8080)');
});
