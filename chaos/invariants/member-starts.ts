import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** How a child run ended, as its parent's history recorded it; undefined while it has not ended. */
export type ChildEnd = 'completed' | 'failed' | 'canceled' | 'timed-out' | 'terminated';

/** One child run a run started (a plan's member, a live drill's failback), in the order the history started them. */
export interface ChildRun {
  workflowId: string;
  runId: string;
  end?: ChildEnd;
}

/** Every child run the history shows started (the start took effect: Temporal recorded it), with how each ended. */
export function childRunsOf(events: readonly HistoryEvent[]): ChildRun[] {
  const runs: ChildRun[] = [];
  const find = (execution: { workflowId?: string | null; runId?: string | null } | null | undefined) =>
    runs.find((r) => r.workflowId === execution?.workflowId && r.runId === execution?.runId);
  for (const e of events) {
    const started = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (started?.workflowId && started.runId) runs.push({ workflowId: started.workflowId, runId: started.runId });
    const ends: [ChildEnd, { workflowExecution?: { workflowId?: string | null; runId?: string | null } | null } | null | undefined][] = [
      ['completed', e.childWorkflowExecutionCompletedEventAttributes],
      ['failed', e.childWorkflowExecutionFailedEventAttributes],
      ['canceled', e.childWorkflowExecutionCanceledEventAttributes],
      ['timed-out', e.childWorkflowExecutionTimedOutEventAttributes],
      ['terminated', e.childWorkflowExecutionTerminatedEventAttributes],
    ];
    for (const [end, attributes] of ends) {
      const run = attributes ? find(attributes.workflowExecution) : undefined;
      if (run) run.end = end;
    }
  }
  return runs;
}

/**
 * Child runs started again under a workflow ID whose earlier run had not failed. A plan retries a member only after
 * the member's run ended without success (it failed, or completed aborted or failed), so any other second start is
 * a member started twice. `succeeded` says whether a completed run's result was `succeeded` (undefined: unreadable).
 */
export function childrenStartedTwice(runs: readonly ChildRun[], succeeded: (run: ChildRun) => boolean | undefined): string[] {
  const twice: string[] = [];
  runs.forEach((run, i) => {
    const earlier = runs
      .slice(0, i)
      .filter((r) => r.workflowId === run.workflowId)
      .at(-1);
    if (!earlier) return;
    const why = earlierStillCounts(earlier, succeeded);
    if (why) twice.push(`${run.workflowId} was started again (run ${run.runId}) although its earlier run ${earlier.runId} ${why}`);
  });
  return twice;
}

function earlierStillCounts(earlier: ChildRun, succeeded: (run: ChildRun) => boolean | undefined): string | undefined {
  if (earlier.end === undefined) return 'had not ended';
  if (earlier.end !== 'completed') return undefined;
  const ok = succeeded(earlier);
  if (ok === undefined) return 'completed, and its result could not be read to tell whether it succeeded';
  return ok ? 'succeeded' : undefined;
}
