/**
 * `npm run setup:server`: a self-hosted Temporal server for Lifeboat on one host, on a PostgreSQL you run. It does what
 * docs/production.md ("Self-hosted Temporal, step by step") walks through by hand, with the same code the cluster
 * tests start their server with (scripts/temporal-server.ts), so the docs, the tests and this script cannot drift.
 * Safe to run again: each step checks first, and a second run says that nothing changed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { CliError, handleError } from '../cli/errors';
import {
  clusterServerBuilt,
  clusterServerDir,
  dynamicConfig,
  ensureLifeboatSearchAttributes,
  ensureNamespace,
  launchServer,
  serverArgs,
  serverConfig,
  setUpSchema,
  temporalServerBinary,
  waitUntilAnswering,
  type PostgresEndpoint,
  type ServerPorts,
} from './temporal-server';
import { answers } from '../lib/server-answers';
import { isListening } from '../lib/free-port';
import { stateDir } from '../lib/paths';
import { suggestedRetention } from '../lib/search-attributes';

/** Everything the setup needs; `settingsFrom` reads it from flags and the environment. */
export interface ServerSetup {
  postgres: PostgresEndpoint;
  dataDir: string;
  /** The frontend's port; the other services take Temporal's default offsets from it (see `portsFrom`). */
  frontendPort: number;
  historyShards: number;
  namespace: string;
  retention: string;
  /** Start the server if it is not answering; without, print how to run it and stop before the namespace. */
  start: boolean;
}

const usage = `npm run setup:server -- [options]

  --pg-host HOST          PostgreSQL host (TEMPORAL_POSTGRES_HOST; default 127.0.0.1)
  --pg-port PORT          PostgreSQL port (TEMPORAL_POSTGRES_PORT; default 5432)
  --pg-user USER          PostgreSQL user that may create databases (TEMPORAL_POSTGRES_USER; default postgres)
  --pg-password-env NAME  environment variable holding that user's password (default TEMPORAL_POSTGRES_PASSWORD)
  --data-dir DIR          where the config, the log and the pid file go (default .state/temporal-server)
  --frontend-port PORT    the frontend's gRPC port (default 7233); the others follow Temporal's defaults from it
  --history-shards N      fixed for good at the first run (default 128; see docs/production.md)
  --namespace NAME        Lifeboat's namespace (TEMPORAL_NAMESPACE; default lifeboat)
  --retention DURATION    how long closed runs are kept (default ${suggestedRetention})
  --no-start              do not start the server: print how to run it as a service`;

/** Parses flags and the environment into settings; a bad value is refused naming the flag and the fix. */
export function settingsFrom(argv: string[], env: NodeJS.ProcessEnv): ServerSetup {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'pg-host': { type: 'string' },
        'pg-port': { type: 'string' },
        'pg-user': { type: 'string' },
        'pg-password-env': { type: 'string' },
        'data-dir': { type: 'string' },
        'frontend-port': { type: 'string' },
        'history-shards': { type: 'string' },
        namespace: { type: 'string' },
        retention: { type: 'string' },
        'no-start': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new CliError((err as Error).message, { code: 'usage', exitCode: 2, suggestion: usage });
  }
  if (values.help) throw new CliError('usage', { code: 'usage', exitCode: 2, suggestion: usage });
  const int = (flag: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new CliError(`--${flag} ${text} is not a whole number from ${min} to ${max}`, {
        code: 'usage',
        exitCode: 2,
        suggestion: `pass --${flag} with a number in that range`,
      });
    }
    return n;
  };
  const retention = values.retention ?? suggestedRetention;
  try {
    if (msToNumber(retention as Parameters<typeof msToNumber>[0]) < 86_400_000) throw new Error('too short');
  } catch {
    throw new CliError(`--retention ${retention} is not a duration of a day or more`, {
      code: 'usage',
      exitCode: 2,
      suggestion: `pass a duration such as --retention ${suggestedRetention}`,
    });
  }
  const passwordEnv = values['pg-password-env'] ?? 'TEMPORAL_POSTGRES_PASSWORD';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) {
    throw new CliError(`--pg-password-env ${passwordEnv} is not an environment variable's name`, {
      code: 'usage',
      exitCode: 2,
      suggestion: 'pass the name of the variable that holds the password (never the password itself), e.g. --pg-password-env TEMPORAL_POSTGRES_PASSWORD',
    });
  }
  return {
    postgres: {
      host: values['pg-host'] ?? env.TEMPORAL_POSTGRES_HOST ?? '127.0.0.1',
      port: int('pg-port', values['pg-port'] ?? env.TEMPORAL_POSTGRES_PORT ?? '5432', 1, 65_535),
      user: values['pg-user'] ?? env.TEMPORAL_POSTGRES_USER ?? 'postgres',
      passwordEnv,
    },
    dataDir: resolve(values['data-dir'] ?? join(stateDir, 'temporal-server')),
    frontendPort: int('frontend-port', values['frontend-port'] ?? '7233', 1_000, 32_000),
    historyShards: int('history-shards', values['history-shards'] ?? '128', 1, 16_384),
    namespace: values.namespace ?? env.TEMPORAL_NAMESPACE ?? 'lifeboat',
    retention,
    start: !values['no-start'],
  };
}

/**
 * Temporal's default ports, moved with the frontend's: history +1, matching +2, worker +6, HTTP +10, and each
 * service's membership port 300 below its gRPC port (7233 → 6933). All stay below 32768, as Temporal needs.
 */
export function portsFrom(frontend: number): ServerPorts {
  return {
    frontend,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    http: frontend + 10,
    frontendMembership: frontend - 300,
    historyMembership: frontend + 1 - 300,
    matchingMembership: frontend + 2 - 300,
    workerMembership: frontend + 6 - 300,
  };
}

/** The files the setup writes into the data dir. */
export function serverFiles(dataDir: string) {
  return {
    config: join(dataDir, 'temporal.yaml'),
    dynamicConfig: join(dataDir, 'dynamicconfig.yaml'),
    log: join(dataDir, 'temporal-server.log'),
    pid: join(dataDir, 'temporal-server.pid'),
  };
}

/**
 * Runs every step, each only if needed, and returns what it did, one line each. `changed` is false when the run
 * found everything in place.
 */
export async function setUpServer(setup: ServerSetup, env: NodeJS.ProcessEnv = process.env): Promise<{ lines: string[]; changed: boolean }> {
  if (!clusterServerBuilt()) {
    throw new CliError(`no Temporal server in ${clusterServerDir}`, { code: 'server-missing', suggestion: 'build it once with: npm run setup:cluster' });
  }
  const lines: string[] = [];
  let changed = false;
  const password = env[setup.postgres.passwordEnv ?? ''];
  const postgres: PostgresEndpoint = password ? setup.postgres : { ...setup.postgres, passwordEnv: undefined };

  // 1. The databases and their schema, with Temporal's SQL tool.
  try {
    for (const line of await setUpSchema(postgres, env)) {
      lines.push(line);
      if (!line.includes('unchanged')) changed = true;
    }
  } catch (err) {
    throw postgresError(err as Error, setup, Boolean(password));
  }

  // 2. The server's config and dynamic config.
  const files = serverFiles(setup.dataDir);
  mkdirSync(setup.dataDir, { recursive: true, mode: 0o750 });
  const ports = portsFrom(setup.frontendPort);
  const config = serverConfig({ postgres, ports, dynamicConfigFile: files.dynamicConfig, historyShards: setup.historyShards });
  if (existsSync(files.config)) {
    const shards = /numHistoryShards: (\d+)/.exec(readFileSync(files.config, 'utf8'))?.[1];
    if (shards && Number(shards) !== setup.historyShards) {
      throw new CliError(`${files.config} has numHistoryShards ${shards}, and a server's history shards cannot change`, {
        code: 'history-shards',
        suggestion: `pass --history-shards ${shards}; another number needs new, empty databases`,
      });
    }
  }
  for (const [file, text] of [
    [files.dynamicConfig, dynamicConfig()],
    [files.config, config],
  ] as const) {
    const before = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    if (before === text) {
      lines.push(`config ${file}: unchanged`);
      continue;
    }
    writeFileSync(file, text, { mode: 0o640 });
    lines.push(`config ${file}: ${before === undefined ? 'written' : 'updated (restart the server to apply it)'}`);
    changed = true;
  }

  // 3. The server.
  const address = `127.0.0.1:${ports.frontend}`;
  const serverEnv: Record<string, string> = password && setup.postgres.passwordEnv ? { [setup.postgres.passwordEnv]: password } : {};
  if (await answers(address)) {
    await checkIsThisServer(address, setup);
    lines.push(`server on ${address}: already running`);
  } else if (!setup.start) {
    lines.push(`server on ${address}: not running; start it as a service:`, serviceUnit(setup, files.config), 'then run this again to create the namespace');
    return { lines, changed };
  } else {
    for (const [name, port] of Object.entries(ports)) {
      if (await isListening(port)) {
        throw new CliError(`port ${port} (the ${name} port) is taken by another program`, {
          code: 'port-taken',
          suggestion: 'pass --frontend-port with another number below 32000',
        });
      }
    }
    const child = launchServer(files.config, files.log, { detached: true, env: serverEnv });
    writeFileSync(files.pid, `${child.pid}\n`);
    await waitUntilAnswering(child, address, files.log, 120_000);
    await checkIsThisServer(address, setup);
    lines.push(
      `server on ${address}: started (pid ${child.pid}, log ${files.log}); for a lasting setup run it as a service:`,
      serviceUnit(setup, files.config),
    );
    changed = true;
  }

  // 4. The namespace and Lifeboat's five search attributes.
  const connection = await Connection.connect({ address });
  try {
    const namespace = await ensureNamespace(connection, setup.namespace, setup.retention as Parameters<typeof ensureNamespace>[2]);
    const days = (ms: number) => `${Math.round(ms / 86_400_000)}d`;
    if (namespace.created) {
      lines.push(`namespace ${setup.namespace}: created, retention ${days(namespace.retentionMs)}`);
      changed = true;
    } else if (namespace.retentionMs !== msToNumber(setup.retention as Parameters<typeof msToNumber>[0])) {
      lines.push(
        `namespace ${setup.namespace}: exists with retention ${days(namespace.retentionMs)}, not ${setup.retention}; left as it is ` +
          `(change it with: temporal operator namespace update --namespace ${setup.namespace} --retention ${setup.retention} --address ${address})`,
      );
    } else {
      lines.push(`namespace ${setup.namespace}: exists, retention ${days(namespace.retentionMs)}`);
    }
    const added = await ensureLifeboatSearchAttributes(connection, setup.namespace);
    lines.push(added.length > 0 ? `search attributes: added ${added.join(', ')}` : 'search attributes: all five present');
    if (added.length > 0) changed = true;
  } finally {
    await connection.close();
  }
  lines.push(
    changed
      ? `done: set TEMPORAL_ADDRESS=${address} TEMPORAL_NAMESPACE=${setup.namespace} for the workers`
      : 'nothing changed: everything was already in place',
  );
  return { lines, changed };
}

/**
 * Refuses to go on with a server that is not the one these settings describe: something else on the frontend port
 * (the dev server), or databases set up with another shard count, which the server keeps whatever its config says.
 */
async function checkIsThisServer(address: string, setup: ServerSetup): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const info = await connection.workflowService.getClusterInfo({});
    if (info.persistenceStore !== 'postgres12') {
      throw new CliError(`the Temporal server on ${address} is not this one: it stores its data in ${info.persistenceStore || 'memory'}, not PostgreSQL`, {
        code: 'port-taken',
        suggestion: 'stop that server (lifeboat dev runs one on 7233), or pass --frontend-port with another number',
      });
    }
    if (Number(info.historyShardCount) !== setup.historyShards) {
      throw new CliError(`the server's databases hold ${info.historyShardCount} history shards, not ${setup.historyShards}, and the count cannot change`, {
        code: 'history-shards',
        suggestion: `pass --history-shards ${info.historyShardCount}; another number needs new, empty databases`,
      });
    }
  } finally {
    await connection.close();
  }
}

/** A PostgreSQL failure, with the setting to check. */
function postgresError(err: Error, setup: ServerSetup, hasPassword: boolean): CliError {
  const { host, port, user, passwordEnv } = setup.postgres;
  const text = err.message;
  const suggestion = /password|authentication/i.test(text)
    ? hasPassword
      ? `check the password in ${passwordEnv} for user ${user} (--pg-user)`
      : `set ${passwordEnv} to the password of PostgreSQL user ${user} (or name another variable with --pg-password-env)`
    : /ECONNREFUSED|ENOTFOUND|timeout/i.test(text)
      ? `start PostgreSQL on ${host}:${port}, or pass --pg-host and --pg-port`
      : /permission denied|must be|privilege/i.test(text)
        ? `give PostgreSQL user ${user} the right to create databases (ALTER ROLE ${user} CREATEDB), or pass --pg-user`
        : 'see the error above and docs/production.md, "Self-hosted Temporal, step by step"';
  return new CliError(`PostgreSQL at ${host}:${port} as ${user}: ${text.trim()}`, { code: 'postgres', suggestion });
}

/** A systemd unit that runs the server the way this script started it; the password comes from an EnvironmentFile. */
function serviceUnit(setup: ServerSetup, configFile: string): string {
  return [
    '  # /etc/systemd/system/temporal-server.service',
    '  [Unit]',
    '  Description=Temporal server for Lifeboat',
    '  After=network-online.target postgresql.service',
    '  [Service]',
    `  EnvironmentFile=/etc/temporal/env   # ${setup.postgres.passwordEnv}=..., mode 0600`,
    `  ExecStart=${temporalServerBinary} ${serverArgs(configFile).join(' ')}`,
    '  Restart=always',
    '  [Install]',
    '  WantedBy=multi-user.target',
  ].join('\n');
}

async function main(): Promise<void> {
  const io = { stderr: (text: string) => process.stderr.write(text), json: false };
  try {
    const { lines } = await setUpServer(settingsFrom(process.argv.slice(2), process.env));
    for (const line of lines) process.stdout.write(`${line}\n`);
  } catch (err) {
    process.exitCode = handleError(err, io);
  }
}

if (require.main === module) void main();
