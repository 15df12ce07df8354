import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { HttpError, parseInput, readJson, sendError, sendJson } from '../http-util';
import { parseAirlineArgs, type AirlineServiceOptions } from './args';
import { flightBoardPage, statusPage } from './board';
import { checkDependencies } from './dependencies';
import { AirlineMode, KeyLookup, ModeChange, RecordWrite, type AirlineHealth } from './schemas';
import { RecordStore } from './store';

/** Small bodies: a write or a mode change is a few hundred bytes; a lookup of 5,000 keys of 200 characters about 1 MB. */
const WRITE_BODY_LIMIT = 64 * 1024;
const LOOKUP_BODY_LIMIT = 2 * 1024 * 1024;

/** Where a service keeps its mode across restarts; beside booking's `modes/<region>`, named apart by the service. */
export function airlineModeFile(stateDir: string, service: string, region: string): string {
  return join(stateDir, 'modes', `${service}-${region}`);
}

function readMode(file: string): AirlineMode {
  return existsSync(file) ? AirlineMode.catch('normal').parse(readFileSync(file, 'utf8').trim()) : 'normal';
}

/** Written whole or not at all, so a crash mid-write cannot leave a mode the next start cannot read. */
function writeMode(file: string, mode: AirlineMode): void {
  writeFileSync(`${file}.tmp`, mode);
  renameSync(`${file}.tmp`, file);
}

/**
 * One region of a generic airline service (loyalty, checkin, crew, flight-status): records keyed by the client,
 * lookups to count lost writes, booking's mode contract, and a health that checks the database and every service
 * this one calls, each with a short timeout, at the same time. Without a database it is stateless and keeps nothing.
 */
export function createAirlineServer(opts: AirlineServiceOptions): { server: Server; ready: Promise<void>; close: () => Promise<void> } {
  const store = opts.db ? new RecordStore(opts.db) : undefined;
  mkdirSync(join(opts.stateDir, 'modes'), { recursive: true });
  const modeFile = airlineModeFile(opts.stateDir, opts.service, opts.region);
  let mode = readMode(modeFile);
  const headers = { 'x-lifeboat-region': opts.region, 'x-lifeboat-service': opts.service };
  const noData = `${opts.service} keeps no data`;

  // The table is created on a primary only; a standby gets it by replication, and a primary that is down now
  // creates it on its first write instead. A failure here must not stop the process: `/live` has to answer.
  const ready = store
    ? store.ensureTableOnPrimary().then(
        () => undefined,
        (err: Error) => console.log(`records table not checked at start (${err.message}); the first write creates it`),
      )
    : Promise.resolve();

  const refuseUnlessNormal = () => {
    if (mode !== 'normal') throw new HttpError(503, `${opts.service} refuses writes: region ${opts.region} is in ${mode} mode`, `mode-${mode}`);
  };

  async function health(): Promise<{ status: number; body: AirlineHealth }> {
    const [db, dependencies] = await Promise.all([store?.probe(), checkDependencies(opts.dependsOn)]);
    const ok = (db === undefined || db.reachable) && Object.values(dependencies).every((d) => d.reachable);
    const body: AirlineHealth = {
      service: opts.service,
      region: opts.region,
      status: ok ? 'ok' : 'degraded',
      mode,
      ...(db ? { db } : {}),
      ...(Object.keys(dependencies).length ? { dependencies } : {}),
    };
    // The service-mode contract (docs/api/service-mode.openapi.json): 200 while the process runs; `status` says the rest.
    return { status: 200, body };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://airline');
    const method = req.method ?? 'GET';
    const send = (status: number, body: unknown) => sendJson(res, status, body, headers);

    if (method === 'GET' && url.pathname === '/') {
      const html = opts.service === 'flight-status' ? flightBoardPage(opts.region) : statusPage(opts.service, opts.region, mode, !store);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), ...headers });
      res.end(html);
      return;
    }
    if (method === 'GET' && url.pathname === '/live') return send(200, { ok: true, service: opts.service, region: opts.region });
    if (method === 'GET' && url.pathname === '/health') {
      const { status, body } = await health();
      return send(status, body);
    }
    if (url.pathname === '/admin/mode') {
      if (method === 'GET') return send(200, { service: opts.service, region: opts.region, mode });
      if (method === 'PUT' || method === 'POST') {
        const next = parseInput(ModeChange, await readJson(req, WRITE_BODY_LIMIT)).mode;
        const previous = mode;
        writeMode(modeFile, next);
        mode = next;
        return send(200, { service: opts.service, region: opts.region, mode, previous });
      }
    }
    if (url.pathname === '/records' || url.pathname === '/records/lookup') {
      if (method !== 'POST') throw new HttpError(405, `${url.pathname} takes POST`, 'method-not-allowed');
      if (!store) return send(404, { error: noData, message: `${noData}: it is stateless, so there is nothing to write or look up` });
      if (url.pathname === '/records') {
        const { key, payload } = parseInput(RecordWrite, await readJson(req, WRITE_BODY_LIMIT));
        refuseUnlessNormal();
        const { record, replayed } = await store.write(key, payload, opts.region);
        return send(replayed ? 200 : 201, { record, replayed });
      }
      const { keys } = parseInput(KeyLookup, await readJson(req, LOOKUP_BODY_LIMIT));
      return send(200, { missing: await store.missingKeys(keys) });
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`, 'not-found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => sendError(res, err, headers));
  });
  server.keepAliveTimeout = 30_000;
  return {
    server,
    ready,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await store?.close();
    },
  };
}

/** Entry point when started as a process; the flags are `parseAirlineArgs`'s. */
function main(): void {
  let opts: AirlineServiceOptions;
  try {
    opts = parseAirlineArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const { server, close } = createAirlineServer(opts);
  const what = `${opts.service} service ${opts.region}${opts.db ? '' : ' (stateless)'}`;
  server.listen(opts.port, '127.0.0.1', () => console.log(`${what} listening on 127.0.0.1:${opts.port}`));
  const stop = () => void close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
