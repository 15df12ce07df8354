import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { z } from 'zod';
import type { RegionName } from './catalog';
import { logEnd, lostPortRace, PORT_RACE_STARTS } from './port-race';
import { isListening } from './ports';
import { makePgDir, pgBinDir, pgOsUser } from './postgres-cluster';
import { isAlive, readRecord, sleep, startDetached, stopPid, stopRecorded } from './processes';
import { ensureLayout, estateLayout } from './state-dir';

/**
 * The crew service's database: one etcd member and one single-node Patroni cluster per region. A's cluster is a
 * normal one (its leader is the primary); B's bootstraps as a standby cluster of A (`standby_cluster` in its dynamic
 * configuration), so a failover is Patroni's own promotion of B, through its REST API, as on a real Patroni estate.
 * Everything lives under `<stateDir>/crew/`; the processes are recorded in the estate's run dir like its others.
 */

const REGIONS = ['A', 'B'] as const satisfies readonly RegionName[];

/** Debian's packages (`patroni`, `etcd-server`) put them here. */
const PATRONI_BINARY = '/usr/bin/patroni';
const ETCD_BINARY = '/usr/bin/etcd';

/** Where the crew clusters' keys live in etcd, and each region's Patroni scope below it. */
const NAMESPACE = '/lifeboat-crew/';
const scopeOf = (region: RegionName) => `crew-${region.toLowerCase()}`;

/** What is missing to run the crew database, with the package to install; `undefined` when all is there. */
export function crewPatroniMissing(): string | undefined {
  for (const [path, pkg] of [
    [PATRONI_BINARY, 'patroni'],
    [ETCD_BINARY, 'etcd-server'],
  ] as const) {
    if (!existsSync(path)) return `${path} is missing; install it with: apt-get install ${pkg}`;
  }
  try {
    pgBinDir();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

/** The six ports the crew database listens on. Kept in `<stateDir>/crew/ports.json`: B's standby settings name A's. */
export const CrewPatroniPorts = z.object({
  etcdClient: z.number().int().positive(),
  etcdPeer: z.number().int().positive(),
  restA: z.number().int().positive(),
  pgA: z.number().int().positive(),
  restB: z.number().int().positive(),
  pgB: z.number().int().positive(),
});
export type CrewPatroniPorts = z.infer<typeof CrewPatroniPorts>;

/** Where one region's libpq clients connect: its leader (a single-node cluster has nothing else). */
export interface CrewPostgres {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** A running crew database: what the catalog and the targets file's `patroni` section need. */
export interface CrewPatroni {
  etcdUrl: string;
  regions: Record<RegionName, { restUrl: string; postgres: CrewPostgres }>;
  ports: CrewPatroniPorts;
}

export interface CrewPatroniOptions {
  stateDir: string;
  /** Hands out a free port (in the estate's range when one is set); called on a first start and after a lost port race. */
  take: () => Promise<number>;
  /** Progress lines; silent by default. */
  log?: (line: string) => void;
}

/** The fixed layout of the crew database below a state dir. */
function crewLayout(stateDir: string) {
  const estate = estateLayout(stateDir);
  const dir = join(stateDir, 'crew');
  return {
    dir,
    run: estate.run,
    ports: join(dir, 'ports.json'),
    etcdData: join(dir, 'etcd'),
    etcdLog: join(estate.logs, 'crew-etcd.log'),
    region: (r: RegionName) => ({
      dir: join(dir, r),
      config: join(dir, r, 'patroni.json'),
      data: join(dir, r, 'data'),
      log: join(estate.logs, `crew-patroni-${r}.log`),
    }),
  };
}

/** The names the crew's processes are recorded under in the estate's run dir. */
export const CREW_ETCD_RECORD = 'crew-etcd';
export const crewPatroniRecord = (region: RegionName) => `crew-patroni-${region}`;

/** The ports a crew database in this state dir was set up on, if it was. */
export function crewPatroniPorts(stateDir: string): CrewPatroniPorts | undefined {
  const file = crewLayout(stateDir).ports;
  if (!existsSync(file)) return undefined;
  return CrewPatroniPorts.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * Patroni's configuration for one region's single-node cluster. A quick loop (1 s) and a short leader TTL (10 s) so a
 * lost region shows within seconds; small buffers and few connections, since the estate runs on a laptop.
 * `use_pg_rewind` lets a demoted primary rejoin; B's `standby_cluster` makes it a standby cluster of A at bootstrap
 * (later changes, such as a promotion, live in etcd, not here). Trust on loopback: this is a sample estate.
 */
function patroniConfig(region: RegionName, ports: CrewPatroniPorts, dir: string, binDir: string): object {
  const rest = region === 'A' ? ports.restA : ports.restB;
  const pg = region === 'A' ? ports.pgA : ports.pgB;
  return {
    scope: scopeOf(region),
    namespace: NAMESPACE,
    name: `${scopeOf(region)}-1`,
    log: { level: 'INFO' },
    restapi: { listen: `127.0.0.1:${rest}`, connect_address: `127.0.0.1:${rest}` },
    etcd3: { hosts: [`127.0.0.1:${ports.etcdClient}`] },
    bootstrap: {
      dcs: {
        ttl: 10,
        loop_wait: 1,
        retry_timeout: 3,
        postgresql: {
          use_pg_rewind: true,
          use_slots: false,
          // Patroni sets these on PostgreSQL's command line and refuses values below its floors (25 connections, 2 workers).
          parameters: {
            wal_level: 'replica',
            hot_standby: 'on',
            wal_keep_size: '64MB',
            max_wal_senders: 4,
            max_connections: 25,
            max_worker_processes: 2,
            max_replication_slots: 4,
            wal_log_hints: 'on',
          },
        },
        ...(region === 'B' ? { standby_cluster: { host: '127.0.0.1', port: ports.pgA, create_replica_methods: ['basebackup'] } } : {}),
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
    },
    postgresql: {
      listen: `127.0.0.1:${pg}`,
      connect_address: `127.0.0.1:${pg}`,
      data_dir: join(dir, 'data'),
      bin_dir: binDir,
      pgpass: join(dir, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres', password: 'postgres' },
        replication: { username: 'replicator', password: 'replicator' },
        rewind: { username: 'postgres', password: 'postgres' },
      },
      parameters: {
        unix_socket_directories: dir,
        shared_buffers: '16MB',
        wal_receiver_status_interval: '1s',
      },
      pg_hba: ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

async function getJson(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** One row of one statement in a fresh session; `undefined` when the server refuses or is not there. */
async function queryOne<T>(port: number, text: string): Promise<T | undefined> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.query(text)).rows[0] as T;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const tail = (file: string, lines = 20) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)');

/** Why a wait ended early: the process died, or lost its port to another program. */
class StartFailed extends Error {
  constructor(
    message: string,
    readonly lostPort: boolean,
  ) {
    super(message);
  }
}

/** Polls `ready` until it holds; fails at once when the process exits, with the log tail and whether its port was taken. */
async function waitFor(what: string, o: { pid: number; logFile: string; from: number; timeoutMs: number; ready: () => Promise<boolean> }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (await o.ready()) return;
    const lost = lostPortRace(o.logFile, o.from);
    if (lost || !isAlive(o.pid) || Date.now() > deadline) {
      const why = lost ? 'lost its port to another process' : isAlive(o.pid) ? `was not ready within ${o.timeoutMs / 1000} s` : 'exited';
      throw new StartFailed(`${what} ${why}; ${o.logFile} ends:\n${tail(o.logFile)}`, lost);
    }
    await sleep(250);
  }
}

/**
 * The pid of a cluster's postmaster from its pid file, when it runs. Patroni starts it in a session of its own. A
 * killed postmaster leaves its pid file behind, and the pid may since belong to another program: only a process
 * whose command line names this data dir counts.
 */
function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!(pid > 0) || !isAlive(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The processes whose parent is `pid` (PostgreSQL's backends each run in a session of their own). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return children;
}

/**
 * Ends a cluster's postmaster. SIGQUIT is PostgreSQL's immediate shutdown (it ends its backends itself); SIGKILL is a
 * crash, so the backends, each in a session of its own, are killed with it rather than left to notice alone.
 */
async function killPostmaster(dataDir: string, signal: 'SIGQUIT' | 'SIGKILL'): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (!pid) return;
  const targets = signal === 'SIGKILL' ? [pid, ...childrenOf(pid)] : [pid];
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 200 && targets.some(isAlive); i++) await sleep(50);
  for (const target of targets.filter(isAlive)) await stopPid(target, 0);
}

/** Removes a scope's keys from etcd (its v3 JSON gateway), so a region bootstrapped again starts from nothing. */
async function forgetScope(ports: CrewPatroniPorts, region: RegionName): Promise<void> {
  const prefix = `${NAMESPACE}${scopeOf(region)}/`;
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  await fetch(`http://127.0.0.1:${ports.etcdClient}/v3/kv/deleterange`, {
    method: 'POST',
    body: JSON.stringify({ key: b64(prefix), range_end: b64(end) }),
    signal: AbortSignal.timeout(5_000),
  });
}

/** Starts etcd detached (as the estate's user: it needs no unprivileged one) and waits until it serves its JSON API. */
async function startEtcd(stateDir: string, ports: CrewPatroniPorts): Promise<void> {
  const layout = crewLayout(stateDir);
  const from = logEnd(layout.etcdLog);
  const record = startDetached({
    name: CREW_ETCD_RECORD,
    command: [
      ETCD_BINARY,
      '--name',
      'crew',
      '--data-dir',
      layout.etcdData,
      '--listen-client-urls',
      `http://127.0.0.1:${ports.etcdClient}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${ports.etcdClient}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${ports.etcdPeer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${ports.etcdPeer}`,
      '--initial-cluster',
      `crew=http://127.0.0.1:${ports.etcdPeer}`,
      '--log-level',
      'warn',
    ],
    runDir: layout.run,
    logFile: layout.etcdLog,
    port: ports.etcdClient,
  });
  await waitFor('etcd', {
    pid: record.pid,
    logFile: layout.etcdLog,
    from,
    timeoutMs: 30_000,
    ready: async () => (await isListening(ports.etcdClient)) && (await getJson(`http://127.0.0.1:${ports.etcdClient}/health`))?.health === 'true',
  });
}

/** Writes a region's Patroni configuration (owned by the PostgreSQL user, who reads it). */
function writeRegionConfig(stateDir: string, region: RegionName, ports: CrewPatroniPorts): void {
  const r = crewLayout(stateDir).region(region);
  makePgDir(r.dir);
  writeFileSync(r.config, JSON.stringify(patroniConfig(region, ports, r.dir, pgBinDir()), null, 2));
  const user = pgOsUser();
  if (user) chownSync(r.config, user.uid, user.gid);
}

/** Starts one region's Patroni detached, as the PostgreSQL user when we are root (PostgreSQL refuses to run as root). */
function startRegionPatroni(stateDir: string, region: RegionName, port: number): number {
  const r = crewLayout(stateDir).region(region);
  const user = pgOsUser();
  const command = user ? ['runuser', '-u', user.name, '--', PATRONI_BINARY, r.config] : [PATRONI_BINARY, r.config];
  const record = startDetached({
    name: crewPatroniRecord(region),
    command,
    runDir: crewLayout(stateDir).run,
    logFile: r.log,
    port,
    // Its own folder as HOME: the PostgreSQL user cannot read the caller's.
    env: { HOME: r.dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
  });
  return record.pid;
}

/** Patroni's own view of a member: its role (`master` or `primary`, `standby_leader`) and whether PostgreSQL runs. */
async function memberState(restUrl: string): Promise<{ role?: string; state?: string } | undefined> {
  return (await getJson(`${restUrl}/patroni`)) as { role?: string; state?: string } | undefined;
}

/** Patroni 3 calls a primary `master` in `/patroni`; Patroni 4 calls it `primary`. */
const isLeaderRole = (role: string | undefined) => role === 'master' || role === 'primary';

/** The leader takes writes: it is out of recovery and assigns a transaction id. */
async function acceptsWrites(port: number): Promise<boolean> {
  const r = await queryOne<{ xid: string }>(port, 'SELECT txid_current()::text AS xid');
  return r?.xid !== undefined;
}

async function streams(port: number): Promise<boolean> {
  const r = await queryOne<{ streaming: boolean }>(port, `SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming`);
  return r?.streaming === true;
}

const restUrlOf = (ports: CrewPatroniPorts, region: RegionName) => `http://127.0.0.1:${region === 'A' ? ports.restA : ports.restB}`;
const pgPortOf = (ports: CrewPatroniPorts, region: RegionName) => (region === 'A' ? ports.pgA : ports.pgB);

/**
 * Bootstraps one region on its first start: A until its leader takes writes, B until its standby leader streams from
 * A. When another process took the region's REST or PostgreSQL port meanwhile, the half-made region is wiped (its
 * data and its keys in etcd) and bootstrapped again on fresh ports, up to `PORT_RACE_STARTS` starts.
 */
async function bootstrapRegion(stateDir: string, region: RegionName, ports: CrewPatroniPorts, o: CrewPatroniOptions): Promise<void> {
  const log = o.log ?? (() => undefined);
  const r = crewLayout(stateDir).region(region);
  for (let start = 1; ; start++) {
    writeRegionConfig(stateDir, region, ports);
    const from = logEnd(r.log);
    log(`start crew Patroni ${region} (REST ${restUrlOf(ports, region)}, PostgreSQL port ${pgPortOf(ports, region)})`);
    const pid = startRegionPatroni(stateDir, region, region === 'A' ? ports.restA : ports.restB);
    try {
      await waitFor(`crew Patroni ${region}`, {
        pid,
        logFile: r.log,
        from,
        timeoutMs: 120_000,
        ready: async () => {
          const s = await memberState(restUrlOf(ports, region));
          if (s?.state !== 'running') return false;
          if (region === 'A') return isLeaderRole(s.role) && (await acceptsWrites(ports.pgA));
          return s.role === 'standby_leader' && (await streams(ports.pgB));
        },
      });
      return;
    } catch (err) {
      if (!(err instanceof StartFailed) || !err.lostPort || start >= PORT_RACE_STARTS) throw err;
      await stopRecorded(crewLayout(stateDir).run, crewPatroniRecord(region), 0);
      await killPostmaster(r.data, 'SIGKILL');
      rmSync(r.data, { recursive: true, force: true });
      await forgetScope(ports, region);
      const [lostRest, lostPg] = region === 'A' ? [ports.restA, ports.pgA] : [ports.restB, ports.pgB];
      if (region === 'A') [ports.restA, ports.pgA] = [await o.take(), await o.take()];
      else [ports.restB, ports.pgB] = [await o.take(), await o.take()];
      log(`another process took port ${lostRest} or ${lostPg} before crew Patroni ${region} bound it; trying fresh ports`);
    }
  }
}

/**
 * Starts a region that ran before on its data, and waits until Patroni runs PostgreSQL and, when the region leads, it
 * takes writes. A standby cluster is not awaited streaming here: after a failover the old primary's region may need
 * the runbook's rebuild before it can, and `up` must still bring it up so status can show it.
 */
async function restartRegion(stateDir: string, region: RegionName, ports: CrewPatroniPorts, log: (line: string) => void): Promise<void> {
  const r = crewLayout(stateDir).region(region);
  const existing = readRecord(crewLayout(stateDir).run, crewPatroniRecord(region));
  let pid = existing?.pid;
  if (!existing || !isAlive(existing.pid)) {
    // A Patroni killed with its region (break) can leave no postmaster; one left running would refuse a second start.
    await killPostmaster(r.data, 'SIGQUIT');
    log(`start crew Patroni ${region} on its data (REST ${restUrlOf(ports, region)})`);
    pid = startRegionPatroni(stateDir, region, region === 'A' ? ports.restA : ports.restB);
  }
  await waitFor(`crew Patroni ${region}`, {
    pid: pid!,
    logFile: r.log,
    from: logEnd(r.log),
    timeoutMs: 120_000,
    ready: async () => {
      const s = await memberState(restUrlOf(ports, region));
      if (s?.state !== 'running') return false;
      // A single-node cluster's member leads once it wins the leader key: as the primary (then it must take writes)
      // or, in a standby cluster, as its standby leader. Until then it reports `replica`, read-only even where it is
      // about to lead, so a restart that stopped there handed out a primary that refused writes.
      if (s.role === 'replica') return false;
      return !isLeaderRole(s.role) || (await acceptsWrites(pgPortOf(ports, region)));
    },
  });
}

/**
 * Starts the crew database: etcd, then A's cluster, then B's standby cluster of A. On a first start it takes six ports
 * from `take`, bootstraps both clusters, and resolves once A's leader takes writes and B's standby leader streams;
 * when another process took a port meanwhile, that part starts again on a fresh one (up to `PORT_RACE_STARTS` starts).
 * After a `down` it restarts the same data on the same ports (kept in `<stateDir>/crew/ports.json`), starting only
 * what is not running. PostgreSQL accepts the superuser `postgres` over TCP on 127.0.0.1 without a password.
 */
export async function startCrewPatroni(o: CrewPatroniOptions): Promise<CrewPatroni> {
  const missing = crewPatroniMissing();
  if (missing) throw new Error(missing);
  const log = o.log ?? (() => undefined);
  const layout = crewLayout(o.stateDir);
  ensureLayout(estateLayout(o.stateDir));
  const kept = crewPatroniPorts(o.stateDir);
  const fresh = !kept || !REGIONS.every((r) => existsSync(join(layout.region(r).data, 'PG_VERSION')));

  let ports: CrewPatroniPorts;
  if (fresh) {
    for (const r of REGIONS) await stopRecorded(layout.run, crewPatroniRecord(r), 0);
    await stopRecorded(layout.run, CREW_ETCD_RECORD, 0);
    for (const r of REGIONS) await killPostmaster(layout.region(r).data, 'SIGKILL');
    rmSync(layout.dir, { recursive: true, force: true });
    mkdirSync(layout.dir, { recursive: true, mode: 0o755 });
    ports = { etcdClient: await o.take(), etcdPeer: await o.take(), restA: 0, pgA: 0, restB: 0, pgB: 0 };
    for (let start = 1; ; start++) {
      log(`start crew etcd on port ${ports.etcdClient}`);
      try {
        await startEtcd(o.stateDir, ports);
        break;
      } catch (err) {
        if (!(err instanceof StartFailed) || !err.lostPort || start >= PORT_RACE_STARTS) throw err;
        await stopRecorded(layout.run, CREW_ETCD_RECORD, 0);
        rmSync(layout.etcdData, { recursive: true, force: true });
        log(`another process took port ${ports.etcdClient} or ${ports.etcdPeer} before etcd bound it; trying fresh ports`);
        ports.etcdClient = await o.take();
        ports.etcdPeer = await o.take();
      }
    }
    [ports.restA, ports.pgA, ports.restB, ports.pgB] = [await o.take(), await o.take(), await o.take(), await o.take()];
    await bootstrapRegion(o.stateDir, 'A', ports, o);
    await bootstrapRegion(o.stateDir, 'B', ports, o);
    writeFileSync(layout.ports, JSON.stringify(ports, null, 2));
  } else {
    ports = kept;
    const etcd = readRecord(layout.run, CREW_ETCD_RECORD);
    if (!etcd || !isAlive(etcd.pid)) {
      log(`start crew etcd on port ${ports.etcdClient}`);
      await startEtcd(o.stateDir, ports);
    }
    await Promise.all(REGIONS.map((r) => restartRegion(o.stateDir, r, ports, log)));
  }
  return crewPatroniAddresses(ports);
}

/** The addresses of a crew database on these ports. */
export function crewPatroniAddresses(ports: CrewPatroniPorts): CrewPatroni {
  const region = (r: RegionName) => ({
    restUrl: restUrlOf(ports, r),
    postgres: { host: '127.0.0.1', port: pgPortOf(ports, r), user: 'postgres', database: 'postgres' },
  });
  return { etcdUrl: `http://127.0.0.1:${ports.etcdClient}`, regions: { A: region('A'), B: region('B') }, ports };
}

/**
 * A lost region: its Patroni and its PostgreSQL are killed at once (SIGKILL), with no chance to hand anything over.
 * Its leader key in etcd expires after the 10 s TTL; the other region's standby cluster stops streaming.
 */
export async function breakCrewRegion(stateDir: string, region: RegionName): Promise<void> {
  const layout = crewLayout(stateDir);
  await Promise.all([stopRecorded(layout.run, crewPatroniRecord(region), 0), killPostmaster(layout.region(region).data, 'SIGKILL')]);
}

/** Every process of the crew database still running: the recorded ones (etcd, both Patronis) and the postmasters. */
export function crewPatroniPids(stateDir: string): number[] {
  const layout = crewLayout(stateDir);
  const recorded = [CREW_ETCD_RECORD, ...REGIONS.map(crewPatroniRecord)]
    .map((name) => readRecord(layout.run, name)?.pid)
    .filter((p): p is number => p !== undefined && isAlive(p));
  const postmasters = REGIONS.map((r) => postmasterPid(layout.region(r).data)).filter((p): p is number => p !== undefined);
  return [...recorded, ...postmasters];
}

/**
 * Stops the crew database in order, keeping its data: each Patroni stops its PostgreSQL (fast) and releases its
 * leader key while etcd still runs, a postmaster left behind is ended, and etcd stops last. Run it before stopping the
 * estate's other recorded processes: stopped all at once, etcd may go first and Patroni may outlast the grace time.
 */
export async function stopCrewPatroni(stateDir: string): Promise<void> {
  const layout = crewLayout(stateDir);
  await Promise.all(REGIONS.map((r) => stopRecorded(layout.run, crewPatroniRecord(r), 30_000)));
  await Promise.all(REGIONS.map((r) => killPostmaster(layout.region(r).data, 'SIGQUIT')));
  await stopRecorded(layout.run, CREW_ETCD_RECORD);
}
