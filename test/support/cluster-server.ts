import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, type TLSConfig } from '@temporalio/client';
import { freePort } from '../../lib/free-port';
import {
  clusterServerBuilt,
  clusterServerDir,
  dynamicConfig,
  ensureLifeboatSearchAttributes,
  ensureNamespace,
  launchServer,
  serverConfig,
  setUpSchema,
  waitUntilAnswering,
  type ServerPorts,
} from '../../scripts/temporal-server';
import { startScratchPostgres, type ScratchPostgres } from './scratch-postgres';

/**
 * A throwaway real Temporal server for the cluster tests and the scale bench: a scratch PostgreSQL in a temp folder,
 * then the same setup steps `npm run setup:server` runs on an operator's host (scripts/temporal-server.ts).
 */

export interface ClusterServerOptions {
  /** Namespaces to create besides `default`, each with Lifeboat's search attributes. */
  namespaces?: readonly string[];
  readyTimeoutMs?: number;
  /** Serve the frontend over TLS that requires a client certificate (mTLS), as a production server should. */
  tls?: ClusterServerTls;
  /** Take part in multi-cluster replication under this cluster name (test/support/replicated-clusters.ts). */
  replication?: ClusterReplication;
  /** Dynamic config values beyond Lifeboat's own (`scripts/temporal-server.ts`'s `dynamicConfig`), by Temporal's key. */
  dynamicConfig?: Record<string, unknown>;
}

/**
 * What makes a server one cluster of several that replicate global namespaces. Each cluster names itself as its own
 * master (a global namespace can only be registered on its master cluster); the others are added at run time with
 * `temporal operator cluster upsert`, so the static config lists only the local cluster.
 */
export interface ClusterReplication {
  /** The cluster's name, as `--active-cluster` and `--cluster` name it. */
  name: string;
  /** Distinct per cluster and below the increment: a namespace's failover version says which cluster made it active. */
  initialFailoverVersion: number;
  /** The same on every cluster that replicates with this one. */
  failoverVersionIncrement: number;
}

/**
 * PEM files for a server whose frontend requires client certificates. The server's certificate (for 127.0.0.1 and
 * localhost, usable for client auth too) also secures the services' traffic among themselves; the client pair is what
 * this module's own admin connection presents to create the namespaces.
 */
export interface ClusterServerTls {
  caCertFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

/** A real Temporal server (all four services in one process) on its own PostgreSQL 15 cluster, on loopback. */
export interface ClusterServer {
  /** The frontend's gRPC address. */
  address: string;
  /** The folder with the server's config, logs and PostgreSQL data. */
  dir: string;
  /**
   * Stops the server process and starts it again on the same database and ports; `crash` kills it with SIGKILL, and
   * `downMs` keeps it down that long first (the chaos suite's server faults).
   */
  restart(options?: { crash?: boolean; downMs?: number }): Promise<void>;
  /** Stops the server, then PostgreSQL, and removes the folder. */
  stop(): Promise<void>;
  /**
   * SIGKILLs the server, then PostgreSQL's postmaster, as the loss of the host or region does: nothing is shut down
   * or flushed. `stop` still removes what is left.
   */
  kill(): Promise<void>;
}

/**
 * Starts PostgreSQL, sets up Temporal's schema with Temporal's own SQL tool, writes a config, starts the server,
 * and creates the namespaces with Lifeboat's search attributes. Whatever started is stopped again if a later part fails.
 */
export async function startClusterServer(options: ClusterServerOptions = {}): Promise<ClusterServer> {
  if (!clusterServerBuilt()) throw new Error(`no Temporal server in ${clusterServerDir}; build it with: npm run setup:cluster`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-cluster-'));
  chmodSync(dir, 0o755); // the postgres user has to reach its data dir inside
  let postgres: ScratchPostgres | undefined;
  let child: ChildProcess | undefined;
  const onExit = () => {
    child?.kill('SIGKILL');
    postgres?.stopNow();
  };
  process.once('exit', onExit);
  const cleanUp = async () => {
    await stopProcess(child);
    await postgres?.stop().catch(() => postgres?.stopNow());
    process.removeListener('exit', onExit);
  };
  try {
    postgres = await startScratchPostgres(join(dir, 'pgdata'), await freePort());
    await setUpSchema(postgres);
    const [frontend, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership, http] = await freePorts(9);
    const ports = { frontend, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership, http } as ServerPorts;
    const address = `127.0.0.1:${ports.frontend}`;
    const configFile = join(dir, 'temporal.yaml');
    writeFileSync(join(dir, 'dynamicconfig.yaml'), dynamicConfig() + dynamicConfigValues(options.dynamicConfig ?? {}));
    const local = serverConfig({ postgres, ports, dynamicConfigFile: join(dir, 'dynamicconfig.yaml'), historyShards: 4 });
    const config = options.replication ? withReplication(local, options.replication, address) : local;
    writeFileSync(configFile, options.tls ? withTls(config, options.tls) : config);
    const logFile = join(dir, 'temporal-server.log');
    const tls = options.tls && adminTls(options.tls);
    const launch = async () => {
      child = launchServer(configFile, logFile);
      await waitUntilAnswering(child, address, logFile, options.readyTimeoutMs ?? 120_000, tls);
    };
    await launch();
    await createNamespaces(address, ['default', ...(options.namespaces ?? [])], tls);
    return {
      address,
      dir,
      async restart({ crash = false, downMs = 0 } = {}) {
        await stopProcess(child, crash ? 'SIGKILL' : 'SIGTERM');
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        await launch();
      },
      async stop() {
        await cleanUp();
        rmSync(dir, { recursive: true, force: true });
      },
      async kill() {
        await stopProcess(child, 'SIGKILL');
        if (postgres) await killPostgres(postgres);
      },
    };
  } catch (err) {
    await cleanUp();
    throw new Error(`${(err as Error).message} (logs in ${dir})`);
  }
}

/**
 * Adds `global.tls` to a config: the frontend serves `serverCertFile` and requires a client certificate signed by the
 * CA; the services talk among themselves (internode, and the system worker to the frontend) with the same certificate.
 */
function withTls(config: string, tls: ClusterServerTls): string {
  const server = (requireClientAuth: boolean) => `
      server:
        certFile: "${tls.serverCertFile}"
        keyFile: "${tls.serverKeyFile}"
        requireClientAuth: ${requireClientAuth}
        clientCaFiles: ["${tls.caCertFile}"]
      client:
        serverName: localhost
        rootCaFiles: ["${tls.caCertFile}"]`;
  return config.replace('global:\n', `global:\n  tls:\n    internode:${server(true)}\n    frontend:${server(true)}\n`);
}

/**
 * Replaces the single cluster's metadata with a replicating cluster's: global namespaces on, the cluster named as
 * itself and its own master, and selected-apis forwarding, which forwards a standby namespace's starts, signals and
 * updates to the active cluster while each region's workers keep polling their own frontend (`all-apis-forwarding`
 * would forward the polls too).
 */
function withReplication(config: string, replication: ClusterReplication, address: string): string {
  const { name, initialFailoverVersion, failoverVersionIncrement } = replication;
  const single = /clusterMetadata:\n[\s\S]*?dcRedirectionPolicy:\n {2}policy: noop\n/;
  if (!single.test(config)) throw new Error("the server config's clusterMetadata is not the one this module knows how to replace");
  return config.replace(
    single,
    `clusterMetadata:
  enableGlobalNamespace: true
  failoverVersionIncrement: ${failoverVersionIncrement}
  masterClusterName: ${name}
  currentClusterName: ${name}
  clusterInformation:
    ${name}:
      enabled: true
      initialFailoverVersion: ${initialFailoverVersion}
      rpcName: frontend
      rpcAddress: "${address}"

dcRedirectionPolicy:
  policy: selected-apis-forwarding
`,
  );
}

/** Dynamic config entries in the file's shape: each key with one unconstrained value. */
function dynamicConfigValues(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
    .join('');
}

/**
 * SIGKILLs the postmaster named in its pid file. Its backends and helpers notice the postmaster is gone and exit on
 * their own; the data dir is left as a crash leaves it.
 */
async function killPostgres(postgres: ScratchPostgres): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(join(postgres.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return; // not running
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 5_000;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Whether the process exists and is not a zombie waiting for a parent that may never reap it. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The TLS settings this module's own connections use against a server started with {@link ClusterServerTls}. */
function adminTls(tls: ClusterServerTls): TLSConfig {
  return {
    serverNameOverride: 'localhost',
    serverRootCACertificate: readFileSync(tls.caCertFile),
    clientCertPair: { crt: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile) },
  };
}

/** Registers each namespace (one day's retention) and Lifeboat's search attributes on it, retrying while the server warms up. */
async function createNamespaces(address: string, namespaces: string[], tls?: TLSConfig): Promise<void> {
  const connection = await Connection.connect({ address, ...(tls ? { tls } : {}) });
  try {
    for (const namespace of namespaces) {
      await ensureNamespace(connection, namespace, '1 day');
      await ensureLifeboatSearchAttributes(connection, namespace);
    }
  } finally {
    await connection.close();
  }
}

/**
 * Free loopback ports below 32768: Temporal keeps each host's membership port in a PostgreSQL `smallint`, so a port the
 * OS hands out (32768 and up on Linux) fails the server's start with "out of range for type smallint".
 */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  return [...ports];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => resolveFree(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
  });
}

async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
