import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** One stretch of time in which bookings failed, from the first failed attempt to the next success. */
export const Outage = z.object({ from: z.string(), to: z.string().nullable(), durationMs: z.number() });
export type Outage = z.infer<typeof Outage>;

/**
 * What `load` counts, written to `load.json` in the state dir while it runs so other processes can read it.
 * `lost` is filled in at the end, by checking every acknowledged booking through the load balancer.
 */
export const LoadCounters = z.object({
  runId: z.string(),
  url: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  running: z.boolean(),
  attempts: z.number(),
  successes: z.number(),
  failures: z.number(),
  failuresByKind: z.record(z.string(), z.number()),
  lastAcknowledged: z.object({ idempotencyKey: z.string(), seq: z.number(), at: z.string() }).nullable(),
  outages: z.array(Outage),
  downtimeMs: z.number(),
  lost: z.object({ checked: z.number(), lost: z.number(), lostKeys: z.array(z.string()) }).nullable(),
});
export type LoadCounters = z.infer<typeof LoadCounters>;

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

/** A running load: read its counters at any time, stop it to get the final ones. */
export interface LoadRun {
  counters(): LoadCounters;
  acknowledgedKeys(): string[];
  /** Stops sending and resolves with the final counters. */
  stop(): Promise<LoadCounters>;
  /** Resolves when the load ends (duration elapsed or stopped). */
  done: Promise<LoadCounters>;
}

const LETTERS = 'ABCDEF';

function failureKind(status: number | undefined, err: unknown): string {
  if (status !== undefined) return `http-${status}`;
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'timeout';
  return e.cause?.code ?? e.name ?? 'error';
}

/**
 * A steady stream of bookings, one at a time at `ratePerSecond`, each with a unique key and seat. It counts
 * successes and failures, remembers the last acknowledged booking, and measures outages, so a failover's
 * downtime and its lost acknowledged writes can be measured.
 */
export function startLoad(opts: LoadOptions): LoadRun {
  const runId = randomBytes(3).toString('hex').toUpperCase().slice(0, 4);
  const interval = 1000 / (opts.ratePerSecond ?? 20);
  const acked: string[] = [];
  const now = () => new Date().toISOString();
  const c: LoadCounters = {
    runId,
    url: opts.url,
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
    const tmp = `${opts.countersFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(c, null, 2));
    renameSync(tmp, opts.countersFile);
  };
  if (opts.ackedFile) writeFileSync(opts.ackedFile, '');
  const deadline = opts.durationMs !== undefined ? Date.now() + opts.durationMs : Infinity;
  let openOutage: { fromMs: number } | undefined;

  const loop = async (): Promise<LoadCounters> => {
    for (let seq = 0; !stopping && Date.now() < deadline; seq++) {
      const started = Date.now();
      const key = `load-${runId}-${seq}`;
      const body = {
        idempotencyKey: key,
        flight: `LD${runId}${Math.floor(seq / 180)}`,
        seat: `${Math.floor((seq % 180) / 6) + 1}${LETTERS[seq % 6]}`,
        passenger: `Load ${seq}`,
      };
      c.attempts++;
      let status: number | undefined;
      let error: unknown;
      try {
        const res = await fetch(`${opts.url}/bookings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 3_000),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch (err) {
        error = err;
      }
      if (status === 200 || status === 201) {
        c.successes++;
        c.lastAcknowledged = { idempotencyKey: key, seq, at: now() };
        acked.push(key);
        if (opts.ackedFile) appendFileSync(opts.ackedFile, `${JSON.stringify(key)}\n`);
        if (openOutage) {
          const o = c.outages[c.outages.length - 1]!;
          o.to = now();
          o.durationMs = Date.now() - openOutage.fromMs;
          c.downtimeMs += o.durationMs;
          openOutage = undefined;
        }
      } else {
        c.failures++;
        const kind = failureKind(status, error);
        c.failuresByKind[kind] = (c.failuresByKind[kind] ?? 0) + 1;
        if (!openOutage) {
          openOutage = { fromMs: started };
          c.outages.push({ from: new Date(started).toISOString(), to: null, durationMs: 0 });
        } else c.outages[c.outages.length - 1]!.durationMs = Date.now() - openOutage.fromMs;
      }
      persist();
      const wait = started + interval - Date.now();
      if (wait > 0 && !stopping) await new Promise((r) => setTimeout(r, wait));
    }
    if (openOutage) c.downtimeMs += c.outages[c.outages.length - 1]!.durationMs;
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
