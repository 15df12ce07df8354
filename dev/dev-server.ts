import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { childEnv } from '../lib/child-env';
import { answers } from '../lib/server-answers';
import { devServerSearchAttributeFlags } from '../lib/search-attributes';

/** The largest payload the embedded server accepts; see the README for the same limit on a cluster. */
export const DECISION_BLOB_LIMIT_BYTES = 512 * 1024;

export interface DevServerOptions {
  binary: string;
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** SQLite file so runs survive a restart; omit for an in-memory server. */
  dbFile?: string;
  /** Where the server's output goes; it is noisy. */
  logFile: string;
  ip?: string;
  readyTimeoutMs?: number;
  /** More namespaces to create at start besides `default`, each with Lifeboat's search attributes. */
  namespaces?: readonly string[];
  /**
   * Run it in its own process group, so a Ctrl-C in the terminal reaches only the process that supervises it,
   * which stops it last, after the worker that talks to it.
   */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with Lifeboat's search attributes and waits until its
 * frontend answers. We start it ourselves, not through the SDK, because the SDK gives a first
 * start only a few seconds, which a cold start on a busy 2-core machine can exceed.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(options.port),
    '--log-level',
    'warn',
    ...(options.uiPort ? ['--ui-port', String(options.uiPort), '--ui-disable-news-fetch'] : ['--headless']),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...devServerSearchAttributeFlags(),
    ...(options.namespaces ?? []).flatMap((ns) => ['--namespace', ns]),
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    '--dynamic-config-value',
    'frontend.workerVersioningWorkflowAPIs=true',
    // Limits that suit decisions (a signed decision is about 11 KB at most): a payload over 512 KiB is refused
    // (warned at 256 KiB) instead of the default 2 MiB, so a flood of forged signals fills a run's history far slower.
    '--dynamic-config-value',
    `limit.blobSize.error=${DECISION_BLOB_LIMIT_BYTES}`,
    '--dynamic-config-value',
    `limit.blobSize.warn=${DECISION_BLOB_LIMIT_BYTES / 2}`,
  ];
  if (options.dbFile) mkdirSync(dirname(options.dbFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const address = `${ip}:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  // The server picks its HTTP, metrics and internal membership ports itself, at random; another program starting
  // at the same moment can take one between its pick and its bind. That start fails at once with "address already
  // in use", and a second start picks other ports, so such a start is tried again (the port we were given is
  // checked by the caller, and a start that fails for it fails again and is reported).
  for (let attempt = 1; ; attempt++) {
    const logStart = existsSync(options.logFile) ? statSync(options.logFile).size : 0;
    const started = await startOnce(options, args, address, deadline);
    if ('server' in started) return started.server;
    const reason = lastErrorLine(readFileSync(options.logFile, 'utf8').slice(logStart));
    if (started.exited && /address already in use/.test(reason) && attempt < 3) continue;
    throw new Error(`${started.message}${reason ? `: ${reason}` : ''}; see ${options.logFile}`);
  }
}

type StartAttempt = { server: DevServer } | { exited: boolean; message: string };

async function startOnce(options: DevServerOptions, args: string[], address: string, deadline: number): Promise<StartAttempt> {
  const log = openSync(options.logFile, 'a');
  // A minimal environment: the server needs none of the worker's secrets (API keys, webhook URLs, codec keys).
  const child = spawn(options.binary, args, { stdio: ['ignore', log, log], detached: options.detached ?? false, env: childEnv() });
  closeSync(log);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode}`;
      return { exited: true, message: `the Temporal dev server ${how} before it was ready` };
    }
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      return { exited: false, message: `the Temporal dev server did not answer on ${address} within ${options.readyTimeoutMs ?? 60_000} ms` };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const server: DevServer = {
    address,
    ...(options.uiPort ? { uiUrl: `http://${options.ip === '0.0.0.0' ? 'localhost' : (options.ip ?? '127.0.0.1')}:${options.uiPort}` } : {}),
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return { server };
}

/** The last line of the server's output that says what went wrong, without its timestamp noise. */
function lastErrorLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /error|fatal|panic|address already in use/i.test(line));
  return (lines.at(-1) ?? '').slice(0, 300);
}
