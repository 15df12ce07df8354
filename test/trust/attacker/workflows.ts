/*
 * Workflows of an insider with namespace access and a worker of their own, on a task queue of their own. They are
 * bundled and run only by test/trust/lifecycle.test.ts, which checks that none of them moves anything of ours.
 */
import { ActivityFailure, executeChild, makeContinueAsNewFunc, ParentClosePolicy, proxyActivities } from '@temporalio/workflow';

/** Continues as one of our runbook workflows, on our task queue, handing it a carried-over state of its own making. */
export async function evilCarry(args: { workflowType: string; taskQueue: string; request: unknown }): Promise<void> {
  const next = makeContinueAsNewFunc<(request: unknown) => Promise<unknown>>({ workflowType: args.workflowType, taskQueue: args.taskQueue });
  await next(args.request);
}

/** Starts one of our runbook workflows as its child, on our task queue, passing on a start statement it copied. */
export async function evilParent(args: { workflowType: string; taskQueue: string; workflowId: string; request: unknown }): Promise<string> {
  try {
    await executeChild(args.workflowType, {
      taskQueue: args.taskQueue,
      workflowId: args.workflowId,
      args: [args.request],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    return 'the child finished';
  } catch (err) {
    return `the child failed: ${innermost(err)}`;
  }
}

/** Schedules one of our activities by name onto our task queue, with no run of ours behind it. */
export async function evilActivity(args: { taskQueue: string; target: string }): Promise<string> {
  const { record } = proxyActivities<{ record(target: string, action: string): Promise<void> }>({
    taskQueue: args.taskQueue,
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    await record(args.target, 'apply');
    return 'the activity ran';
  } catch (err) {
    return `the activity failed: ${innermost(err)}`;
  }
}

function innermost(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && (current as { cause?: unknown }).cause instanceof Error) current = (current as { cause?: unknown }).cause;
  if (current instanceof ActivityFailure) return current.message;
  return current instanceof Error ? current.message : String(current);
}
