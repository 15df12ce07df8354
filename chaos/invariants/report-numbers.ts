import type { RunReport } from '../../cli/report/model';
import type { Outage } from '../../estate/load';
import type { Violation } from '../world-types';
import type { ServiceLoadMeasure } from './load';

export const REPORT_MATCHES_WORLD = "the run's report agrees with what the checker measured";

/** How far the report's outage may differ from the one the load saw, in seconds (the issue's "RTO within 1 s"). */
export const RTO_SLACK_SECONDS = 1;

/** A stretch of time, epoch milliseconds; `to` undefined while clients still have no service. */
export interface Window {
  from: number;
  to: number | undefined;
  /** When the report says the end lies between this and `to` (from the switch's start to clients seen served). */
  toEarliest?: number;
  /**
   * When the start lies between `from` and this: a drain step that took long (its first attempt lost with a dead
   * worker, say) took clients away at some moment within its bar, which is all the report can say.
   */
  fromLatest?: number;
}

/** The step of a region switch where clients of a planned switch lose service: the source is drained at the balancer. */
const DRAIN_STEP = 'drain';

/**
 * The outage the report tells of: from the moment clients lost service to the `traffic restored` milestone of its
 * incident path (the end of the step that sends clients to the target: `switchTraffic` for a region switch). Clients
 * lose service at the earlier of the `detected` milestone (an emergency: the source failed then; the run knows it
 * when it is given `detectedAt`) and the start of the `drain` step (a planned switch takes traffic away there).
 * Undefined when the report has no restoration (the run failed or was aborted first) or no start for the outage.
 * This, not `measurements.rtoSeconds`, is compared: that RTO runs on to the `verified` milestone, which clients do
 * not wait for, and starts at the run's start, when clients may still have been served.
 */
export function reportedOutage(report: Pick<RunReport, 'path' | 'timeline' | 'startedAt'>): Window | undefined {
  const at = (milestone: string) => report.path.find((p) => p.milestone === milestone)?.at;
  const restored = at('traffic restored');
  const earliest = report.path.find((p) => p.milestone === 'traffic restored')?.earliest;
  if (!restored) return undefined;
  const drain = report.timeline.find((b) => b.kind === 'work' && b.label === DRAIN_STEP);
  const starts = [at('detected') && Date.parse(at('detected')!), drain && Date.parse(report.startedAt) + drain.startMs].filter(
    (t): t is number => typeof t === 'number',
  );
  if (!starts.length) return undefined;
  const from = Math.min(...starts);
  const drainEnd = drain && !at('detected') ? Date.parse(report.startedAt) + drain.endMs : undefined;
  return {
    from,
    to: Date.parse(restored),
    ...(earliest ? { toEarliest: Date.parse(earliest) } : {}),
    ...(drainEnd !== undefined && drainEnd > from ? { fromLatest: drainEnd } : {}),
  };
}

/**
 * The outage the load saw around the reported one: every outage of the load that overlaps the reported window
 * (widened by the slack on both sides), from the first one's first failed request to the last one's next success.
 * An empty window (`from` = `to`) when the load saw no failure there; `to` undefined when it never got through again.
 */
export function measuredOutage(outages: Outage[], around: Window): Window {
  const slack = RTO_SLACK_SECONDS * 1000;
  const lo = around.from - slack;
  const hi = (around.to ?? Infinity) + slack;
  const near = outages.filter((o) => Date.parse(o.from) <= hi && (o.to === null || Date.parse(o.to) >= lo));
  if (!near.length) return { from: around.from, to: around.from };
  const last = near.at(-1)!;
  return { from: Date.parse(near[0]!.from), to: last.to === null ? undefined : Date.parse(last.to) };
}

const iso = (ms: number | undefined) => (ms === undefined ? 'not restored' : new Date(ms).toISOString());
const span = (w: Window) => (w.to === undefined ? 'still open' : `${((w.to - w.from) / 1000).toFixed(3)} s`);

/**
 * The run's report (`lifeboat report <run-id> --format json`, a runbook run's `RunReport`) agrees with the load the
 * checker ran against its service (`report.target`): the outage it reports lasts within 1 s of the outage the load
 * saw (see `reportedOutage` and `measuredOutage` for what each is), and the lost writes it reports
 * (`measurements.rpoWrites`) are exactly the acknowledged writes the load found missing. A report with no lost-write
 * count passes only if nothing was lost. Nothing is compared for a service the load did not drive, and no outage for
 * a run that never restored traffic (the traffic invariant speaks for that).
 */
export function checkReportNumbers(
  report: Pick<RunReport, 'runId' | 'target' | 'path' | 'timeline' | 'startedAt' | 'measurements'>,
  measured: ServiceLoadMeasure[],
): Violation[] {
  const load = measured.find((m) => m.service === report.target);
  if (!load) return [];
  const violations: Violation[] = [];
  const broken = (what: string) => violations.push({ invariant: REPORT_MATCHES_WORLD, evidence: `${report.runId} (${report.target}): ${what}` });

  const reported = reportedOutage(report);
  if (reported) {
    const seen = measuredOutage(load.outages, reported);
    // A report that gives its end as a window (the restoring step ran twice) agrees when the load's falls inside it.
    const shortest = (reported.toEarliest ?? reported.to!) - (reported.fromLatest ?? reported.from);
    const longest = reported.to! - reported.from;
    const lasted = seen.to === undefined ? Infinity : seen.to - seen.from;
    const off = Math.max(0, shortest - lasted, lasted - longest) / 1000;
    if (off > RTO_SLACK_SECONDS) {
      broken(
        `the report's outage lasted ${span(reported)} (${iso(reported.from)} to ${iso(reported.to)}` +
          `${reported.toEarliest !== undefined ? `, or from ${iso(reported.toEarliest)} on` : ''}), ` +
          `the load's ${span(seen)} (${iso(seen.from)} to ${iso(seen.to)}): more than ${RTO_SLACK_SECONDS} s apart`,
      );
    }
  }

  const reportedLost = report.measurements.rpoWrites;
  if (load.uncheckable === undefined && reportedLost !== load.lost && (reportedLost !== undefined || load.lost > 0)) {
    broken(`the report says ${reportedLost ?? 'nothing about'} lost writes, the load found ${load.lost} of ${load.acknowledged} missing`);
  }
  return violations;
}
