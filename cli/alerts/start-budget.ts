import type { RateLimit } from './rules';

/** A rule past its limit: since when alerts are held back, how many, and how many the page already told people of. */
export interface Trip {
  rule: string;
  limit: RateLimit;
  since: number;
  /** When the oldest start in the window ages out, and the rule may start again. */
  resumesAt: number;
  /** Distinct alerts (by fingerprint) held back: Alertmanager's repeats of one alert count once. */
  held: number;
  fingerprints: Set<string>;
  /** The targets of the alerts held back. */
  targets: Set<string>;
  /** How many were held when people were paged; undefined until a page was delivered. */
  paged?: number;
}

/**
 * Each rule's starts within its sliding window, across targets, and the rules currently past their limit. It lives
 * in the receiver's memory: a restarted receiver begins with a full budget (per-target anti-flap still reads
 * Temporal). The receiver handles one alert at a time, so checking and recording need no lock.
 */
export class StartBudget {
  private readonly starts = new Map<string, number[]>();
  private readonly trips = new Map<string, Trip>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether the rule may start one more run now; if not, the alert is counted as held back and the trip returned. */
  take(rule: string, limit: RateLimit, fingerprint: string): { allowed: true } | { allowed: false; trip: Trip } {
    const now = this.now();
    const windowMs = limit.perSeconds * 1000;
    const recent = (this.starts.get(rule) ?? []).filter((t) => now - t < windowMs);
    this.starts.set(rule, recent);
    if (recent.length < limit.starts) return { allowed: true };
    const resumesAt = recent[0]! + windowMs;
    let trip = this.trips.get(rule);
    if (!trip) {
      trip = { rule, limit, since: now, resumesAt, held: 0, fingerprints: new Set(), targets: new Set() };
      this.trips.set(rule, trip);
    }
    trip.resumesAt = resumesAt;
    trip.fingerprints.add(fingerprint);
    trip.held = trip.fingerprints.size;
    return { allowed: false, trip };
  }

  /** Records a run the rule started. */
  record(rule: string): void {
    this.starts.set(rule, [...(this.starts.get(rule) ?? []), this.now()]);
  }

  /** Trips whose alerts people have not been paged about yet (a new trip, or one whose page could not be sent). */
  unpaged(): Trip[] {
    return [...this.trips.values()].filter((t) => t.paged === undefined);
  }

  /** Ends a trip once its window has passed, and returns it, so the receiver can say how many were held in all. */
  end(rule: string): Trip | undefined {
    const trip = this.trips.get(rule);
    this.trips.delete(rule);
    return trip;
  }
}
