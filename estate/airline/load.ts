import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { LoadCounters, LoadRun } from '../load';
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

/** Why one request failed, as `failuresByKind` counts it: the HTTP status, or the network error's code. */
function failureKind(status: number | undefined, err: unknown): string {
  if (status !== undefined) return `http-${status}`;
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'timeout';
  return e.cause?.code ?? e.name ?? 'error';
}

/** One attempt: resolve where to send it, send it, and say whether it was acknowledged. */
async function attempt(opts: AirlineLoadOptions, key: string, seq: number): Promise<{ ok: boolean; url?: string; kind?: string }> {
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
  const runId = randomBytes(3).toString('hex').toUpperCase().slice(0, 4);
  const interval = 1000 / (opts.ratePerSecond ?? 10);
  const acked: string[] = [];
  const now = () => new Date().toISOString();
  const c: LoadCounters = {
    runId,
    url: typeof opts.url === 'string' ? opts.url : '',
    startedAt: now(),
    updatedAt: now(),
    running: true,
    attempts: 0,
    successes: 0,
    failures: 0,
    failuresByKind: {},
    lastAcknowledged: null,
    outages: [],
    downtimeMs: 0,
    lost: null,
  };
  let stopping = false;
  let lastWrite = 0;
  const persist = (force = false) => {
    if (!opts.countersFile || (!force && Date.now() - lastWrite < 500)) return;
    lastWrite = Date.now();
    c.updatedAt = now();
    writeFileSync(`${opts.countersFile}.tmp`, JSON.stringify(c, null, 2));
    renameSync(`${opts.countersFile}.tmp`, opts.countersFile);
  };
  if (opts.ackedFile) writeFileSync(opts.ackedFile, '');
  const deadline = opts.durationMs !== undefined ? Date.now() + opts.durationMs : Infinity;
  // The outage open now, if any: it started at the first failure after a success and ends at the next success.
  let outageFromMs: number | undefined;
  const openOutage = () => c.outages[c.outages.length - 1]!;

  const loop = async (): Promise<LoadCounters> => {
    for (let seq = 0; !stopping && Date.now() < deadline; seq++) {
      const started = Date.now();
      const key = `${opts.service}-${runId}-${seq}`;
      c.attempts++;
      const result = await attempt(opts, key, seq);
      if (result.url) c.url = result.url;
      if (result.ok) {
        c.successes++;
        // A read acknowledges no write: `lastAcknowledged` stays null for a stateless service.
        if (!opts.stateless) {
          c.lastAcknowledged = { idempotencyKey: key, seq, at: now() };
          acked.push(key);
          if (opts.ackedFile) appendFileSync(opts.ackedFile, `${JSON.stringify(key)}\n`);
        }
        if (outageFromMs !== undefined) {
          openOutage().to = now();
          openOutage().durationMs = Date.now() - outageFromMs;
          c.downtimeMs += openOutage().durationMs;
          outageFromMs = undefined;
        }
      } else {
        c.failures++;
        const kind = result.kind ?? 'error';
        c.failuresByKind[kind] = (c.failuresByKind[kind] ?? 0) + 1;
        if (outageFromMs === undefined) {
          outageFromMs = started;
          c.outages.push({ from: new Date(started).toISOString(), to: null, durationMs: 0 });
        } else openOutage().durationMs = Date.now() - outageFromMs;
      }
      persist();
      const wait = started + interval - Date.now();
      if (wait > 0 && !stopping) await new Promise((r) => setTimeout(r, wait));
    }
    // An outage still open at the end counts up to now.
    if (outageFromMs !== undefined) c.downtimeMs += openOutage().durationMs;
    // A stateless service wrote nothing, so there is nothing to check: zero lost, by construction.
    if (opts.stateless) c.lost = { checked: 0, lost: 0, lostKeys: [] };
    c.running = false;
    persist(true);
    return c;
  };
  const done = loop();
  return {
    counters: () => structuredClone(c),
    acknowledgedKeys: () => [...acked],
    stop: async () => {
      stopping = true;
      return done;
    },
    done,
  };
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
