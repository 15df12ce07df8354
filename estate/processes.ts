import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { estateChildEnv } from './child-env';
import { repoRoot } from './state-dir';

/** What the estate remembers about a process it started detached, so `down` can stop it from another shell. */
export const ProcessRecord = z.object({
  name: z.string(),
  pid: z.number().int().positive(),
  port: z.number().int().positive().optional(),
  command: z.array(z.string()),
  logFile: z.string(),
  startedAt: z.string(),
});
export type ProcessRecord = z.infer<typeof ProcessRecord>;

/** Whether a pid is alive (signal 0 probes without touching it). A zombie (exited, not yet reaped) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts a long-running process in its own process group, detached from the caller, its output in a log file,
 * and records it under `runDir/<name>.json`. Survives the CLI that started it; `stopRecorded` ends it. It starts
 * with a minimal environment (`estateChildEnv`) plus `env`, so the caller's secrets stay behind.
 */
export function startDetached(opts: {
  name: string;
  command: string[];
  runDir: string;
  logFile: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
}): ProcessRecord {
  const [cmd, ...args] = opts.command;
  if (!cmd) throw new Error('empty command');
  const out = openSync(opts.logFile, 'a');
  const child = spawn(cmd, args, { cwd: repoRoot, detached: true, stdio: ['ignore', out, out], env: estateChildEnv(opts.env) });
  closeSync(out);
  if (!child.pid) throw new Error(`could not start ${opts.name} (${cmd})`);
  child.unref();
  const record: ProcessRecord = {
    name: opts.name,
    pid: child.pid,
    ...(opts.port ? { port: opts.port } : {}),
    command: opts.command,
    logFile: opts.logFile,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(join(opts.runDir, `${opts.name}.json`), JSON.stringify(record, null, 2));
  return record;
}

/** The command that runs one of the estate's TypeScript servers under Node with tsx's loader (one process, no wrapper). */
export function nodeServerCommand(file: string, args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', join(repoRoot, 'estate', file), ...args];
}

export function readRecord(runDir: string, name: string): ProcessRecord | undefined {
  const file = join(runDir, `${name}.json`);
  if (!existsSync(file)) return undefined;
  return ProcessRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export function listRecords(runDir: string): ProcessRecord[] {
  if (!existsSync(runDir)) return [];
  return readdirSync(runDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => readRecord(runDir, f.slice(0, -5)))
    .filter((r): r is ProcessRecord => r !== undefined);
}

/** Signals a whole process group, falling back to the single pid. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`. `graceMs: 0` kills at once, as an outage would. */
export async function stopPid(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  signalGroup(pid, graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(50);
}

/** Stops a recorded process and forgets it. */
export async function stopRecorded(runDir: string, name: string, graceMs = 5_000): Promise<void> {
  const record = readRecord(runDir, name);
  if (!record) return;
  await stopPid(record.pid, graceMs);
  rmSync(join(runDir, `${name}.json`), { force: true });
}

/** Polls an HTTP URL until it answers (any status), or throws with the log tail so a failed start explains itself. */
export async function waitForHttp(url: string, opts: { timeoutMs?: number; pid?: number; logFile?: string } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (opts.pid !== undefined && !isAlive(opts.pid)) break;
    try {
      await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  const tail = opts.logFile && existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').split('\n').slice(-20).join('\n') : '';
  throw new Error(`${url} did not answer${tail ? `; log tail:\n${tail}` : ''}`);
}
