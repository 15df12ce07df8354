import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort, isListening } from '../../lib/free-port';
import type { DatabaseProvider } from '../../providers/contracts/database';
import type { RebuildProvider } from '../../providers/contracts/rebuild';
import { createPatroniDatabase } from '../../providers/patroni/database';
import { createPatroniRebuild } from '../../providers/patroni/rebuild';
import { PatroniSettings } from '../../providers/patroni/settings';
import { Client as PgClient } from 'pg';

/** Debian's packages put them here (`.ci/run` installs `patroni` and `etcd-server`). */
export const patroniBinary = '/usr/bin/patroni';
export const etcdBinary = '/usr/bin/etcd';
const pgBin = '/usr/lib/postgresql/15/bin';

/** Whether this machine can run the Patroni test: the suite skips it with this reason otherwise. */
export function patroniMissing(): string | undefined {
  for (const [path, pkg] of [
    [patroniBinary, 'patroni'],
    [etcdBinary, 'etcd-server'],
    [join(pgBin, 'postgres'), 'postgresql-15'],
  ] as const) {
    if (!existsSync(path)) return `${path} is missing; install it with: apt-get install ${pkg}`;
  }
  return undefined;
}

/**
 * Ends a process when its parent dies (`setpriv --pdeathsig`): a test worker killed by a signal runs no exit hook, and
 * etcd and Patroni would outlive it. Put before runuser and again before Patroni, whose parent is runuser.
 */
const orphanGuard = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--'] : [];

/** One region's Patroni cluster as the test started it. */
export interface PatroniRegion {
  region: string;
  scope: string;
  restUrl: string;
  pgPort: number;
  dataDir: string;
  /** Patroni's own log (PostgreSQL's log is `${dir}/pglog/`); read it when a step does not converge. */
  log: string;
}

export interface PatroniPair {
  /** Ready for `createPatroniDatabase(settings, regions, service)` and `createPatroniRebuild(settings, regions, service)`. */
  settings: PatroniSettings;
  regions: [string, string];
  clusters: Record<string, PatroniRegion>;
  etcdUrl: string;
  /**
   * Takes a region's cluster down: `fast` stops Patroni, which stops PostgreSQL cleanly; `crash` kills both at once,
   * as a lost region would (its leader key in etcd expires after the 10 s TTL).
   */
  stopRegion(region: string, how?: 'fast' | 'crash'): Promise<void>;
  /** Starts a stopped region's Patroni again with its configuration; resolves once Patroni reports PostgreSQL running. */
  startRegion(region: string): Promise<void>;
  /** Stops Patroni, PostgreSQL and etcd, and removes every temporary folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** The unprivileged user PostgreSQL runs as when the test runs as root (it refuses to run as root). */
function osUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { name: 'postgres', uid: id('-u'), gid: id('-g') };
}

function ownedDir(dir: string, user: ReturnType<typeof osUser>, mode = 0o700): string {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

/**
 * Patroni's configuration for one single-node cluster. Kept quick: a 1 s loop, a 10 s leader TTL, small buffers.
 * `use_pg_rewind` lets a demoted primary rejoin by pg_rewind; `standbyOf` bootstraps the cluster as a standby cluster.
 */
function patroniConfig(o: {
  scope: string;
  namespace: string;
  dir: string;
  restPort: number;
  pgPort: number;
  etcdPort: number;
  standbyOf?: number;
  restAuth?: { username: string; password: string };
}): object {
  return {
    scope: o.scope,
    namespace: o.namespace,
    name: `${o.scope}-1`,
    log: { level: 'INFO' },
    restapi: {
      listen: `127.0.0.1:${o.restPort}`,
      connect_address: `127.0.0.1:${o.restPort}`,
      ...(o.restAuth ? { authentication: { username: o.restAuth.username, password: o.restAuth.password } } : {}),
    },
    etcd3: { hosts: [`127.0.0.1:${o.etcdPort}`] },
    bootstrap: {
      dcs: {
        ttl: 10,
        loop_wait: 1,
        retry_timeout: 3,
        postgresql: {
          use_pg_rewind: true,
          use_slots: false,
          parameters: { wal_level: 'replica', hot_standby: 'on', wal_keep_size: '128MB', max_wal_senders: 5, max_connections: 40, wal_log_hints: 'on' },
        },
        ...(o.standbyOf ? { standby_cluster: { host: '127.0.0.1', port: o.standbyOf, create_replica_methods: ['basebackup'] } } : {}),
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
    },
    postgresql: {
      listen: `127.0.0.1:${o.pgPort}`,
      connect_address: `127.0.0.1:${o.pgPort}`,
      data_dir: join(o.dir, 'data'),
      bin_dir: pgBin,
      pgpass: join(o.dir, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres', password: 'postgres' },
        replication: { username: 'replicator', password: 'replicator' },
        rewind: { username: 'postgres', password: 'postgres' },
      },
      parameters: {
        unix_socket_directories: o.dir,
        shared_buffers: '16MB',
        logging_collector: 'on',
        log_directory: join(o.dir, 'pglog'),
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
    return res.ok ? ((await res.json()) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function sql<T>(port: number, text: string): Promise<T | undefined> {
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

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s; the logs say:\n${logs()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const tail = (file: string, lines = 25) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)');

/**
 * A real cross-region Patroni pair on loopback: one etcd, and one single-node Patroni cluster per region (scopes
 * `${service}-a` and `${service}-b`). The first region's cluster bootstraps as a normal cluster (its leader is the
 * primary); the second bootstraps as a standby cluster of it (`standby_cluster` in its dynamic config), and this
 * resolves once that standby leader streams. PostgreSQL runs as `postgres` through `runuser` when we are root.
 * Everything lives in one temporary folder with free ports; `stop` ends it all (also on process exit) and removes it.
 * Takes about 10 s on two cores. docs/providers/patroni.md says how to use it in an end-to-end test.
 *
 * `restAuth` puts `restapi.authentication` (username, password) into both clusters' Patroni configuration, and
 * `restAuth: {username, passwordEnv}` into the returned settings; the test sets that variable itself.
 */
export async function startPatroniPair(
  options: { regions?: [string, string]; service?: string; restAuth?: { username: string; password: string; passwordEnv: string } } = {},
): Promise<PatroniPair> {
  const missing = patroniMissing();
  if (missing) throw new Error(missing);
  const regions = options.regions ?? ['A', 'B'];
  const service = options.service ?? 'booking';
  const user = osUser();
  const root = mkdtempSync(join(tmpdir(), 'lifeboat-patroni-'));
  chmodSync(root, 0o755);
  const children: ChildProcess[] = [];
  const dataDirs: string[] = [];
  const patronis = new Map<string, ChildProcess>();
  let stopped = false;

  /** Signals a child's whole process group (runuser, Patroni and what it runs); a group already gone is fine. */
  const signalGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
    try {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const killAll = (signal: NodeJS.Signals) => children.forEach((child) => signalGroup(child, signal));
  /** Patroni runs its postmaster in a session of its own: a killed Patroni can leave it behind, so end it by its pid file. */
  const killPostmasters = (dirs = dataDirs, signal: NodeJS.Signals = 'SIGQUIT') => {
    for (const dir of dirs) {
      const pidFile = join(dir, 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
      if (pid > 0) {
        try {
          process.kill(pid, signal);
        } catch {
          /* already gone */
        }
      }
    }
  };
  const onExit = () => {
    killAll('SIGKILL');
    killPostmasters();
  };
  process.once('exit', onExit);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const exited = children.map(exitOf);
    // Patroni first (it stops its PostgreSQL), etcd last so Patroni can still release its keys.
    const etcd = children[0];
    const running = children.slice(1).filter((p) => p.exitCode === null && p.signalCode === null);
    for (const p of running) signalGroup(p, 'SIGTERM');
    const settled = await Promise.race([Promise.all(running.map(exitOf)).then(() => true), new Promise((r) => setTimeout(() => r(false), 20_000))]);
    if (!settled) killAll('SIGKILL');
    killPostmasters();
    if (etcd) signalGroup(etcd, 'SIGTERM');
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 10_000))]);
    killAll('SIGKILL');
    process.removeListener('exit', onExit);
    if (process.env.LIFEBOAT_KEEP_PATRONI) process.stderr.write(`kept the Patroni pair's folder (logs, data): ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  };

  const exitOf = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));

  const launch = (name: string, argv: string[], asPostgres: boolean): { child: ChildProcess; log: string } => {
    const log = join(root, `${name}.log`);
    const fd = openSync(log, 'a');
    const [cmd, ...args] = asPostgres && user ? [...orphanGuard, 'runuser', '-u', user.name, '--', ...orphanGuard, ...argv] : [...orphanGuard, ...argv];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: root };
    const child = spawn(cmd!, args, { cwd: root, stdio: ['ignore', fd, fd], detached: true, env });
    closeSync(fd);
    child.on('error', () => undefined);
    children.push(child);
    return { child, log };
  };

  try {
    const [etcdPort, peerPort] = [await freePort(), await freePort()];
    const etcd = launch(
      'etcd',
      [
        etcdBinary,
        '--name',
        'lifeboat',
        '--data-dir',
        join(root, 'etcd'),
        '--listen-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-cluster',
        `lifeboat=http://127.0.0.1:${peerPort}`,
        '--log-level',
        'warn',
      ],
      false,
    );
    await until(
      'etcd did not listen',
      20_000,
      () => isListening(etcdPort),
      () => tail(etcd.log),
    );

    const namespace = `/lifeboat-${process.pid}/`;
    const clusters: Record<string, PatroniRegion> = {};
    for (const [i, region] of regions.entries()) {
      const scope = `${service}-${String.fromCharCode(97 + i)}`;
      const dir = ownedDir(join(root, scope), user);
      ownedDir(join(dir, 'pglog'), user);
      const [restPort, pgPort] = [await freePort(), await freePort()];
      const standbyOf = i === 0 ? undefined : clusters[regions[0]]!.pgPort;
      const config = join(dir, 'patroni.yml');
      const { restAuth } = options;
      const configOptions = { scope, namespace, dir, restPort, pgPort, etcdPort, ...(standbyOf ? { standbyOf } : {}), ...(restAuth ? { restAuth } : {}) };
      writeFileSync(config, JSON.stringify(patroniConfig(configOptions), null, 2));
      if (user) chownSync(config, user.uid, user.gid);
      const { child, log } = launch(scope, [patroniBinary, config], true);
      patronis.set(region, child);
      const cluster = { region, scope, restUrl: `http://127.0.0.1:${restPort}`, pgPort, dataDir: join(dir, 'data'), log };
      dataDirs.push(cluster.dataDir);
      clusters[region] = cluster;
      const role = i === 0 ? 'master' : 'standby_leader';
      await until(
        `${scope} did not become ${role}`,
        90_000,
        async () => {
          const s = await getJson(`${cluster.restUrl}/patroni`);
          if (s?.role !== role || s.state !== 'running') return false;
          // The REST API answers from Patroni's cached view of etcd, which lags the member's own state after bootstrap.
          const [c, config] = [await getJson(`${cluster.restUrl}/cluster`), await getJson(`${cluster.restUrl}/config`)];
          const leader = (c?.members as { role: string; state: string }[] | undefined)?.find((m) => m.role === (i === 0 ? 'leader' : role));
          return leader?.state === 'running' && !!config?.loop_wait;
        },
        () => tail(log),
      );
    }
    const standby = clusters[regions[1]]!;
    await until(
      `${standby.scope} did not stream from ${clusters[regions[0]]!.scope}`,
      60_000,
      async () => {
        const r = await sql<{ streaming: boolean }>(
          standby.pgPort,
          `SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming`,
        );
        return r?.streaming === true;
      },
      () => tail(standby.log),
    );

    const stopRegion = async (region: string, how: 'fast' | 'crash' = 'fast') => {
      const child = patronis.get(region);
      const cluster = clusters[region];
      if (!child || !cluster) throw new Error(`no region ${region}`);
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (how === 'crash') killPostmasters([cluster.dataDir], 'SIGKILL');
      signalGroup(child, how === 'crash' ? 'SIGKILL' : 'SIGTERM');
      const settled = await Promise.race([exitOf(child).then(() => true), new Promise((r) => setTimeout(() => r(false), 20_000))]);
      if (!settled) signalGroup(child, 'SIGKILL');
      killPostmasters([cluster.dataDir], how === 'crash' ? 'SIGKILL' : 'SIGQUIT');
    };
    const startRegion = async (region: string) => {
      const cluster = clusters[region];
      if (!cluster) throw new Error(`no region ${region}`);
      const current = patronis.get(region);
      if (current && current.exitCode === null && current.signalCode === null) return;
      const { child } = launch(cluster.scope, [patroniBinary, join(root, cluster.scope, 'patroni.yml')], true);
      patronis.set(region, child);
      await until(
        `${cluster.scope} did not start again`,
        120_000,
        async () => (await getJson(`${cluster.restUrl}/patroni`))?.state === 'running',
        () => tail(cluster.log),
      );
    };

    const settings = PatroniSettings.parse({
      provider: 'patroni',
      timeoutMs: 3_000,
      rebuildTimeoutSeconds: 120,
      regions: Object.fromEntries(
        regions.map((r) => [
          r,
          {
            restUrl: clusters[r]!.restUrl,
            postgres: { host: '127.0.0.1', port: clusters[r]!.pgPort, user: 'postgres', database: 'postgres' },
            ...(options.restAuth ? { restAuth: { username: options.restAuth.username, passwordEnv: options.restAuth.passwordEnv } } : {}),
          },
        ]),
      ),
    });
    return { settings, regions, clusters, etcdUrl: `http://127.0.0.1:${etcdPort}`, stopRegion, startRegion, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One statement in a fresh session on a region's leader, as an operator's psql would run it. */
export async function sqlOn<T = Record<string, unknown>>(pair: Pick<PatroniPair, 'settings'>, region: string, text: string): Promise<T[]> {
  const a = pair.settings.regions[region]!.postgres;
  const c = new PgClient({ host: a.host, port: a.port, user: a.user, database: a.database });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** The booking refs a region's leader holds, in order: what the failover tests compare between regions. */
export async function bookingRefs(pair: Pick<PatroniPair, 'settings'>, region: string): Promise<string[]> {
  return (await sqlOn<{ ref: string }>(pair, region, 'SELECT ref FROM bookings ORDER BY ref')).map((r) => r.ref);
}

/** A booking pair in regions A and B with the patroni database and rebuild providers over it, as the provider tests use them. */
export async function startPatroniProviders(): Promise<{ pair: PatroniPair; db: DatabaseProvider; rebuild: RebuildProvider }> {
  const pair = await startPatroniPair({ regions: ['A', 'B'], service: 'booking' });
  return { pair, db: createPatroniDatabase(pair.settings, pair.regions, 'booking'), rebuild: createPatroniRebuild(pair.settings, pair.regions, 'booking') };
}
