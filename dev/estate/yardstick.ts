import { estateAdapters } from './adapters';
import type { EstateCatalog } from '../../estate/catalog';
import { breakRegion } from '../../estate/estate';
import { countLostBookings, startLoad, writeCounters, type LoadCounters } from '../../estate/load';
import { sleep } from '../../estate/processes';
import { estateLayout } from '../../estate/state-dir';

export interface YardstickOptions {
  catalog: EstateCatalog;
  /** Bookings acknowledged before region A breaks (default 40). */
  warmupBookings?: number;
  /** How long the "operator" takes to react before promoting (default 0: the mechanics alone). */
  reactionMs?: number;
  /** Bookings acknowledged after the failover before the load stops (default 20). */
  recoveryBookings?: number;
  ratePerSecond?: number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** What the manual failover cost: the number the failover runbook must beat. */
export interface YardstickResult {
  downtimeMs: number;
  acknowledged: number;
  lost: number;
  lostKeys: string[];
  failures: number;
  failuresByKind: Record<string, number>;
  lastAcknowledgedBeforeBreak: string | null;
  timeline: { brokeAt: string; promotedAt: string; switchedAt: string; recoveredAt: string };
  counters: LoadCounters;
}

async function until(what: string, deadline: number, check: () => boolean): Promise<void> {
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`yardstick: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The yardstick: steady bookings through the load balancer, region A breaks, an operator promotes B and switches
 * traffic through the adapters, and the load reports the downtime and how many acknowledged bookings were lost.
 * Needs a freshly started estate (A primary and active); it leaves A broken.
 */
export async function runYardstick(opts: YardstickOptions): Promise<YardstickResult> {
  const { catalog } = opts;
  if (!catalog.loadBalancer) throw new Error('the yardstick needs the load balancer; install it with: apt-get install haproxy');
  const log = opts.log ?? (() => undefined);
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const warmup = opts.warmupBookings ?? 40;
  const recovery = opts.recoveryBookings ?? 20;
  const traffic = estateAdapters(catalog);
  const pg = traffic;
  const layout = estateLayout(catalog.stateDir);
  const now = () => new Date().toISOString();

  const load = startLoad({
    url: catalog.loadBalancer!.clientUrl,
    ratePerSecond: opts.ratePerSecond ?? 25,
    countersFile: layout.loadCounters,
    ackedFile: layout.loadAcked,
  });
  try {
    await until(`${warmup} bookings before the break`, deadline, () => load.counters().successes >= warmup);
    log(`warm-up done: ${load.counters().successes} bookings; breaking region A`);
    await breakRegion(catalog.stateDir, 'A');
    const brokeAt = now();
    const lastBefore = load.counters().lastAcknowledged?.idempotencyKey ?? null;
    if (opts.reactionMs) await sleep(opts.reactionMs);
    const promoted = await pg.promoteStandby({ region: 'B' });
    const promotedAt = now();
    log(`promoted B (already promoted: ${promoted.alreadyPromoted})`);
    await traffic.setActiveBackend({ region: 'B' });
    const switchedAt = now();
    log('switched traffic to B');
    const atSwitch = load.counters().successes;
    await until(`${recovery} bookings after the failover`, deadline, () => load.counters().successes >= atSwitch + recovery);
    const recoveredAt = now();
    const counters = await load.stop();
    const lost = await countLostBookings(catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());
    counters.lost = lost;
    writeCounters(layout.loadCounters, counters);
    log(`downtime ${counters.downtimeMs} ms, ${lost.lost} of ${lost.checked} acknowledged bookings lost`);
    return {
      downtimeMs: counters.downtimeMs,
      acknowledged: counters.successes,
      lost: lost.lost,
      lostKeys: lost.lostKeys,
      failures: counters.failures,
      failuresByKind: counters.failuresByKind,
      lastAcknowledgedBeforeBreak: lastBefore,
      timeline: { brokeAt, promotedAt, switchedAt, recoveredAt },
      counters,
    };
  } finally {
    await load.stop();
  }
}
