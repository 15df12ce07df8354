import { existsSync, readFileSync, statSync } from 'node:fs';

/**
 * How many times a server whose port was taken is started again on a fresh one. A port is picked free and bound a
 * moment later; under load another process can take it in between. One lost race is bad luck, three in a row mean
 * something holds ports faster than we pick them, and the start is reported as failed.
 */
export const PORT_RACE_STARTS = 3;

/** Where a log file ends now, so a later look reads only what one start wrote (logs are appended to). */
export function logEnd(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

/**
 * Whether a server that failed to start lost its port to another process: its log, from `from` on, says the address
 * was in use (HAProxy: "cannot bind socket (Address already in use)"; PostgreSQL: "could not bind ... Address already
 * in use"). Any other failure is not retried: a fresh port would not fix it.
 */
export function lostPortRace(logFile: string, from: number): boolean {
  if (!existsSync(logFile)) return false;
  return /address already in use/i.test(readFileSync(logFile).subarray(from).toString('utf8'));
}
