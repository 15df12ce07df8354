import type { Client } from '@temporalio/client';
import { readinessScheduleId, type ReadinessEvaluation } from '../../kit/trust';

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Evaluations read back at most: a streak longer than this many looks is "since at least the oldest read". */
const LOOKS = 500;

/**
 * Since when a runbook has been not ready on a target, from its readiness schedule's own evaluations in Temporal (our
 * readinessCheck workflows, on this task queue, started by the runbook's readiness schedule): the oldest evaluation of
 * the unbroken not-ready streak up to the newest one. Null when the newest says ready, or there are none.
 */
export async function notReadySince(client: Client, taskQueue: string, runbook: string, target: string, scheduleId: string): Promise<{ since: string | null }> {
  // Only the runbook's own schedule counts: a claim naming another schedule could borrow another runbook's streak.
  if (scheduleId !== readinessScheduleId(runbook, target)) return { since: null };
  const query = [
    `TemporalScheduledById = ${quote(scheduleId)}`,
    "WorkflowType = 'readinessCheck'",
    `TaskQueue = ${quote(taskQueue)}`,
    "ExecutionStatus = 'Completed'",
  ].join(' AND ');
  const evaluations: ReadinessEvaluation[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const evaluation = wf.memo?.readiness as ReadinessEvaluation | undefined;
    if (evaluation?.runbook === runbook && evaluation.target === target) evaluations.push(evaluation);
    if (evaluations.length >= LOOKS) break;
  }
  evaluations.sort((a, b) => Date.parse(b.checkedAt) - Date.parse(a.checkedAt));
  let since: string | null = null;
  for (const evaluation of evaluations) {
    if (evaluation.ready) break;
    since = evaluation.checkedAt;
  }
  return { since };
}
