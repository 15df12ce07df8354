import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrafficActivities } from '../../activities/traffic';
import { loadBalancerEntry, startHaproxy, type HaproxyPlan } from '../../estate/haproxy';
import { stopPid } from '../../estate/processes';
import { freePort } from '../../lib/free-port';

let dir: string;
let haproxyPid: number | undefined;
const servers: Server[] = [];
let plan: HaproxyPlan;
let traffic: ReturnType<typeof createTrafficActivities>;

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
    clientPort: await freePort(),
    adminPort: await freePort(),
    backends: { A: await regionServer('A'), B: await regionServer('B') },
    initial: 'A',
  };
  haproxyPid = (await startHaproxy(plan, { runDir: dir, logFile: join(dir, 'haproxy.log') })).pid;
  traffic = createTrafficActivities({ loadBalancer: loadBalancerEntry(plan) });
});

afterAll(async () => {
  if (haproxyPid) await stopPid(haproxyPid);
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('HAProxy traffic switch (runtime API, no reload)', () => {
  it('reads the active region and reports both servers up', async () => {
    expect(await traffic.activeBackend()).toEqual({ region: 'A', backend: 'booking_A' });
    await expect.poll(async () => (await traffic.backendHealth()).regions.map((r) => r.status), { timeout: 10_000 }).toEqual(['UP', 'UP']);
  });

  it('switches backends under load without refusing a connection', async () => {
    const url = `http://127.0.0.1:${plan.clientPort}/live`;
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
      const result = await traffic.setActiveBackend({ region });
      expect(result).toMatchObject({ region, changed: true });
      expect((await traffic.activeBackend()).region).toBe(region);
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
    expect(await traffic.setActiveBackend({ region: 'A' })).toEqual({ region: 'A', previous: 'A', changed: false });
  });

  it('drains a backend and readies it again', async () => {
    await traffic.drainBackend({ region: 'B' });
    expect((await traffic.backendHealth()).regions.find((r) => r.region === 'B')?.status).toBe('DRAIN');
    await traffic.drainBackend({ region: 'B', state: 'ready' });
    await expect.poll(async () => (await traffic.backendHealth()).regions.find((r) => r.region === 'B')?.status, { timeout: 10_000 }).toBe('UP');
  });
});
