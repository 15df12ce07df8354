import { Context } from '@temporalio/activity';

/** Heartbeats when running as a Temporal activity; a no-op when an adapter is called from a plain test or script. */
export function heartbeat(details?: unknown): void {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return;
  }
  ctx.heartbeat(details);
}

/**
 * A request id stable across retries of one activity (workflow, run and activity id), so a side effect a retry
 * repeats is recognised by the server; `undefined` outside an activity.
 */
export function activityRequestId(): string | undefined {
  try {
    const info = Context.current().info;
    const run = info.workflowExecution;
    return run ? `${run.workflowId}:${run.runId}:${info.activityId}` : info.activityId;
  } catch {
    return undefined;
  }
}

/**
 * Aborted when the activity calling a provider is cancelled (its run asked, a heartbeat timed out, or the worker is
 * shutting down); `undefined` outside an activity.
 */
export function activityCancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}
