import { makeContinueAsNewFunc, ParentClosePolicy, startChild } from '@temporalio/workflow';

/*
 * An insider's own workflows, run by their own worker on their own task queue: what namespace access lets anyone
 * do. Not part of the test bundle (test/workflows/index.ts): test/cli/verify-lifecycle.test.ts bundles this file alone.
 */

/** Where the attacker's workflow sends its victim: a workflow type of ours on our task queue, with any argument. */
export interface EvilTarget {
  workflowType: string;
  taskQueue: string;
  request: unknown;
}

/** Continues as one of our workflows, handing it a hand-written request (a forged `carried` state). */
export async function evilCarry(target: EvilTarget): Promise<never> {
  const continueAs = makeContinueAsNewFunc<(request: unknown) => Promise<unknown>>({ workflowType: target.workflowType, taskQueue: target.taskQueue });
  return continueAs(target.request);
}

/** Starts one of our workflows as its child, so the child sees a parent under whatever workflow ID this one borrowed. */
export async function evilParent(target: EvilTarget & { workflowId: string }): Promise<string> {
  const child = await startChild(target.workflowType, {
    workflowId: target.workflowId,
    taskQueue: target.taskQueue,
    args: [target.request],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return child.firstExecutionRunId;
}

/**
 * The insider's own `scheduledDrill`, run by their own worker on Lifeboat's task queue: Temporal dispatches a type by
 * name to whichever worker polls the queue, so the parent a child sees is "scheduledDrill on lifeboat" whatever code
 * ran it. This one checks nothing and starts the runbook its argument names, with the start it is given.
 */
export async function scheduledDrill(spec: {
  runbook: string;
  input: unknown;
  drill: unknown;
  requestedBy: string;
  start?: unknown;
  workflowType: string;
  childWorkflowId: string;
}): Promise<string> {
  const child = await startChild(spec.workflowType, {
    workflowId: spec.childWorkflowId,
    args: [{ input: spec.input, requestedBy: spec.requestedBy, drill: spec.drill, ...(spec.start ? { start: spec.start } : {}) }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return child.firstExecutionRunId;
}
