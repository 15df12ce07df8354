import type { HandsOnTask } from './hands-on-queue';

/** What the run hands the incident review: how fast the spread stopped, and how fast hosts came back. */
export interface IsolationReport {
  containedAfterSeconds: number;
  affectedHosts: number;
  /** Hosts that were down at assessment; the milestones count how many of these are healthy again. */
  downAtStart: number;
  /** Seconds from the run's start until 50%, 90% and 100% of the down hosts were healthy; null when not reached. */
  recovery: { p50Seconds: number | null; p90Seconds: number | null; p100Seconds: number | null };
  fixedRemotely: number;
  fixedByHand: number;
  waivers: { host: string; by: string; reason: string; at: string }[];
}

/** Seconds after `startMs` at which the running sum of `events` first reaches `share` of `total`. */
export function milestone(events: [number, number][], total: number, share: number, startMs: number): number | null {
  const need = Math.ceil(share * total);
  if (need === 0) return 0;
  let sum = 0;
  for (const [at, n] of [...events].sort((a, b) => a[0] - b[0])) {
    sum += n;
    if (sum >= need) return Math.round((at - startMs) / 100) / 10;
  }
  return null;
}

export function buildReport(args: {
  startMs: number;
  containedAtMs: number;
  affected: number;
  down: number;
  recoveries: [number, number][];
  fixedRemotely: number;
  tasks: HandsOnTask[];
}): IsolationReport {
  const m = (share: number) => milestone(args.recoveries, args.down, share, args.startMs);
  return {
    containedAfterSeconds: Math.round((args.containedAtMs - args.startMs) / 100) / 10,
    affectedHosts: args.affected,
    downAtStart: args.down,
    recovery: { p50Seconds: m(0.5), p90Seconds: m(0.9), p100Seconds: m(1) },
    fixedRemotely: args.fixedRemotely,
    fixedByHand: args.tasks.filter((t) => t.status === 'done').length,
    waivers: args.tasks.filter((t) => t.status === 'waived').map((t) => ({ host: t.host, by: t.by!, reason: t.comment ?? '', at: t.at! })),
  };
}
