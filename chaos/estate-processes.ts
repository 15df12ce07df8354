import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterRunning, startCluster } from '../estate/postgres-cluster';
import { isAlive, listRecords, startDetached, type ProcessRecord } from '../estate/processes';
import { estateLayout } from '../estate/state-dir';

/**
 * One process of the estate a fault can hit: a PostgreSQL server (its postmaster and every backend), or a server the
 * estate recorded (a service, HAProxy, Patroni, etcd, moto, the fleet API).
 */
export interface EstateProcess {
  name: string;
  /** Whether a SIGKILL can be healed by starting it again with no state lost: a database on its data dir, a stateless server. */
  restartable: boolean;
  pids(): number[];
  restart(): Promise<void>;
}

/**
 * Servers whose state lives only in their memory: killing them would lose it for good (HAProxy's runtime switch, moto's
 * records, the fleet's simulated hosts), which is a different fault from a crash of a system that persists. They are
 * only ever paused.
 */
const MEMORY_ONLY = /^(haproxy|moto|fleet)/;

/** Every process of the estate in `dir` that a fault can target, by a name the fault schedule prints. */
export function estateProcesses(dir: string): EstateProcess[] {
  const layout = estateLayout(dir);
  const recorded = listRecords(layout.run).map((record): EstateProcess => recordedProcess(layout.run, record));
  const pg = join(dir, 'pg');
  const clusters = existsSync(pg)
    ? readdirSync(pg)
        .map((name) => join(pg, name))
        .filter((d) => existsSync(join(d, 'PG_VERSION')))
    : [];
  return [...clusters.map(postgresProcess), ...recorded];
}

function recordedProcess(runDir: string, record: ProcessRecord): EstateProcess {
  return {
    name: record.name,
    restartable: !MEMORY_ONLY.test(record.name),
    pids: () => (isAlive(record.pid) ? withDescendants(record.pid) : []),
    async restart() {
      if (isAlive(record.pid)) return;
      const fresh = startDetached({
        name: record.name,
        command: record.command,
        runDir,
        logFile: record.logFile,
        ...(record.port ? { port: record.port } : {}),
      });
      record.pid = fresh.pid;
    },
  };
}

function postgresProcess(dataDir: string): EstateProcess {
  const name = `postgres ${dataDir.split('/').slice(-2).join('/')}`;
  return {
    name,
    restartable: true,
    pids() {
      const file = join(dataDir, 'postmaster.pid');
      if (!existsSync(file)) return [];
      const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
      return pid > 0 && isAlive(pid) ? withDescendants(pid) : [];
    },
    async restart() {
      if (await clusterRunning(dataDir)) return;
      await startCluster(dataDir);
    },
  };
}

/** A process and all its descendants, read from /proc: a PostgreSQL server is its postmaster and its backends. */
export function withDescendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** Sends a signal to every pid given, ignoring those already gone. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
