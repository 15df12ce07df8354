import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { stateDir } from './paths';

/**
 * What a `lifeboat dev` started, kept in the git-ignored state folder while it runs. When it is killed before it can
 * stop them (SIGKILL, a crash, a closed terminal), the next `lifeboat dev` reads this to find what it left behind.
 * It lives in lib/ because the runtime reads it too: the connection settings find the embedded dev server through it.
 */
export const DevRecord = z.object({
  /** The `lifeboat dev` process. */
  pid: z.number().int().positive(),
  startedAt: z.string(),
  /** The embedded dev server it started (absent when it reused one it did not start). */
  server: z
    .object({
      pid: z.number().int().positive(),
      address: z.string(),
      uiPort: z.number().int().positive(),
      dbFile: z.string(),
      logFile: z.string(),
    })
    .optional(),
  /** The sample estate it started or took over, which it stops at the end (absent when it only reused one). */
  estate: z.object({ dir: z.string() }).optional(),
  /** Where its worker archives finished runs' evidence (absent with --no-evidence), so the CLI finds it without flags. */
  evidenceStore: z.string().optional(),
});
export type DevRecord = z.infer<typeof DevRecord>;

export const devRecordFile = join(stateDir, 'dev.json');

/** The record left in the state folder, if there is a readable one. */
export function readDevRecord(file = devRecordFile): DevRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return DevRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Writes the record whole (through a temporary file, so a kill mid-write leaves the old one). */
export function writeDevRecord(record: DevRecord, file = devRecordFile): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${file}.tmp`, file);
}

export function clearDevRecord(file = devRecordFile): void {
  rmSync(file, { force: true });
}

/** The command line of a running process, or undefined when it is gone or cannot be read. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/**
 * Whether the recorded dev server is still running: the pid is alive and is still `temporal server start-dev` on
 * the recorded database, so a pid the system has since given to another program is never touched.
 */
export function recordedServerRunning(server: NonNullable<DevRecord['server']>): boolean {
  // A process that is gone has no command line, and one that has exited but not been reaped has an empty one.
  const cmd = commandLine(server.pid);
  return cmd !== undefined && cmd.includes('start-dev') && cmd.includes(server.dbFile);
}

/**
 * The address of the dev server a running `npm start` started in this checkout (its record in the state folder, which
 * LIFEBOAT_STATE_DIR moves), or undefined when there is none or it has stopped. This is how the CLI finds that server
 * on whatever port LIFEBOAT_DEV_PORT gave it, rather than whatever else answers on the default port.
 */
export function runningDevServerAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const server = readDevRecord(join(env.LIFEBOAT_STATE_DIR ?? stateDir, 'dev.json'))?.server;
  return server && recordedServerRunning(server) ? server.address : undefined;
}
