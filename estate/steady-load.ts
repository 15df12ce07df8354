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

/** A running load: read its counters at any time, stop it to get the final ones. */
export interface LoadRun {
  counters(): LoadCounters;
  acknowledgedKeys(): string[];
  /** Stops sending and resolves with the final counters. */
  stop(): Promise<LoadCounters>;
  /** Resolves when the load ends (duration elapsed or stopped). */
  done: Promise<LoadCounters>;
}

/** What one request of a load came to: acknowledged or not, why not, and where it went. */
export interface Attempt {
  ok: boolean;
  /** Why it failed, as `failuresByKind` counts it (`http-503`, `timeout`, `ECONNREFUSED`). */
  kind?: string;
  /** Where it went, when the load follows a moving address (flight-status's DNS). */
  url?: string;
}

/** Why one request failed, as `failuresByKind` counts it: the HTTP status, or the network error's code. */
export function failureKind(status: number | undefined, err: unknown): string {
  if (status !== undefined) return `http-${status}`;
  const e = err as { name?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'timeout';
  return e.cause?.code ?? e.name ?? 'error';
}

export interface SteadyLoadOptions {
  /** Shown in the counters; the attempts may report where each request really went. */
  url: string;
  ratePerSecond: number;
  durationMs?: number;
  /** Rewritten at most twice a second while the load runs, and once at the end. */
  countersFile?: string;
  /** Every acknowledged key is appended here (one JSON string per line), for a lost-write check from another process. */
  ackedFile?: string;
  /** The key of request `seq` of run `runId`. */
  keyOf: (runId: string, seq: number) => string;
  /** Sends one request; never throws. */
  send: (key: string, seq: number, runId: string) => Promise<Attempt>;
  /** Whether a success is an acknowledged write to remember (false for reads of a stateless service). */
  writes: boolean;
}

/**
 * One request at a time at a steady rate, until stopped or the duration ends: counts successes and failures by kind,
 * remembers every acknowledged key and the last one, and measures outages (from the first failure after a success to
 * the next success), so a failover's downtime and lost acknowledged writes are measured alike for every service.
 */
export function runSteadyLoad(opts: SteadyLoadOptions): LoadRun {
  const runId = randomBytes(3).toString('hex').toUpperCase().slice(0, 4);
  const interval = 1000 / opts.ratePerSecond;
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
    writeFileSync(`${opts.countersFile}.tmp`, JSON.stringify(c, null, 2));
    renameSync(`${opts.countersFile}.tmp`, opts.countersFile);
  };
  if (opts.ackedFile) writeFileSync(opts.ackedFile, '');
  const deadline = opts.durationMs !== undefined ? Date.now() + opts.durationMs : Infinity;
  // The outage open now, if any.
  let outageFromMs: number | undefined;
  const openOutage = () => c.outages[c.outages.length - 1]!;

  const loop = async (): Promise<LoadCounters> => {
    for (let seq = 0; !stopping && Date.now() < deadline; seq++) {
      const started = Date.now();
      const key = opts.keyOf(runId, seq);
      c.attempts++;
      const result = await opts.send(key, seq, runId);
      if (result.url) c.url = result.url;
      if (result.ok) {
        c.successes++;
        if (opts.writes) {
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
    // An outage still open at the end counts up to its last failure.
    if (outageFromMs !== undefined) c.downtimeMs += openOutage().durationMs;
    // A load that wrote nothing has nothing to check: zero lost, by construction.
    if (!opts.writes) c.lost = { checked: 0, lost: 0, lostKeys: [] };
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
