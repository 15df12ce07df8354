import { startAirlineLoads } from '../../dev/estate/airline-load';
import type { EstateCatalog } from '../../estate/catalog';
import { writeCounters, type Outage } from '../../estate/load';

/** What the chaos load measured of one service, once it stopped and checked its acknowledged writes. */
export interface ServiceLoadMeasure {
  service: string;
  /** Writes the service acknowledged (0 for flight-status, which is only read). */
  acknowledged: number;
  /** Acknowledged writes that clients can no longer find where they land now. */
  lost: number;
  /** The first five lost keys, oldest first, for the evidence. */
  lostKeys: string[];
  /**
   * How far back the loss reaches, in seconds: from the newest write that survived, among those acknowledged before
   * the oldest lost one (else the load's start), to the newest lost write. 0 when nothing was lost. It is the RPO the
   * run records as time (the standby's last replayed commit to the last acknowledged write), measured from outside.
   */
  lostSeconds: number;
  /** Every stretch of failed requests, as the estate's load counts them. */
  outages: Outage[];
  /** Set when the acknowledged writes could not be checked (the service did not answer the lookup). */
  uncheckable?: string;
}

/** A running chaos load: `stop()` ends it; `measured()` (after stop) checks every acknowledged write once. */
export interface ChaosLoad {
  /** Requests answered so far, all services together: whether the load is flowing yet. */
  acknowledged(): number;
  stop(): Promise<void>;
  measured(): Promise<ServiceLoadMeasure[]>;
}

/** The lookup endpoints return up to 50 missing keys per call; asking this many at a time gets every one of them. */
const LOOKUP_CHUNK = 50;

/**
 * Steady client traffic to the named services, each the way its clients reach it and written to the counter files
 * the estate layout names (`load.json` for booking, `load-<service>.json` otherwise), so a runbook's loss count reads
 * this load as it reads `estate load`. Besides the estate's own counters it notes when each write was acknowledged,
 * so the lost writes can be placed in time. Services the catalog does not run are left out.
 */
export function startChaosLoad(catalog: EstateCatalog, services: string[], opts: { ratePerSecond?: number } = {}): ChaosLoad {
  const loads = startAirlineLoads(catalog, { services, ratePerSecond: opts.ratePerSecond ?? 10 });
  // The load notes only its newest acknowledgement; asked twice per request interval, it reveals each one's time.
  const ackedAt = loads.map(() => new Map<string, number>());
  const note = () =>
    loads.forEach((l, i) => {
      const last = l.run.counters().lastAcknowledged;
      if (last && !ackedAt[i]!.has(last.idempotencyKey)) ackedAt[i]!.set(last.idempotencyKey, Date.parse(last.at));
    });
  const noting = setInterval(note, Math.max(10, 500 / (opts.ratePerSecond ?? 10)));
  let stopped: Promise<void> | undefined;

  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all(loads.map((l) => l.run.stop()));
      clearInterval(noting);
      note();
    })());

  const measure = async (l: (typeof loads)[number], times: Map<string, number>): Promise<ServiceLoadMeasure> => {
    const counters = await l.run.done;
    const keys = l.run.acknowledgedKeys();
    const base = { service: l.service, acknowledged: keys.length, outages: counters.outages };
    if (!l.lost) return { ...base, lost: 0, lostKeys: [], lostSeconds: 0 };
    const missing: string[] = [];
    try {
      for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) missing.push(...(await l.lost(keys.slice(i, i + LOOKUP_CHUNK))).lostKeys);
    } catch (err) {
      return { ...base, lost: 0, lostKeys: [], lostSeconds: 0, uncheckable: (err as Error).message };
    }
    counters.lost = { checked: keys.length, lost: missing.length, lostKeys: missing.slice(0, 50) };
    writeCounters(l.countersFile, counters);
    return {
      ...base,
      lost: missing.length,
      lostKeys: missing.slice(0, 5),
      lostSeconds: lostSeconds(keys, new Set(missing), times, Date.parse(counters.startedAt)),
    };
  };

  return {
    acknowledged: () => loads.reduce((sum, l) => sum + l.run.counters().successes, 0),
    stop,
    measured: async () => {
      await stop();
      return Promise.all(loads.map((l, i) => measure(l, ackedAt[i]!)));
    },
  };
}

/**
 * How far back a loss reaches (see `ServiceLoadMeasure.lostSeconds`). `keys` are in acknowledgement order; a key
 * whose time was not noted takes the time of the nearest noted key after it (an upper bound on when it was acked).
 */
export function lostSeconds(keys: string[], lost: Set<string>, ackedAt: Map<string, number>, startedAt: number): number {
  const firstLost = keys.findIndex((k) => lost.has(k));
  if (firstLost < 0) return 0;
  const times: number[] = new Array<number>(keys.length);
  let next = Infinity;
  for (let i = keys.length - 1; i >= 0; i--) {
    next = ackedAt.get(keys[i]!) ?? next;
    times[i] = next;
  }
  let lastLost = keys.length - 1;
  while (lastLost > firstLost && !lost.has(keys[lastLost]!)) lastLost--;
  // Every key before the oldest lost one survived: the newest of them is where the loss begins.
  const from = firstLost > 0 ? times[firstLost - 1]! : startedAt;
  return Math.max(0, (times[lastLost]! - from) / 1000);
}
