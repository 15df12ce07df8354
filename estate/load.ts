import { writeFileSync } from 'node:fs';
import { failureKind, runSteadyLoad, type LoadCounters, type LoadRun } from './steady-load';

export { LoadCounters, Outage, type LoadRun } from './steady-load';

export interface LoadOptions {
  /** The load balancer's client URL (or any booking service). */
  url: string;
  ratePerSecond?: number;
  durationMs?: number;
  countersFile?: string;
  /** Every acknowledged idempotency key is appended here (JSONL), for later checks. */
  ackedFile?: string;
  requestTimeoutMs?: number;
}

const LETTERS = 'ABCDEF';

/**
 * A steady stream of bookings, one at a time at `ratePerSecond`, each with a unique key and seat. It counts
 * successes and failures, remembers the last acknowledged booking, and measures outages, so a failover's
 * downtime and its lost acknowledged writes can be measured.
 */
export function startLoad(opts: LoadOptions): LoadRun {
  return runSteadyLoad({
    url: opts.url,
    ratePerSecond: opts.ratePerSecond ?? 20,
    ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
    ...(opts.countersFile ? { countersFile: opts.countersFile } : {}),
    ...(opts.ackedFile ? { ackedFile: opts.ackedFile } : {}),
    writes: true,
    keyOf: (runId, seq) => `load-${runId}-${seq}`,
    send: async (key, seq, runId) => {
      const body = {
        idempotencyKey: key,
        flight: `LD${runId}${Math.floor(seq / 180)}`,
        seat: `${Math.floor((seq % 180) / 6) + 1}${LETTERS[seq % 6]}`,
        passenger: `Load ${seq}`,
      };
      try {
        const res = await fetch(`${opts.url}/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 3_000),
        });
        await res.arrayBuffer();
        return res.status === 200 || res.status === 201 ? { ok: true } : { ok: false, kind: failureKind(res.status, undefined) };
      } catch (err) {
        return { ok: false, kind: failureKind(undefined, err) };
      }
    },
  });
}

/**
 * Checks acknowledged bookings through `url` (the load balancer, i.e. wherever clients now land) and counts
 * those that are gone: acknowledged writes lost in a failover.
 */
export async function countLostBookings(url: string, keys: string[]): Promise<{ checked: number; lost: number; lostKeys: string[] }> {
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += 5_000) {
    const chunk = keys.slice(i, i + 5_000);
    const res = await fetch(`${url}/bookings/lookup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: chunk }),
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) throw new Error(`could not check acknowledged bookings at ${url}: HTTP ${res.status} ${await res.text()}`);
    missing.push(...((await res.json()) as { missing: string[] }).missing);
  }
  return { checked: keys.length, lost: missing.length, lostKeys: missing.slice(0, 50) };
}

/** Records the lost-bookings count in the counters file once the load has been checked. */
export function writeCounters(file: string, counters: LoadCounters): void {
  writeFileSync(file, JSON.stringify(counters, null, 2));
}
