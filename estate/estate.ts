import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EstateCatalog, parseCatalog, type RegionName } from './catalog';
import { writeSampleTargets } from './targets';
import { ESTATE_PORTS_VAR, estatePortRange, inRange, takeEstatePort, type PortRange } from './ports';
import { ensureBookingSchema } from './booking/store';
import { findHaproxy, HAPROXY_MISSING, loadBalancerEntry, startHaproxy, type HaproxyPlan } from './haproxy';
import { mappedBackend } from './haproxy-runtime';
import { logEnd, lostPortRace, PORT_RACE_STARTS } from './port-race';
import { clusterRunning, initPrimary, initStandby, moveClusterPort, pgLogFile, startCluster, stopCluster } from './postgres-cluster';
import { isAlive, listRecords, nodeServerCommand, readRecord, startDetached, stopPid, stopRecorded, waitForHttp } from './processes';
import { ensureLayout, estateDir, estateLayout } from './state-dir';

/** Options for bringing the estate up. */
export interface EstateOptions {
  /** The estate's state dir; default `.state/estate` or `LIFEBOAT_ESTATE_DIR`. */
  dir?: string;
  /** Simulated fleet size (default 36; 10,000 works). */
  fleetHosts?: number;
  /** Start HAProxy (default true when installed). */
  loadBalancer?: boolean;
  /** The range its ports come from; default `LIFEBOAT_ESTATE_PORTS` (`FROM-TO`) when set, else the OS assigns them. */
  ports?: PortRange;
  /** Progress lines for the CLI; silent by default. */
  log?: (line: string) => void;
}

/** A running estate: its catalog and what could not start (with what to install). */
export interface RunningEstate {
  dir: string;
  catalog: EstateCatalog;
  warnings: string[];
}

interface Ports {
  pgA: number;
  pgB: number;
  bookingA: number;
  bookingB: number;
  fleet: number;
  lbClient: number;
  lbAdmin: number;
}

/**
 * The ports of the estate: those of its last run when its data exists (PostgreSQL keeps its port in its data dir),
 * else fresh free ones, from `LIFEBOAT_ESTATE_PORTS` when set. Runs before anything starts, so a bad range or an
 * estate set up outside it is refused with nothing half-started.
 */
async function allocatePorts(dir: string, previous: EstateCatalog | undefined, range: PortRange | undefined): Promise<Ports> {
  const taken = new Set<number>();
  const take = () => takeEstatePort(taken, range);
  if (previous) {
    const r = previous.services.booking.regions;
    const port = (u: string) => Number(new URL(u).port);
    const kept = {
      pgA: r.A.postgres.port,
      pgB: r.B.postgres.port,
      bookingA: port(r.A.url),
      bookingB: port(r.B.url),
      fleet: port(previous.fleet.url),
      ...(previous.loadBalancer ? { lbClient: port(previous.loadBalancer.clientUrl), lbAdmin: previous.loadBalancer.runtimeApi.port } : {}),
    };
    const outside = Object.values(kept).filter((p) => !inRange(p, range));
    if (range && outside.length) {
      throw new Error(
        `the estate in ${dir} was set up on ports outside ${ESTATE_PORTS_VAR}=${range.from}-${range.to} (${outside.join(', ')}), ` +
          `and its databases keep their ports: start it afresh inside the range with \`npm run estate -- reset\` (deletes its data), ` +
          `or unset ${ESTATE_PORTS_VAR} to restart it where it was`,
      );
    }
    for (const p of Object.values(kept)) taken.add(p);
    return { ...kept, lbClient: kept.lbClient ?? (await take()), lbAdmin: kept.lbAdmin ?? (await take()) };
  }
  return {
    pgA: await take(),
    pgB: await take(),
    bookingA: await take(),
    bookingB: await take(),
    fleet: await take(),
    lbClient: await take(),
    lbAdmin: await take(),
  };
}

/**
 * Hands out ports for servers that lost theirs to another process, in the range when there is one. Every port of the
 * plan stays taken, and so does each one lost to a race, so none is handed out twice; picks run one at a time, since
 * servers start in parallel and two concurrent picks could both find the same port free.
 */
function freshPortPicker(ports: Ports, range: PortRange | undefined): () => Promise<number> {
  const taken = new Set<number>(Object.values(ports));
  let last: Promise<unknown> = Promise.resolve();
  return () => {
    const next = last.then(() => takeEstatePort(taken, range));
    last = next.catch(() => undefined);
    return next;
  };
}

/**
 * Starts a PostgreSQL cluster; on its first start, when another process took its port since it was picked
 * (PostgreSQL logs "Address already in use"), moves it to a fresh port and starts it again, up to `PORT_RACE_STARTS`
 * times. A cluster that ran before keeps its port: the standby's replication settings name the primary's.
 */
async function startClusterOnFreePort(
  dataDir: string,
  key: 'pgA' | 'pgB',
  fresh: boolean,
  ports: Ports,
  freshPort: () => Promise<number>,
  log: (line: string) => void,
): Promise<void> {
  for (let start = 1; ; start++) {
    const from = logEnd(pgLogFile(dataDir));
    try {
      await startCluster(dataDir);
      return;
    } catch (err) {
      if (!fresh || start >= PORT_RACE_STARTS || !lostPortRace(pgLogFile(dataDir), from)) throw err;
      const lost = ports[key];
      ports[key] = await freshPort();
      log(`another process took port ${lost} before PostgreSQL bound it; moving it to port ${ports[key]}`);
      moveClusterPort(dataDir, ports[key]);
    }
  }
}

/**
 * Starts HAProxy on the planned ports; when another process took one of them since it was picked (HAProxy logs
 * "Address already in use" and exits), picks fresh ones, in the range when there is one, and starts it again, up to
 * `PORT_RACE_STARTS` times. The ports it ends up on are written back to `plan`, so the catalog and the targets file
 * name them.
 */
async function startHaproxyOnFreePorts(
  plan: HaproxyPlan,
  files: { runDir: string; logFile: string },
  freshPort: () => Promise<number>,
  log: (line: string) => void,
): Promise<void> {
  for (let start = 1; ; start++) {
    log(`start HAProxy on port ${plan.clientPort} (runtime API ${plan.adminPort})`);
    const from = logEnd(files.logFile);
    try {
      await startHaproxy(plan, files);
      return;
    } catch (err) {
      if (start >= PORT_RACE_STARTS || !lostPortRace(files.logFile, from)) throw err;
      log(`another process took port ${plan.clientPort} or ${plan.adminPort} before HAProxy bound it; trying fresh ports`);
      plan.clientPort = await freshPort();
      plan.adminPort = await freshPort();
    }
  }
}

/** The catalog in a state dir, if `up` wrote one and it is valid. */
export function readCatalogIn(dir: string): EstateCatalog | undefined {
  const file = estateLayout(dir).catalog;
  if (!existsSync(file)) return undefined;
  return parseCatalog(JSON.parse(readFileSync(file, 'utf8')), file);
}

/**
 * Brings the estate up: PostgreSQL primary (A) and streaming hot standby (B), a booking service per region,
 * the fleet API, and HAProxy in front; writes `catalog.json`. Reuses existing data and ports after a `down`.
 * Shared by `estate up`, the tests and the runbook tests.
 */
export async function startEstate(opts: EstateOptions = {}): Promise<RunningEstate> {
  const dir = opts.dir ?? estateDir();
  const log = opts.log ?? (() => undefined);
  const layout = estateLayout(dir);
  const range = opts.ports ?? estatePortRange();
  ensureLayout(layout);
  const warnings: string[] = [];
  const fresh = !existsSync(join(layout.pgData('A'), 'PG_VERSION'));
  const previous = fresh ? undefined : readCatalogIn(dir);
  const ports = await allocatePorts(dir, previous, range);
  const freshPort = freshPortPicker(ports, range);
  const fleetHosts = opts.fleetHosts ?? previous?.fleet.hosts ?? 36;

  // PostgreSQL: primary in A, standby in B cloned with pg_basebackup -R.
  if (fresh) {
    rmSync(join(dir, 'pg'), { recursive: true, force: true });
    log(`initdb primary (region A) on port ${ports.pgA}`);
    await initPrimary(layout.pgData('A'), ports.pgA);
  }
  await startClusterOnFreePort(layout.pgData('A'), 'pgA', fresh, ports, freshPort, log);
  const db = (port: number) => ({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  if (fresh) {
    await ensureBookingSchema(db(ports.pgA));
    log(`pg_basebackup standby (region B) on port ${ports.pgB}`);
    await initStandby(layout.pgData('B'), ports.pgB, ports.pgA);
  }
  await startClusterOnFreePort(layout.pgData('B'), 'pgB', fresh, ports, freshPort, log);

  // Booking services and the fleet API, detached so they outlive this process.
  type PortKey = 'bookingA' | 'bookingB' | 'fleet';
  const services: { name: string; key: PortKey; args: (port: number) => string[]; file: string; probe: string }[] = (['A', 'B'] as const).map((r) => ({
    name: `booking-${r}`,
    key: r === 'A' ? 'bookingA' : 'bookingB',
    file: 'booking/server.ts',
    probe: '/live',
    args: (port: number) => [
      '--region',
      r,
      '--port',
      String(port),
      '--db-host',
      '127.0.0.1',
      '--db-port',
      String(r === 'A' ? ports.pgA : ports.pgB),
      '--state-dir',
      dir,
    ],
  }));
  services.push({
    name: 'fleet',
    key: 'fleet',
    file: 'fleet/server.ts',
    probe: '/health',
    args: (port: number) => ['--port', String(port), '--hosts', String(fleetHosts)],
  });
  await Promise.all(
    services.map(async (s) => {
      const existing = readRecord(layout.run, s.name);
      if (existing && isAlive(existing.pid)) return;
      const logFile = join(layout.logs, `${s.name}.log`);
      for (let start = 1; ; start++) {
        const port = ports[s.key];
        log(`start ${s.name} on port ${port}`);
        const from = logEnd(logFile);
        const rec = startDetached({ name: s.name, command: nodeServerCommand(s.file, s.args(port)), runDir: layout.run, logFile, port });
        try {
          await waitForHttp(`http://127.0.0.1:${port}${s.probe}`, { pid: rec.pid, logFile, timeoutMs: 60_000 });
          // Something answered; if our server exited meanwhile, it was another process holding the port.
          if (!isAlive(rec.pid)) throw new Error(`${s.name} exited at start; see ${logFile}`);
          break;
        } catch (err) {
          if (start >= PORT_RACE_STARTS || !lostPortRace(logFile, from)) throw err;
          log(`another process took port ${port} before ${s.name} bound it; trying a fresh port`);
          ports[s.key] = await freshPort();
        }
      }
    }),
  );

  // HAProxy in front; the rest of the estate still runs without it.
  let loadBalancer: EstateCatalog['loadBalancer'] = null;
  if (opts.loadBalancer !== false) {
    if (!findHaproxy()) warnings.push(HAPROXY_MISSING);
    else {
      const plan: HaproxyPlan = {
        configFile: layout.haproxyConfig,
        mapFile: layout.haproxyMap,
        clientPort: ports.lbClient,
        adminPort: ports.lbAdmin,
        backends: { A: ports.bookingA, B: ports.bookingB },
        initial: 'A' as RegionName,
      };
      const existing = readRecord(layout.run, 'haproxy');
      if (!existing || !isAlive(existing.pid)) {
        try {
          await startHaproxyOnFreePorts(plan, { runDir: layout.run, logFile: join(layout.logs, 'haproxy.log') }, freshPort, log);
        } catch (err) {
          warnings.push((err as Error).message);
        }
      }
      if (!warnings.length) loadBalancer = loadBalancerEntry(plan);
    }
  }

  const pg = (r: RegionName, port: number) => ({ ...db(port), dataDir: layout.pgData(r), role: r === 'A' ? ('primary' as const) : ('standby' as const) });
  const catalog = EstateCatalog.parse({
    version: 1,
    stateDir: dir,
    services: {
      booking: {
        regions: {
          A: { url: `http://127.0.0.1:${ports.bookingA}`, postgres: pg('A', ports.pgA) },
          B: { url: `http://127.0.0.1:${ports.bookingB}`, postgres: pg('B', ports.pgB) },
        },
      },
    },
    loadBalancer,
    fleet: { url: `http://127.0.0.1:${ports.fleet}`, hosts: fleetHosts },
  });
  writeFileSync(layout.catalog, JSON.stringify(catalog, null, 2));
  // What the runbooks act on: the same addresses, as a targets file of ordinary providers.
  writeSampleTargets(catalog, dir);
  for (const w of warnings) log(`warning: ${w}`);
  return { dir, catalog, warnings };
}

/** Pids of the PostgreSQL postmasters in a state dir (first line of `postmaster.pid`). */
export function postmasterPids(dir: string): number[] {
  const layout = estateLayout(dir);
  return (['A', 'B'] as const)
    .map((r) => join(layout.pgData(r), 'postmaster.pid'))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8').split('\n')[0]))
    .filter((p) => p > 0 && isAlive(p));
}

/** Every process the estate runs: recorded servers and the postmasters. `down` must leave this empty. */
export function estatePids(dir: string): number[] {
  return [
    ...listRecords(estateLayout(dir).run)
      .map((r) => r.pid)
      .filter(isAlive),
    ...postmasterPids(dir),
  ];
}

/** Stops everything the estate runs and keeps its data (`up` restarts it). Leaves no process behind. */
export async function stopEstate(dir: string = estateDir(), log: (line: string) => void = () => undefined): Promise<void> {
  const layout = estateLayout(dir);
  await keepActiveBackend(dir, log);
  await Promise.all(listRecords(layout.run).map((r) => (log(`stop ${r.name}`), stopRecorded(layout.run, r.name))));
  await Promise.all(
    (['A', 'B'] as const).map(async (r) => {
      const data = layout.pgData(r);
      if (!(await clusterRunning(data))) return;
      log(`stop PostgreSQL ${r}`);
      await stopCluster(data, 'fast').catch(() => stopCluster(data, 'immediate'));
    }),
  );
  for (const pid of postmasterPids(dir)) await stopPid(pid);
}

/**
 * A switch through HAProxy's runtime API lives in its memory only; before HAProxy stops, the active region is written
 * back to its map file, so the next `up` sends clients where they went before (after a failover: the new primary).
 */
async function keepActiveBackend(dir: string, log: (line: string) => void): Promise<void> {
  const catalog = existsSync(estateLayout(dir).catalog) ? readCatalogIn(dir) : undefined;
  const record = readRecord(estateLayout(dir).run, 'haproxy');
  if (!catalog?.loadBalancer || !record || !isAlive(record.pid)) return;
  try {
    const { runtimeApi, switch: map } = catalog.loadBalancer;
    const backend = await mappedBackend(runtimeApi, map.mapFile, map.key);
    writeFileSync(catalog.loadBalancer.switch.mapFile, `${catalog.loadBalancer.switch.key} ${backend}\n`);
  } catch (err) {
    log(`could not read the active backend before stopping HAProxy (${(err as Error).message}); the next up starts with region A`);
  }
}

/** Stops the estate and deletes its state (data, ledgers, load counters) so the next `up` starts clean. */
export async function wipeEstate(dir: string = estateDir()): Promise<void> {
  await stopEstate(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** An outage of a region: its booking service is killed and its database stopped abruptly (`pg_ctl -m immediate`). */
export async function breakRegion(dir: string, region: RegionName): Promise<void> {
  const layout = estateLayout(dir);
  await stopRecorded(layout.run, `booking-${region}`, 0);
  await stopCluster(layout.pgData(region), 'immediate');
}

export { pgLogFile };
