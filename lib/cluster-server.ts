import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { lifeboatSearchAttributes } from '../workflows/kit';
import { childEnv } from './child-env';
import { startScratchPostgres, type ScratchPostgres } from './cluster-postgres';
import { DECISION_BLOB_LIMIT_BYTES, answers } from './dev-server';
import { freePort } from './free-port';
import { toolsDir } from './paths';

const run = promisify(execFile);

/** Where `npm run setup:cluster` builds the server, its SQL tool and the PostgreSQL schema folders. */
export const clusterServerDir = join(toolsDir, 'temporal-server');
const serverBinary = join(clusterServerDir, 'bin', 'temporal-server');
const sqlTool = join(clusterServerDir, 'bin', 'temporal-sql-tool');

/** Whether `npm run setup:cluster` has built the server. */
export function clusterServerBuilt(): boolean {
  return existsSync(serverBinary) && existsSync(sqlTool) && existsSync(join(clusterServerDir, 'schema', 'temporal', 'versioned'));
}

export interface ClusterServerOptions {
  /** Namespaces to create besides `default`, each with Lifeboat's search attributes. */
  namespaces?: readonly string[];
  readyTimeoutMs?: number;
}

/** A real Temporal server (all four services in one process) on its own PostgreSQL 15 cluster, on loopback. */
export interface ClusterServer {
  /** The frontend's gRPC address. */
  address: string;
  /** The folder with the server's config, logs and PostgreSQL data. */
  dir: string;
  /** Stops the server process and starts it again on the same database and ports; `crash` kills it with SIGKILL. */
  restart(options?: { crash?: boolean }): Promise<void>;
  /** Stops the server, then PostgreSQL, and removes the folder. */
  stop(): Promise<void>;
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
    const ports = await freePorts(9);
    const address = `127.0.0.1:${ports[0]}`;
    const configFile = join(dir, 'temporal.yaml');
    writeFileSync(join(dir, 'dynamicconfig.yaml'), dynamicConfig());
    writeFileSync(configFile, serverConfig(postgres, ports, join(dir, 'dynamicconfig.yaml')));
    const logFile = join(dir, 'temporal-server.log');
    const launch = async () => {
      child = launchServer(configFile, logFile);
      await waitUntilAnswering(child, address, logFile, options.readyTimeoutMs ?? 120_000);
    };
    await launch();
    await createNamespaces(address, ['default', ...(options.namespaces ?? [])]);
    return {
      address,
      dir,
      async restart({ crash = false } = {}) {
        await stopProcess(child, crash ? 'SIGKILL' : 'SIGTERM');
        await launch();
      },
      async stop() {
        await cleanUp();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cleanUp();
    throw new Error(`${(err as Error).message} (logs in ${dir})`);
  }
}

/** Creates both databases and brings their schemas to the newest version, as Temporal's docs do it. */
async function setUpSchema(pg: ScratchPostgres): Promise<void> {
  const common = ['--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--plugin', 'postgres12'];
  const tool = async (database: string, args: string[]) => {
    try {
      await run(sqlTool, [...common, '--database', database, ...args], { timeout: 120_000, env: childEnv() });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  for (const [database, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    await tool(database, ['create-database']);
    await tool(database, ['setup-schema', '-v', '0.0']);
    await tool(database, ['update-schema', '-d', join(clusterServerDir, 'schema', schema, 'versioned')]);
  }
}

/** What the SDK and Lifeboat need beyond the defaults; the same switches `lib/dev-server.ts` passes the dev server. */
function dynamicConfig(): string {
  const values: Record<string, unknown> = {
    'frontend.enableUpdateWorkflowExecution': true,
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
    'frontend.workerVersioningWorkflowAPIs': true,
    'frontend.enableSchedules': true,
    'worker.enableScheduler': true,
    'system.forceSearchAttributesCacheRefreshOnRead': true,
    'limit.blobSize.error': DECISION_BLOB_LIMIT_BYTES,
    'limit.blobSize.warn': DECISION_BLOB_LIMIT_BYTES / 2,
  };
  return Object.entries(values)
    .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
    .join('');
}

/** The server's config: PostgreSQL persistence, 4 history shards, each service on its own loopback ports. */
function serverConfig(pg: ScratchPostgres, ports: number[], dynamicConfigFile: string): string {
  const [frontend, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership, http] = ports;
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: tcp
        user: ${pg.user}
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, extra = '') => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  return `log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:${store('temporal', 10)}
    postgres-visibility:${store('temporal_visibility', 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
  frontend:${service(frontend!, frontendMembership!, `\n      httpPort: ${http}`)}
  history:${service(history!, historyMembership!)}
  matching:${service(matching!, matchingMembership!)}
  worker:${service(worker!, workerMembership!)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${frontend}"

dcRedirectionPolicy:
  policy: noop

dynamicConfigClient:
  filepath: "${dynamicConfigFile}"
  pollInterval: 10s
`;
}

function launchServer(configFile: string, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  // A minimal environment: the server needs none of the worker's secrets.
  const child = spawn(serverBinary, ['--config-file', configFile, '--allow-no-auth', 'start'], { stdio: ['ignore', log, log], env: childEnv() });
  closeSync(log);
  return child;
}

async function waitUntilAnswering(child: ChildProcess, address: string, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Temporal server exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready; see ${logFile}`);
    }
    if (await answers(address)) return;
    if (Date.now() > deadline) throw new Error(`the Temporal server did not answer on ${address} within ${timeoutMs} ms; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Registers each namespace (one day's retention) and Lifeboat's search attributes on it, retrying while the server warms up. */
async function createNamespaces(address: string, namespaces: string[]): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    const searchAttributes = Object.fromEntries(lifeboatSearchAttributes.map((key) => [key.name, keyword]));
    for (const namespace of namespaces) {
      await retry(`register namespace ${namespace}`, async () => {
        try {
          await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
        } catch (err) {
          if ((err as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw err;
        }
      });
      await retry(`add search attributes to ${namespace}`, async () => {
        const existing = await connection.operatorService.listSearchAttributes({ namespace });
        const missing = Object.fromEntries(Object.entries(searchAttributes).filter(([name]) => !(name in (existing.customAttributes ?? {}))));
        if (Object.keys(missing).length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
      });
    }
  } finally {
    await connection.close();
  }
}

async function retry(what: string, attempt: () => Promise<void>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`could not ${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Free loopback ports below 32768: Temporal keeps each host's membership port in a PostgreSQL `smallint`, so a port the
 * OS hands out (32768 and up on Linux) fails the server's start with "out of range for type smallint".
 */
async function freePorts(count: number): Promise<number[]> {
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
