import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAirlineDatabase, ensureAirlineSchema } from './airline/store';
import { ensureBookingSchema } from './booking/store';
import { EstateCatalog, parseCatalog, type RegionName } from './catalog';
import { crewPatroniPorts } from './crew-patroni';
import { breakCrewRegion, crewPatroniPids, startCrewService, stopCrewPatroni } from './crew-service';
import { keepFlightStatusPrimary, startFlightStatusService } from './flight-status-service';
import { findHaproxy, HAPROXY_MISSING, loadBalancerEntry, startHaproxy, type HaproxyPlan } from './haproxy';
import { mappedBackend } from './haproxy-runtime';
import { freshPortPicker, planPorts, portOf, savePorts } from './port-plan';
import { logEnd, lostPortRace, PORT_RACE_STARTS } from './port-race';
import { estatePortRange, type PortRange } from './ports';
import { loopbackDb, pairIsFresh, startPostgresPair, writablePrimary, type PostgresPair } from './postgres-pair';
import { clusterRunning, pgLogFile, stopCluster } from './postgres-cluster';
import { isAlive, listRecords, readRecord, stopPid, stopRecorded } from './processes';
import { startServer, type ServerSpec } from './server-start';
import type { StartContext } from './start-context';
import { ESTATE_SERVICES, ESTATE_SERVICES_VAR, parseServiceList, selectServices, type EstateService } from './services';
import { ensureLayout, estateDir, estateLayout, type EstateLayout } from './state-dir';
import { writeSampleTargets } from './targets';

/** Options for bringing the estate up. */
export interface EstateOptions {
  /** The estate's state dir; default `.state/estate` or `LIFEBOAT_ESTATE_DIR`. */
  dir?: string;
  /** The services to bring up (and what they need); default `LIFEBOAT_ESTATE_SERVICES`, else all five. */
  services?: readonly string[];
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

/** The catalog in a state dir, if `up` wrote one and it is valid. */
export function readCatalogIn(dir: string): EstateCatalog | undefined {
  const file = estateLayout(dir).catalog;
  if (!existsSync(file)) return undefined;
  return parseCatalog(JSON.parse(readFileSync(file, 'utf8')), file);
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
    log(`start HAProxy: ${plan.frontends.map((f) => `${f.service} on port ${f.clientPort}`).join(', ')} (runtime API ${plan.adminPort})`);
    const from = logEnd(files.logFile);
    try {
      await startHaproxy(plan, files);
      return;
    } catch (err) {
      if (start >= PORT_RACE_STARTS || !lostPortRace(files.logFile, from)) throw err;
      log("another process took one of HAProxy's ports before it bound them; trying fresh ports");
      for (const f of plan.frontends) f.clientPort = await freshPort();
      plan.adminPort = await freshPort();
    }
  }
}

/** Booking's pair, and check-in's: a primary in A and a streaming standby in B each. */
const bookingPair = (layout: EstateLayout): PostgresPair => ({
  label: 'booking',
  dataDirs: { A: layout.pgData('A'), B: layout.pgData('B') },
  portKeys: { A: 'pgA', B: 'pgB' },
});
const checkinPair = (layout: EstateLayout): PostgresPair => ({
  label: 'checkin',
  dataDirs: { A: layout.pgData('checkin-A'), B: layout.pgData('checkin-B') },
  portKeys: { A: 'checkinPgA', B: 'checkinPgB' },
});

/** The HAProxy-fronted services and their ports' names. Flight-status is found through DNS instead. */
const FRONTED = [
  { service: 'booking', client: 'lbBooking', A: 'bookingA', B: 'bookingB' },
  { service: 'loyalty', client: 'lbLoyalty', A: 'loyaltyA', B: 'loyaltyB' },
  { service: 'checkin', client: 'lbCheckin', A: 'checkinA', B: 'checkinB' },
  { service: 'crew', client: 'lbCrew', A: 'crewA', B: 'crewB' },
] as const;

/**
 * Brings the estate up: each service's database and servers in both regions (booking and loyalty on one PostgreSQL
 * pair, check-in on its own, crew on Patroni, flight-status stateless behind Route 53 on the AWS emulator), the fleet
 * API, and HAProxy in front; writes `catalog.json` and the targets file. The parts start side by side. Reuses existing
 * data and ports after a `down`. Shared by `estate up`, `npm start`, the tests and the runbook tests.
 */
export async function startEstate(opts: EstateOptions = {}): Promise<RunningEstate> {
  const dir = opts.dir ?? estateDir();
  const log = opts.log ?? (() => undefined);
  const layout = estateLayout(dir);
  const range = opts.ports ?? estatePortRange();
  const services = selectServices(opts.services ?? parseServiceList(process.env[ESTATE_SERVICES_VAR]));
  const has = (s: EstateService) => services.includes(s);
  ensureLayout(layout);
  const warnings: string[] = [];
  const previous = pairIsFresh(bookingPair(layout)) ? undefined : readCatalogIn(dir);
  const ports = await planPorts(dir, previous, range, services);
  // Crew's database keeps its own ports (estate/crew-patroni.ts); a fresh pick must not hand one of them out.
  const freshPort = freshPortPicker(ports, range, Object.values(crewPatroniPorts(dir) ?? {}));
  const fleetHosts = opts.fleetHosts ?? previous?.fleet.hosts ?? 36;
  const where = { runDir: layout.run, logs: layout.logs };
  const serve = async (key: string, spec: ServerSpec) => {
    ports[key] = await startServer(spec, portOf(ports, key), where, freshPort, log);
  };
  const url = (key: string) => `http://127.0.0.1:${portOf(ports, key)}`;
  const airline = (service: string, region: RegionName, db?: { port: number; database: string }, dependsOn: string[] = []): ServerSpec => ({
    name: `${service}-${region}`,
    file: 'airline/server.ts',
    probe: '/live',
    args: (port) => [
      ...['--service', service, '--region', region, '--port', String(port), '--state-dir', dir],
      ...(db ? ['--db-host', '127.0.0.1', '--db-port', String(db.port), '--db-name', db.database] : []),
      ...dependsOn.flatMap((d) => ['--depends-on', d]),
    ],
  });

  // Booking's pair carries loyalty's database too: the two move together.
  const booking = (async () => {
    const pair = bookingPair(layout);
    await startPostgresPair(pair, ports, freshPort, log, (primary) => ensureBookingSchema(primary));
    if (has('loyalty')) {
      const primary = await writablePrimary({ A: portOf(ports, 'pgA'), B: portOf(ports, 'pgB') });
      if (primary) {
        const port = portOf(ports, pair.portKeys[primary]);
        await ensureAirlineDatabase(loopbackDb(port), 'loyalty');
        await ensureAirlineSchema(loopbackDb(port, 'loyalty'));
      }
    }
    const bookingServer = (r: RegionName): ServerSpec => ({
      name: `booking-${r}`,
      file: 'booking/server.ts',
      probe: '/live',
      args: (port) => ['--region', r, '--port', String(port), '--db-host', '127.0.0.1', '--db-port', String(portOf(ports, `pg${r}`)), '--state-dir', dir],
    });
    await Promise.all((['A', 'B'] as const).map((r) => serve(`booking${r}`, bookingServer(r))));
    if (has('loyalty')) {
      await Promise.all((['A', 'B'] as const).map((r) => serve(`loyalty${r}`, airline('loyalty', r, { port: portOf(ports, `pg${r}`), database: 'loyalty' }))));
    }
  })();

  // Check-in: its own pair; each region's servers read bookings from booking in the same region.
  const checkin = (async () => {
    if (!has('checkin')) return;
    const pair = checkinPair(layout);
    await startPostgresPair(pair, ports, freshPort, log, (primary) => ensureAirlineSchema(primary));
    await booking;
    await Promise.all(
      (['A', 'B'] as const).map((r) =>
        serve(`checkin${r}`, airline('checkin', r, { port: portOf(ports, pair.portKeys[r]), database: 'postgres' }, [`booking=${url(`booking${r}`)}`])),
      ),
    );
  })();

  const ctx: StartContext = { dir, layout, ports, freshPort, log, serve, airline, url };
  const crew = has('crew') ? startCrewService(ctx) : Promise.resolve(undefined);
  const flightStatus = has('flight-status') ? startFlightStatusService(ctx) : Promise.resolve(undefined);
  const fleet = serve('fleet', {
    name: 'fleet',
    file: 'fleet/server.ts',
    probe: '/health',
    args: (port) => ['--port', String(port), '--hosts', String(fleetHosts)],
  });

  // Every part gets to finish (or fail) before the start reports, so nothing is left half-started behind an error.
  const started = await Promise.allSettled([booking, checkin, crew, flightStatus, fleet]);
  savePorts(dir, ports);
  const failed = started.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length) throw failed[0]!.reason;
  const crewEntry = started[2].status === 'fulfilled' ? started[2].value : undefined;
  const dnsEntry = started[3].status === 'fulfilled' ? started[3].value : undefined;

  // HAProxy in front of every service but flight-status; the rest of the estate still runs without it.
  let loadBalancer: EstateCatalog['loadBalancer'] = null;
  const frontends: EstateCatalog['frontends'] = {};
  if (opts.loadBalancer !== false) {
    if (!findHaproxy()) warnings.push(HAPROXY_MISSING);
    else {
      const fronted = FRONTED.filter((f) => has(f.service));
      const plan: HaproxyPlan = {
        configFile: layout.haproxyConfig,
        mapFile: layout.haproxyMap,
        adminPort: portOf(ports, 'lbAdmin'),
        frontends: fronted.map((f) => ({
          service: f.service,
          clientPort: portOf(ports, f.client),
          backends: { A: portOf(ports, f.A), B: portOf(ports, f.B) },
        })),
        initial: 'A' as RegionName,
      };
      const existing = readRecord(layout.run, 'haproxy');
      if (!existing || !isAlive(existing.pid)) {
        try {
          await startHaproxyOnFreePorts(plan, { runDir: layout.run, logFile: join(layout.logs, 'haproxy.log') }, freshPort, log);
          ports.lbAdmin = plan.adminPort;
          for (const f of fronted) ports[f.client] = plan.frontends.find((x) => x.service === f.service)!.clientPort;
          savePorts(dir, ports);
        } catch (err) {
          warnings.push((err as Error).message);
        }
      }
      if (!warnings.length) {
        loadBalancer = loadBalancerEntry(plan, 'booking');
        for (const f of fronted) if (f.service !== 'booking') frontends[f.service] = loadBalancerEntry(plan, f.service);
      }
    }
  }

  const pg = (pair: PostgresPair, r: RegionName, database = 'postgres') => ({
    ...loopbackDb(portOf(ports, pair.portKeys[r]), database),
    dataDir: pair.dataDirs[r],
    role: r === 'A' ? ('primary' as const) : ('standby' as const),
  });
  const regions = <T>(of: (r: RegionName) => T) => ({ A: of('A'), B: of('B') });
  const catalog = EstateCatalog.parse({
    version: 1,
    stateDir: dir,
    services: {
      booking: { regions: regions((r) => ({ url: url(`booking${r}`), postgres: pg(bookingPair(layout), r) })) },
      ...(has('loyalty') ? { loyalty: { regions: regions((r) => ({ url: url(`loyalty${r}`), postgres: pg(bookingPair(layout), r, 'loyalty') })) } } : {}),
      ...(has('checkin')
        ? { checkin: { regions: regions((r) => ({ url: url(`checkin${r}`), postgres: pg(checkinPair(layout), r) })), dependsOn: ['booking'] } }
        : {}),
      ...(crewEntry ? { crew: crewEntry } : {}),
      ...(dnsEntry ? { 'flight-status': dnsEntry } : {}),
    },
    loadBalancer,
    frontends,
    fleet: { url: url('fleet'), hosts: fleetHosts },
  });
  writeFileSync(layout.catalog, JSON.stringify(catalog, null, 2));
  // What the runbooks act on: the same addresses, as a targets file of ordinary providers.
  writeSampleTargets(catalog, dir);
  for (const w of warnings) log(`warning: ${w}`);
  return { dir, catalog, warnings };
}

/** Every PostgreSQL data dir the estate may run (booking's and check-in's pairs; Patroni runs crew's). */
function plainClusters(layout: EstateLayout): string[] {
  return [...Object.values(bookingPair(layout).dataDirs), ...Object.values(checkinPair(layout).dataDirs)];
}

/** Pids of the plain PostgreSQL postmasters in a state dir (first line of `postmaster.pid`). */
export function postmasterPids(dir: string): number[] {
  return plainClusters(estateLayout(dir))
    .map((d) => join(d, 'postmaster.pid'))
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
    ...crewPatroniPids(dir),
  ];
}

/** Stops everything the estate runs and keeps its data (`up` restarts it). Leaves no process behind. */
export async function stopEstate(dir: string = estateDir(), log: (line: string) => void = () => undefined): Promise<void> {
  const layout = estateLayout(dir);
  await Promise.all([keepActiveBackends(dir, log), keepFlightStatusPrimary(dir, log)]);
  // Patroni first, while etcd still runs, so each releases its leader key and stops its PostgreSQL cleanly.
  await stopCrewPatroni(dir);
  await Promise.all(listRecords(layout.run).map((r) => (log(`stop ${r.name}`), stopRecorded(layout.run, r.name))));
  await Promise.all(
    plainClusters(layout).map(async (data) => {
      if (!existsSync(join(data, 'PG_VERSION')) || !(await clusterRunning(data))) return;
      log(`stop PostgreSQL ${data}`);
      await stopCluster(data, 'fast').catch(() => stopCluster(data, 'immediate'));
    }),
  );
  for (const pid of postmasterPids(dir)) await stopPid(pid);
}

/**
 * A switch through HAProxy's runtime API lives in its memory only; before HAProxy stops, each service's active region
 * is written back to its map file, so the next `up` sends clients where they went before (after a failover: the new
 * primary).
 */
async function keepActiveBackends(dir: string, log: (line: string) => void): Promise<void> {
  const catalog = existsSync(estateLayout(dir).catalog) ? readCatalogIn(dir) : undefined;
  const record = readRecord(estateLayout(dir).run, 'haproxy');
  if (!catalog?.loadBalancer || !record || !isAlive(record.pid)) return;
  const entries = [catalog.loadBalancer, ...Object.values(catalog.frontends)];
  try {
    const lines = await Promise.all(entries.map(async (lb) => `${lb.switch.key} ${await mappedBackend(lb.runtimeApi, lb.switch.mapFile, lb.switch.key)}\n`));
    writeFileSync(catalog.loadBalancer.switch.mapFile, lines.join(''));
  } catch (err) {
    log(`could not read the active backends before stopping HAProxy (${(err as Error).message}); the next up starts with region A`);
  }
}

/** Stops the estate and deletes its state (data, ledgers, load counters) so the next `up` starts clean. */
export async function wipeEstate(dir: string = estateDir()): Promise<void> {
  await stopEstate(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Stops a PostgreSQL server as an outage would (`pg_ctl -m immediate`). One already down stays down: booking and loyalty
 * share a server, and breaking a region breaks both at once.
 */
async function stopAbruptly(dataDir: string): Promise<void> {
  if (!(await clusterRunning(dataDir))) return;
  await stopCluster(dataDir, 'immediate').catch(async (err: Error) => {
    if (await clusterRunning(dataDir)) throw err;
  });
}

/**
 * What breaking a service in a region does, in words for the CLI. A service's database goes down with it; where the
 * database cluster is shared (booking and loyalty), the other service loses its database too, and the words say so.
 */
export async function breakService(dir: string, service: EstateService, region: RegionName): Promise<string> {
  const layout = estateLayout(dir);
  const catalog = readCatalogIn(dir);
  if (!catalog) throw new Error(`the estate is not up (no catalog in ${dir}); run: npm run estate -- up`);
  if (!catalog.services[service]) throw new Error(`${service} is not running in this estate; it has ${Object.keys(catalog.services).join(', ')}`);
  await stopRecorded(layout.run, `${service}-${region}`, 0);
  switch (service) {
    case 'booking':
    case 'loyalty': {
      await stopAbruptly(bookingPair(layout).dataDirs[region]);
      const other = service === 'booking' ? 'loyalty' : 'booking';
      return `${service} ${region} broken: service killed, its database server stopped (immediate); ${other}'s database lives on the same server${catalog.services[other] ? ` and is down in ${region} too` : ''}`;
    }
    case 'checkin':
      await stopAbruptly(checkinPair(layout).dataDirs[region]);
      return `checkin ${region} broken: service killed, its database stopped (immediate)`;
    case 'crew':
      await breakCrewRegion(dir, region);
      return `crew ${region} broken: service killed, its Patroni and PostgreSQL killed`;
    case 'flight-status':
      return `flight-status ${region} broken: service killed (it keeps no data; Route 53's health check on the emulator is not probed, so DNS still lists it)`;
  }
}

/** An outage of a region: every service in it is broken at once (`breakService`), which is what July 2024 looked like. */
export async function breakRegion(dir: string, region: RegionName): Promise<string[]> {
  const catalog = readCatalogIn(dir);
  if (!catalog) throw new Error(`the estate is not up (no catalog in ${dir}); run: npm run estate -- up`);
  const running = ESTATE_SERVICES.filter((s) => catalog.services[s]);
  // Loyalty shares booking's server: breaking booking takes it down; its own service still goes too.
  return Promise.all(running.map((s) => breakService(dir, s, region)));
}

export { pgLogFile };
