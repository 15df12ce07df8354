import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { type DrillMode, type RunbookDefinition } from '../kit';
import { type SignedDecision, runSearchAttributes } from '../kit/trust';

/** A signed start of one run of a runbook on a target, as `lifeboat run` and the alert receiver send it. */
export interface RunStart {
  runbook: RunbookDefinition;
  runId: string;
  target: string;
  taskQueue: string;
  /** The input as given; the signed start carries its digest. */
  input: unknown;
  requestedBy: string;
  start: SignedDecision;
  drill?: DrillMode;
  memo?: Record<string, unknown>;
  /** The web console's address; the run's page there is linked from Temporal's Web UI (the run's static details). */
  consoleUrl?: string;
}

/**
 * Starts the run under its own ID, refusing a second one while it runs (Temporal answers
 * `WorkflowExecutionAlreadyStartedError`, which callers explain), with the search attributes `lifeboat list` reads.
 */
export async function startRun(client: Client, run: RunStart): Promise<void> {
  await client.workflow.start(run.runbook.workflowType, {
    workflowId: run.runId,
    taskQueue: run.taskQueue,
    args: [{ input: run.input, requestedBy: run.requestedBy, ...(run.drill ? { drill: run.drill } : {}), start: run.start }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    typedSearchAttributes: runSearchAttributes({
      runbook: run.runbook.id,
      target: run.target,
      state: 'running',
      requestedBy: run.requestedBy,
      drill: run.drill?.kind,
    }),
    ...(run.memo ? { memo: run.memo } : {}),
    ...(run.consoleUrl ? { staticDetails: `[Open ${run.runId} in the Lifeboat console](${run.consoleUrl.replace(/\/$/, '')}/run/${run.runId})` } : {}),
  });
}
