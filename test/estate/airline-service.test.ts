import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { airlineLoadFiles, countLostRecords, readAckedKeys, startAirlineLoad } from '../../estate/airline/load';
import { ensureAirlineDatabase, ensureAirlineSchema } from '../../estate/airline/store';
import { LoadCounters } from '../../estate/load';
import { freePort } from '../../estate/ports';
import { initPrimary, initStandby, startCluster, stopCluster } from '../../estate/postgres-cluster';
import { isAlive, listRecords, nodeServerCommand, startDetached, stopRecorded, waitForHttp } from '../../estate/processes';

/**
 * A PostgreSQL streaming pair (primary A, hot standby B) and a booking service in A, made with the estate's own
 * cluster functions but none of the rest of the estate, so this file tests the airline server alone.
 */
let dir: string;
const runDir = () => join(dir, 'run');
const logsDir = () => join(dir, 'logs');
const pg = { A: 0, B: 0 };
let bookingUrl: string;
/** Accepts connections and never answers: a dependency that hangs. */
let hanging: TcpServer;
const hangingSockets: Socket[] = [];
const urls: Record<string, string> = {};
const argsOf: Record<string, string[]> = {};

/** Starts a server's real entry point as a detached process, as the estate does, and waits until it answers. */
async function startServer(name: string, file: string, args: string[], port?: number): Promise<string> {
  const p = port ?? (await freePort());
  const logFile = join(logsDir(), `${name}.log`);
  const rec = startDetached({
    name,
    command: nodeServerCommand(file, [...args, '--port', String(p), '--state-dir', dir]),
    runDir: runDir(),
    logFile,
    port: p,
  });
  await waitForHttp(`http://127.0.0.1:${p}/live`, { pid: rec.pid, logFile, timeoutMs: 60_000 });
  return `http://127.0.0.1:${p}`;
}

async function startAirline(name: string, args: string[], port?: number): Promise<void> {
  argsOf[name] = args;
  urls[name] = await startServer(name, 'airline/server.ts', args, port);
}

async function restartAirline(name: string): Promise<void> {
  await stopRecorded(runDir(), name);
  await startAirline(name, argsOf[name]!, Number(new URL(urls[name]!).port));
}

async function call(url: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
}

beforeAll(async () => {
  // Under /tmp and world-readable, so PostgreSQL's unprivileged user reaches its data dirs (as the estate's are).
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-airline-'));
  chmodSync(dir, 0o755);
  mkdirSync(runDir());
  mkdirSync(logsDir());
  pg.A = await freePort();
  await initPrimary(join(dir, 'pg', 'A'), pg.A);
  await startCluster(join(dir, 'pg', 'A'));
  const cluster = { host: '127.0.0.1', port: pg.A, user: 'postgres' };
  // loyalty lives in booking's cluster: its database and table are made on the primary before the standby is cloned.
  await ensureAirlineDatabase(cluster, 'loyalty');
  await ensureAirlineSchema({ ...cluster, database: 'loyalty' });
  // checkin's is made after, so its table is left for its server to create at start (and replication to carry).
  pg.B = await freePort();
  await initStandby(join(dir, 'pg', 'B'), pg.B, pg.A);
  await startCluster(join(dir, 'pg', 'B'));
  await ensureAirlineDatabase(cluster, 'checkin');

  hanging = createTcpServer((socket) => void hangingSockets.push(socket));
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  const hangingUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
  bookingUrl = await startServer('booking-A', 'booking/server.ts', ['--region', 'A', '--db-host', '127.0.0.1', '--db-port', String(pg.A)]);

  const db = (region: 'A' | 'B', name: string) => ['--db-host', '127.0.0.1', '--db-port', String(pg[region]), '--db-name', name];
  await Promise.all([
    startAirline('loyalty-A', ['--service', 'loyalty', '--region', 'A', ...db('A', 'loyalty')]),
    startAirline('loyalty-B', ['--service', 'loyalty', '--region', 'B', ...db('B', 'loyalty')]),
    startAirline('checkin-A', ['--service', 'checkin', '--region', 'A', ...db('A', 'checkin'), '--depends-on', `booking=${bookingUrl}`]),
    startAirline('checkin-hanging', ['--service', 'checkin', '--region', 'B', ...db('B', 'checkin'), '--depends-on', `booking=${hangingUrl}`]),
    startAirline('flight-status-A', ['--service', 'flight-status', '--region', 'A']),
  ]);
});

afterAll(async () => {
  for (const s of hangingSockets) s.destroy();
  hanging?.close();
  if (!dir) return;
  const records = listRecords(runDir());
  await Promise.all(records.map((r) => stopRecorded(runDir(), r.name)));
  await stopCluster(join(dir, 'pg', 'B')).catch(() => stopCluster(join(dir, 'pg', 'B'), 'immediate'));
  await stopCluster(join(dir, 'pg', 'A')).catch(() => stopCluster(join(dir, 'pg', 'A'), 'immediate'));
  rmSync(dir, { recursive: true, force: true });
  const left = records.filter((r) => isAlive(r.pid)).map((r) => r.name);
  if (left.length) throw new Error(`servers still running after stop: ${left.join(', ')}`);
});

describe('an airline service with a database (loyalty on the primary)', () => {
  it('acknowledges a write once and replays it on a retry with the same key', async () => {
    const first = await call(`${urls['loyalty-A']}/records`, { body: { key: 'ff-1001', payload: { miles: 1200 } } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ replayed: false, record: { key: 'ff-1001', region: 'A', payload: { miles: 1200 } } });

    const retry = await call(`${urls['loyalty-A']}/records`, { body: { key: 'ff-1001', payload: { miles: 1200 } } });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({ replayed: true, record: first.body.record });

    const reused = await call(`${urls['loyalty-A']}/records`, { body: { key: 'ff-1001', payload: { miles: 5 } } });
    expect(reused.status).toBe(422);
  });

  it('refuses a write without a key, naming the field', async () => {
    const res = await call(`${urls['loyalty-A']}/records`, { body: { payload: { miles: 1 } } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/key/);
  });

  it('a lookup names the keys that are not stored', async () => {
    const res = await call(`${urls['loyalty-A']}/records/lookup`, { body: { keys: ['ff-1001', 'never-written'] } });
    expect(res.status).toBe(200);
    expect(res.body.missing).toEqual(['never-written']);
  });

  it('read-only mode refuses writes, and a restart keeps the mode', async () => {
    const set = await call(`${urls['loyalty-A']}/admin/mode`, { method: 'PUT', body: { mode: 'read-only' } });
    expect(set.body).toMatchObject({ mode: 'read-only', previous: 'normal' });
    const refused = await call(`${urls['loyalty-A']}/records`, { body: { key: 'ff-1002' } });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('mode-read-only');

    await restartAirline('loyalty-A');
    expect((await call(`${urls['loyalty-A']}/admin/mode`)).body.mode).toBe('read-only');
    expect((await call(`${urls['loyalty-A']}/health`)).body).toMatchObject({ service: 'loyalty', mode: 'read-only', status: 'ok' });

    await call(`${urls['loyalty-A']}/admin/mode`, { method: 'PUT', body: { mode: 'normal' } });
    expect((await call(`${urls['loyalty-A']}/records`, { body: { key: 'ff-1002' } })).status).toBe(201);
  });

  it('on the standby refuses writes with 503 and still answers lookups', async () => {
    const health = await call(`${urls['loyalty-B']}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ service: 'loyalty', region: 'B', status: 'ok', db: { reachable: true, writable: false, inRecovery: true } });

    const refused = await call(`${urls['loyalty-B']}/records`, { body: { key: 'ff-2001' } });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toBe('db-read-only');

    // The write acknowledged on A reaches B by streaming replication.
    await expect
      .poll(async () => (await call(`${urls['loyalty-B']}/records/lookup`, { body: { keys: ['ff-1001', 'ff-2001'] } })).body.missing)
      .toEqual(['ff-2001']);
  });
});

describe('a service that depends on booking (checkin)', () => {
  it('creates its records table at start on the primary', async () => {
    const res = await call(`${urls['checkin-A']}/records`, { body: { key: 'pnr-ABC123', payload: { bags: 2 } } });
    expect(res.status).toBe(201);
  });

  it('is ok while booking answers, and degraded naming booking when booking does not (200 either way: the service-mode contract)', async () => {
    const ok = await call(`${urls['checkin-A']}/health`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ service: 'checkin', status: 'ok', dependencies: { booking: { url: bookingUrl, reachable: true, status: 'ok' } } });

    await stopRecorded(runDir(), 'booking-A', 0);
    const down = await call(`${urls['checkin-A']}/health`);
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'degraded', db: { reachable: true }, dependencies: { booking: { url: bookingUrl, reachable: false } } });
    expect(down.body.dependencies.booking.error).toContain(bookingUrl);
  });

  it('reports a dependency that accepts connections but never answers as unreachable, and still answers', async () => {
    const res = await call(`${urls['checkin-hanging']}/health`);
    expect(res.status).toBe(200);
    expect(res.body.dependencies.booking).toMatchObject({ reachable: false });
    expect(res.body.dependencies.booking.error).toMatch(/no answer within/);
  });
});

describe('a stateless service (flight-status)', () => {
  it('has no database in its health and keeps no records', async () => {
    const health = await call(`${urls['flight-status-A']}/health`);
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ service: 'flight-status', region: 'A', status: 'ok', mode: 'normal' });

    const write = await call(`${urls['flight-status-A']}/records`, { body: { key: 'x' } });
    expect(write.status).toBe(404);
    expect(write.body.error).toBe('flight-status keeps no data');
  });

  it('shows the flight board', async () => {
    const page = await call(`${urls['flight-status-A']}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<td>LB101</td>');
  });
});

describe('the airline load counter', () => {
  it('writes through a live service, records every acknowledged key, and loses none', async () => {
    const files = airlineLoadFiles(dir, 'loyalty');
    const run = startAirlineLoad({ service: 'loyalty', url: urls['loyalty-A']!, ratePerSecond: 25, countersFile: files.counters, ackedFile: files.acked });
    await expect.poll(() => run.counters().successes, { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
    const counters = await run.stop();

    expect(counters).toMatchObject({ running: false, failures: 0, outages: [], downtimeMs: 0 });
    const keys = run.acknowledgedKeys();
    expect(keys).toHaveLength(counters.successes);
    expect(readAckedKeys(files.acked)).toEqual(keys);
    expect(LoadCounters.parse(JSON.parse(readFileSync(files.counters, 'utf8')))).toMatchObject({ successes: keys.length, running: false });
    expect(counters.lastAcknowledged?.idempotencyKey).toBe(keys.at(-1));
    expect(await countLostRecords(urls['loyalty-A']!, keys)).toEqual({ checked: keys.length, lost: 0, lostKeys: [] });
  });

  it('reads a stateless service through a URL resolved before each request, and counts nothing lost', async () => {
    const files = airlineLoadFiles(dir, 'flight-status');
    let resolved = 0;
    const run = startAirlineLoad({
      service: 'flight-status',
      stateless: true,
      url: async () => (resolved++, urls['flight-status-A']!),
      ratePerSecond: 25,
      countersFile: files.counters,
    });
    await expect.poll(() => run.counters().successes, { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
    const counters = await run.stop();

    expect(counters).toMatchObject({ failures: 0, lastAcknowledged: null, url: urls['flight-status-A'], lost: { checked: 0, lost: 0 } });
    expect(resolved).toBe(counters.attempts);
    expect(run.acknowledgedKeys()).toEqual([]);
    expect(existsSync(files.counters)).toBe(true);
  });
});
