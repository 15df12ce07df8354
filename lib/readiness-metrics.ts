import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { ReadinessEvaluation } from '../kit/trust';

/** How many of a schedule's newest finished evaluations are read to find its latest (visibility lists newest first). */
const NEWEST = 5;

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** What a worker last read of one readiness schedule. */
interface Known {
  runbook: string;
  target: string;
  evaluation: ReadinessEvaluation;
}

/**
 * The readiness gauges, read from Temporal rather than set by the evaluation's own workflow: a gauge a workflow sets
 * stays on the worker that ran it, so a worker whose last evaluation passed kept saying 1 while the latest, run on
 * another worker, said 0, and `max(...) == 0` never fired. Here every worker reads the latest finished evaluation of each
 * readiness schedule on its task queue (the memo `lifeboat readiness history` lists) and reports the same numbers:
 * - `lifeboat_readiness_ready{runbook,target}`: 1 if it passed, 0 if not;
 * - `lifeboat_readiness_checks_failing{runbook,target}`: its failing checks;
 * - `lifeboat_readiness_evaluated_age_seconds{runbook,target}`: seconds since it was made. It keeps growing while no
 *   new evaluation finishes (schedule paused or deleted, no worker, Temporal unreachable), so a stale "ready" alerts;
 * - `lifeboat_readiness_interval_seconds{runbook,target}`: the schedule's `--every`, for the age rule to compare with.
 * `refresh` reads Temporal (and throws when it cannot); `publishAges` sets the ages from what is known, and is called
 * after every refresh, failed or not.
 */
export function readinessGauges(meter: MetricMeter, client: Client, taskQueue: string) {
  const ready = meter.createGauge('lifeboat_readiness_ready', 'int', '', 'Whether the latest scheduled readiness evaluation passed (1) or not (0)');
  const failing = meter.createGauge('lifeboat_readiness_checks_failing', 'int', 'checks', 'Failing checks in the latest scheduled readiness evaluation');
  const age = meter.createGauge('lifeboat_readiness_evaluated_age_seconds', 'float', 's', 'Seconds since the latest scheduled readiness evaluation');
  const interval = meter.createGauge('lifeboat_readiness_interval_seconds', 'float', 's', 'How often the readiness schedule evaluates (its --every)');
  /** By schedule ID; kept when a schedule disappears, so its age goes on growing. */
  const known = new Map<string, Known>();

  /** The newest finished evaluation a schedule started on this task queue, if any. */
  async function latest(scheduleId: string): Promise<ReadinessEvaluation | undefined> {
    const query = `TemporalScheduledById = ${quote(scheduleId)} AND TaskQueue = ${quote(taskQueue)} AND ExecutionStatus = 'Completed'`;
    let newest: ReadinessEvaluation | undefined;
    let read = 0;
    for await (const wf of client.workflow.list({ query })) {
      const evaluation = wf.memo?.readiness as ReadinessEvaluation | undefined;
      if (evaluation && (!newest || Date.parse(evaluation.checkedAt) > Date.parse(newest.checkedAt))) newest = evaluation;
      if (++read >= NEWEST) break;
    }
    return newest;
  }

  async function refresh(): Promise<void> {
    for await (const schedule of client.schedule.list()) {
      const memo = schedule.memo as { kind?: string; runbook?: string; target?: string } | undefined;
      if (memo?.kind !== 'readiness' || !memo.runbook || !memo.target) continue;
      const evaluation = await latest(schedule.scheduleId);
      if (!evaluation) continue;
      const tags = { runbook: memo.runbook, target: memo.target };
      known.set(schedule.scheduleId, { ...tags, evaluation });
      ready.set(evaluation.ready ? 1 : 0, tags);
      failing.set(evaluation.checks.filter((c) => !c.ready).length, tags);
      const every = schedule.spec?.intervals?.[0]?.every;
      if (typeof every === 'number') interval.set(every / 1000, tags);
    }
  }

  function publishAges(now = Date.now()): void {
    for (const { runbook, target, evaluation } of known.values()) {
      age.set(Math.max(0, (now - Date.parse(evaluation.checkedAt)) / 1000), { runbook, target });
    }
  }

  return { refresh, publishAges };
}
