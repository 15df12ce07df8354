import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBalancerEntry, startHaproxy, type HaproxyPlan } from '../../estate/haproxy';
import { stopPid } from '../../estate/processes';
import { freePort } from '../../lib/free-port';
import type { TrafficProvider } from '../../providers/contracts/traffic';
import { createHaproxyTraffic } from '../../providers/haproxy/traffic';

let dir: string;
let haproxyPid: number | undefined;
const servers: Server[] = [];
let plan: HaproxyPlan;
let traffic: TrafficProvider;

/** A stand-in for a region's service: answers with its region, like the booking service's /live. */
async function regionServer(region: string): Promise<number> {
  const port = await freePort();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-lifeboat-region': region });
    res.end(JSON.stringify({ region }));
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  servers.push(server);
  return port;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-haproxy-'));
  plan = {
    configFile: join(dir, 'haproxy.cfg'),
    mapFile: join(dir, 'active.map'),
    adminPort: await freePort(),
    frontends: [{ service: 'booking', clientPort: await freePort(), backends: { A: await regionServer('A'), B: await regionServer('B') } }],
    initial: 'A',
  };
  haproxyPid = (await startHaproxy(plan, { runDir: dir, logFile: join(dir, 'haproxy.log') })).pid;
  const lb = loadBalancerEntry(plan);
  traffic = createHaproxyTraffic(
    { provider: 'haproxy', runtimeApi: lb.runtimeApi, map: { file: lb.switch.mapFile, key: lb.switch.key }, backends: lb.backends, entryUrl: lb.clientUrl },
    ['A', 'B'],
  );
});

afterAll(async () => {
  if (haproxyPid) await stopPid(haproxyPid);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the haproxy traffic provider (runtime API, no reload)', () => {
  it('reads the active region and reports both servers up', async () => {
    expect(await traffic.active()).toEqual({ region: 'A', endpoint: 'booking_A' });
    await expect
      .poll(async () => (await traffic.health()).map((r) => [r.region, r.status, r.healthy]), { timeout: 10_000 })
      .toEqual([
        ['A', 'UP', true],
        ['B', 'UP', true],
      ]);
  });

  it('switches backends under load without refusing a connection', async () => {
    const url = `http://127.0.0.1:${plan.frontends[0]!.clientPort}/live`;
    const seen: Record<string, number> = {};
    const errors: string[] = [];
    let stop = false;
    const client = async () => {
      while (!stop) {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
          const body = (await res.json()) as { region: string };
          if (res.status !== 200) errors.push(`HTTP ${res.status}`);
          else seen[body.region] = (seen[body.region] ?? 0) + 1;
        } catch (err) {
          errors.push(`${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const region = i % 2 === 0 ? 'B' : 'A';
      const result = await traffic.switchTo(region);
      expect(result).toMatchObject({ region, changed: true });
      expect((await traffic.active()).region).toBe(region);
    }
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(clients);
    expect(errors).toEqual([]);
    expect(seen.A).toBeGreaterThan(0);
    expect(seen.B).toBeGreaterThan(0);
    // Last switch went to A: new requests land there.
    const res = await fetch(url);
    expect(res.headers.get('x-lifeboat-region')).toBe('A');
  });

  it('switching to the active region is a no-op', async () => {
    expect(await traffic.switchTo('A')).toEqual({ region: 'A', previous: 'A', changed: false });
  });

  it('drains a backend and readies it again', async () => {
    await traffic.setServing('B', 'drain');
    expect(await traffic.serving('B')).toEqual({ state: 'drain', status: 'DRAIN' });
    await traffic.setServing('B', 'ready');
    await expect.poll(async () => (await traffic.health()).find((r) => r.region === 'B')?.status, { timeout: 10_000 }).toBe('UP');
  });

  it("probes read-only: the runtime API, each region's server and the map", async () => {
    const probe = await traffic.probe();
    expect(probe.map((p) => [p.check, p.ok])).toEqual([
      ['reach the runtime API', true],
      ['region A server booking_A/A', true],
      ['region B server booking_B/B', true],
      [`read map ${plan.mapFile}`, true],
    ]);
    const wrong = createHaproxyTraffic(
      {
        provider: 'haproxy',
        runtimeApi: { host: '127.0.0.1', port: await freePort() },
        map: { file: plan.mapFile, key: 'booking' },
        backends: { A: { backend: 'booking_A', server: 'A' }, B: { backend: 'booking_B', server: 'B' } },
      },
      ['A', 'B'],
    );
    const [failed] = await wrong.probe();
    expect(failed).toMatchObject({ check: 'reach the runtime API', ok: false });
    expect(failed!.detail).toMatch(/unreachable.*stats socket/);
  });
});
