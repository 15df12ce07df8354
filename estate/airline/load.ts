import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadRun } from '../load';
import { failureKind, runSteadyLoad, type Attempt } from '../steady-load';
import { LOOKUP_MAX_KEYS } from './schemas';

/** Where a service's load counters live in the state dir (booking keeps `load.json` and `load-acked.jsonl`). */
export function airlineLoadFiles(stateDir: string, service: string): { counters: string; acked: string } {
  return { counters: join(stateDir, `load-${service}.json`), acked: join(stateDir, `load-${service}-acked.jsonl`) };
}

export interface AirlineLoadOptions {
  service: string;
  /**
   * Where clients send requests: the HAProxy frontend, a region's service, or a function asked before every request
   * (flight-status follows its Route 53 record, which moves in a failover).
   */
  url: string | (() => Promise<string>);
  /** Stateless services (flight-status) are read with `GET /`; nothing is written, so nothing can be lost. */
  stateless?: boolean;
  ratePerSecond?: number;
  durationMs?: number;
  /** `load-<service>.json`, rewritten at most twice a second while the load runs. */
  countersFile?: string;
  /** Every acknowledged key is appended here (one JSON string per line), for the lost-write check. */
  ackedFile?: string;
  requestTimeoutMs?: number;
}

/** One attempt: resolve where to send it, send it, and say whether it was acknowledged. */
async function attempt(opts: AirlineLoadOptions, key: string, seq: number): Promise<Attempt> {
  let url: string;
  try {
    url = typeof opts.url === 'string' ? opts.url : await opts.url();
  } catch {
    return { ok: false, kind: 'unresolved' };
  }
  let status: number | undefined;
  try {
    const res = await fetch(
      opts.stateless ? `${url}/` : `${url}/records`,
      opts.stateless
        ? { signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 3_000) }
        : {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ key, payload: { seq, service: opts.service } }),
            signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 3_000),
          },
    );
    status = res.status;
    await res.arrayBuffer();
  } catch (err) {
    return { ok: false, url, kind: failureKind(undefined, err) };
  }
  const ok = opts.stateless ? status === 200 : status === 200 || status === 201;
  return ok ? { ok, url } : { ok, url, kind: failureKind(status, undefined) };
}

/**
 * A steady stream of requests to one airline service, one at a time at `ratePerSecond`: writes with unique keys
 * (each acknowledged key appended to `ackedFile`), or reads of a stateless service. It counts successes and
 * failures and measures outages, in booking's `LoadCounters` shape, so a failover's downtime and lost writes
 * are measured the same way for every service. `url` in the counters is where the last request went.
 */
export function startAirlineLoad(opts: AirlineLoadOptions): LoadRun {
  return runSteadyLoad({
    url: typeof opts.url === 'string' ? opts.url : '',
    ratePerSecond: opts.ratePerSecond ?? 10,
    ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
    ...(opts.countersFile ? { countersFile: opts.countersFile } : {}),
    ...(opts.ackedFile ? { ackedFile: opts.ackedFile } : {}),
    // A read acknowledges no write: a stateless service's load remembers no key, and loses none.
    writes: !opts.stateless,
    keyOf: (runId, seq) => `${opts.service}-${runId}-${seq}`,
    send: (key, seq) => attempt(opts, key, seq),
  });
}

/**
 * Checks acknowledged keys with `POST <url>/records/lookup` (a region's service, or wherever clients now land) and
 * counts those that are gone: acknowledged writes lost in a failover.
 */
export async function countLostRecords(url: string, keys: string[]): Promise<{ checked: number; lost: number; lostKeys: string[] }> {
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += LOOKUP_MAX_KEYS) {
    const res = await fetch(`${url}/records/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: keys.slice(i, i + LOOKUP_MAX_KEYS) }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`could not check acknowledged records at ${url}: HTTP ${res.status} ${await res.text()}`);
    missing.push(...((await res.json()) as { missing: string[] }).missing);
  }
  return { checked: keys.length, lost: missing.length, lostKeys: missing.slice(0, 50) };
}

/**
 * The keys a load appended to its acked file, for a check from another process (`lost` after a failover). A line
 * cut short by a load killed mid-append is skipped: its write was acknowledged, but its key cannot be read back.
 */
export function readAckedKeys(ackedFile: string): string[] {
  if (!existsSync(ackedFile)) return [];
  return readFileSync(ackedFile, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const key: unknown = JSON.parse(line);
        return typeof key === 'string' ? [key] : [];
      } catch {
        return [];
      }
    });
}
