import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection, type TLSConfig } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { Client as PgClient } from 'pg';
import { childEnv } from '../lib/child-env';
import { addMissingSearchAttributes } from '../lib/search-attributes';
import { DECISION_BLOB_LIMIT_BYTES } from '../dev/dev-server';
import { answers } from '../lib/server-answers';
import { toolsDir } from '../lib/paths';

/**
 * A self-hosted Temporal server on PostgreSQL, step by step: its schema (with Temporal's own SQL tool), its config,
 * starting it, its namespace and Lifeboat's search attributes. `npm run setup:server` (scripts/setup-server.ts) runs
 * these steps on an operator's host, and the cluster tests start their scratch server with the same code
 * (test/support/cluster-server.ts), so the docs, the tests and the script cannot drift.
 */

const run = promisify(execFile);

/** Where `npm run setup:cluster` builds the server, its SQL tool and the PostgreSQL schema folders. */
export const clusterServerDir = join(toolsDir, 'temporal-server');
const serverBinary = join(clusterServerDir, 'bin', 'temporal-server');
const sqlTool = join(clusterServerDir, 'bin', 'temporal-sql-tool');

/** Whether `npm run setup:cluster` has built the server. */
export function clusterServerBuilt(): boolean {
  return existsSync(serverBinary) && existsSync(sqlTool) && existsSync(join(clusterServerDir, 'schema', 'temporal', 'versioned'));
}

/**
 * Where Temporal's persistence lives. The password is never written anywhere: `passwordEnv` names the environment
 * variable that holds it, read by the SQL tool (as SQL_PASSWORD) and by the server (through its config template).
 */
export interface PostgresEndpoint {
  host: string;
  port: number;
  user: string;
  /** The environment variable with the password; none for a cluster that trusts loopback, as the tests' does. */
  passwordEnv?: string;
}

/** Temporal's two databases and the schema folder each one takes. */
export const temporalDatabases = [
  { database: 'temporal', schema: 'temporal' },
  { database: 'temporal_visibility', schema: 'visibility' },
] as const;

/** The SQL tool's command line for one database, as a person would type it (the password stays in SQL_PASSWORD). */
export function sqlToolArgs(pg: PostgresEndpoint, database: string, args: string[]): string[] {
  return ['--endpoint', pg.host, '--port', String(pg.port), '--user', pg.user, '--plugin', 'postgres12', '--database', database, ...args];
}

/** The folder with a database's versioned schema, which `update-schema -d` reads. */
export function schemaDir(schema: string): string {
  return join(clusterServerDir, 'schema', schema, 'versioned');
}

/**
 * Creates both databases and brings their schemas to the newest version, as Temporal's docs do it, with Temporal's
 * own SQL tool. Safe to run again: a database that exists is not created, a schema that exists is not set up again,
 * and `update-schema` applies only what is missing. Returns one line per database saying what changed.
 */
export async function setUpSchema(pg: PostgresEndpoint, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const password = pg.passwordEnv ? env[pg.passwordEnv] : undefined;
  const tool = async (database: string, args: string[]) => {
    try {
      await run(sqlTool, sqlToolArgs(pg, database, args), { timeout: 120_000, env: { ...childEnv(), ...(password ? { SQL_PASSWORD: password } : {}) } });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  const report: string[] = [];
  for (const { database, schema } of temporalDatabases) {
    const before = await schemaState(pg, password, database);
    if (!before.exists) await tool(database, ['create-database']);
    if (before.version === undefined) await tool(database, ['setup-schema', '-v', '0.0']);
    await tool(database, ['update-schema', '-d', schemaDir(schema)]);
    const after = await schemaState(pg, password, database);
    report.push(
      !before.exists
        ? `database ${database}: created, schema ${after.version}`
        : before.version === after.version
          ? `database ${database}: unchanged, schema ${after.version}`
          : `database ${database}: schema ${before.version ?? 'none'} -> ${after.version}`,
    );
  }
  return report;
}

/** Whether a database exists and, if it has Temporal's schema, its version. */
async function schemaState(pg: PostgresEndpoint, password: string | undefined, database: string): Promise<{ exists: boolean; version?: string }> {
  const connect = async (db: string) => {
    const client = new PgClient({ host: pg.host, port: pg.port, user: pg.user, password, database: db, connectionTimeoutMillis: 10_000 });
    await client.connect();
    return client;
  };
  const admin = await connect('postgres');
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) return { exists: false };
  } finally {
    await admin.end();
  }
  const db = await connect(database);
  try {
    const table = await db.query("SELECT to_regclass('schema_version') AS t");
    if (!table.rows[0]?.t) return { exists: true };
    const row = await db.query('SELECT curr_version FROM schema_version LIMIT 1');
    return { exists: true, version: (row.rows[0] as { curr_version?: string } | undefined)?.curr_version };
  } finally {
    await db.end();
  }
}

/** What the SDK and Lifeboat need beyond the defaults; the same switches `dev/dev-server.ts` passes the dev server. */
export function dynamicConfig(): string {
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

/** Each service's gRPC and membership ports, and the frontend's HTTP port. All must be below 32768 (see `freePorts` in test/support/cluster-server.ts). */
export interface ServerPorts {
  frontend: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  http: number;
}

/** Temporal's own default ports, which a single host's server takes unless told otherwise. */
export const defaultServerPorts: ServerPorts = {
  frontend: 7233,
  history: 7234,
  matching: 7235,
  worker: 7239,
  frontendMembership: 6933,
  historyMembership: 6934,
  matchingMembership: 6935,
  workerMembership: 6939,
  http: 7243,
};

/** What a server's config is made of. */
export interface ServerConfigSettings {
  postgres: PostgresEndpoint;
  ports: ServerPorts;
  dynamicConfigFile: string;
  /** Fixed when the databases are first used: the server refuses to start with another number later. */
  historyShards: number;
}

/**
 * The server's config: PostgreSQL persistence, the history shards, each service on its own loopback ports. With a
 * password, the file is a template (`# enable-template`) that reads it from the named environment variable when the
 * server starts, so it is never in the file.
 */
export function serverConfig({ postgres: pg, ports, dynamicConfigFile, historyShards }: ServerConfigSettings): string {
  const { frontend, history, matching, worker, frontendMembership, historyMembership, matchingMembership, workerMembership, http } = ports;
  const password = pg.passwordEnv ? `{{ env ${JSON.stringify(pg.passwordEnv)} | quote }}` : '""';
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: tcp
        user: ${pg.user}
        password: ${password}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, extra = '') => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  return `${pg.passwordEnv ? '# enable-template: the password comes from the environment, never from this file\n' : ''}log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${historyShards}
  datastores:
    postgres-default:${store('temporal', 10)}
    postgres-visibility:${store('temporal_visibility', 4)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
  frontend:${service(frontend, frontendMembership, `\n      httpPort: ${http}`)}
  history:${service(history, historyMembership)}
  matching:${service(matching, matchingMembership)}
  worker:${service(worker, workerMembership)}

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

/**
 * Starts the server on its config file, its output appended to `logFile`. It gets a minimal environment (it needs
 * none of the worker's secrets), plus `env` (the database password's variable, for a config that reads it).
 * `detached` leaves it running after this process exits, as a single host's setup does.
 */
export function launchServer(configFile: string, logFile: string, options: { detached?: boolean; env?: Record<string, string> } = {}): ChildProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(serverBinary, serverArgs(configFile), {
    stdio: ['ignore', log, log],
    env: { ...childEnv(), ...options.env },
    detached: options.detached ?? false,
  });
  closeSync(log);
  if (options.detached) child.unref();
  return child;
}

/**
 * The server's command line. `--allow-no-auth` because these servers listen on loopback only and have no authorizer;
 * docs/production.md says what a server reachable from elsewhere needs instead.
 */
export function serverArgs(configFile: string): string[] {
  return ['--config-file', configFile, '--allow-no-auth', 'start'];
}

/** The server binary `npm run setup:cluster` builds. */
export const temporalServerBinary = serverBinary;

/** Waits until the frontend answers; fails early, naming the log, if the process exits first. */
export async function waitUntilAnswering(child: ChildProcess, address: string, logFile: string, timeoutMs: number, tls?: TLSConfig): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the Temporal server exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready; see ${logFile}`);
    }
    if (await answers(address, tls ? { tls } : {})) return;
    if (Date.now() > deadline) throw new Error(`the Temporal server did not answer on ${address} within ${timeoutMs} ms; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Registers the namespace with its retention unless it exists (retrying while a fresh server warms up). Returns
 * whether it was created, and the retention it has, so that a caller can say when an existing one differs.
 */
export async function ensureNamespace(connection: Connection, namespace: string, retention: Duration): Promise<{ created: boolean; retentionMs: number }> {
  let created = false;
  await retry(`register namespace ${namespace}`, async () => {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(retention) });
      created = true;
    } catch (err) {
      if ((err as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw err;
    }
  });
  const described = await connection.workflowService.describeNamespace({ namespace });
  const period = described.config?.workflowExecutionRetentionTtl;
  return { created, retentionMs: Number(period?.seconds ?? 0) * 1000 + Math.round((period?.nanos ?? 0) / 1e6) };
}

/** Adds whichever of Lifeboat's five Keyword search attributes the namespace lacks; returns the names it added. */
export async function ensureLifeboatSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  let added: string[] = [];
  await retry(`add search attributes to ${namespace}`, async () => {
    added = await addMissingSearchAttributes(connection.operatorService, namespace);
  });
  return added;
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
