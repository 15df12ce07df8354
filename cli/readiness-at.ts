import type { Client } from '@temporalio/client';
import { type ReadinessEvaluation, readinessScheduleId, readinessSummary } from '../kit/trust';

/** The readiness of a runbook and target as last evaluated on its schedule before a run started. */
export interface ReadinessAtRun {
  /** The schedule the evaluation came from, such as `readiness/region-failover/booking`. */
  scheduleId: string;
  /** Absent when no scheduled evaluation finished before the run started. */
  evaluation?: ReadinessEvaluation;
  /** The evaluation in one sentence, or that there was none. */
  summary: string;
}

/**
 * The latest scheduled readiness evaluation of a runbook and target that started before `before`, read from the
 * memos of the schedule's finished workflows. Evaluations run by hand (`lifeboat readiness`) do not count: only the
 * schedule says what was known continuously.
 */
export async function readinessBefore(client: Client, runbook: string, target: string, before: string): Promise<ReadinessAtRun> {
  const scheduleId = readinessScheduleId(runbook, target);
  const quote = (text: string) => `'${text.replace(/'/g, "\\'")}'`;
  const query = `TemporalScheduledById = ${quote(scheduleId)} AND ExecutionStatus = 'Completed' AND StartTime < ${quote(new Date(before).toISOString())}`;
  let latest: { startedAt: number; evaluation: ReadinessEvaluation } | undefined;
  let seen = 0;
  for await (const wf of client.workflow.list({ query })) {
    const evaluation = wf.memo?.readiness as ReadinessEvaluation | undefined;
    if (evaluation && (!latest || wf.startTime.getTime() > latest.startedAt)) latest = { startedAt: wf.startTime.getTime(), evaluation };
    // Visibility lists the newest first; a few more guard against a store that does not.
    if (++seen >= 20) break;
  }
  if (!latest) return { scheduleId, summary: 'no readiness evaluation before this run' };
  const { evaluation } = latest;
  return { scheduleId, evaluation, summary: `${evaluation.ready ? 'ready' : 'NOT READY'} at ${evaluation.checkedAt}: ${readinessSummary(evaluation)}` };
}
