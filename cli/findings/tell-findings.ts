import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { FINDINGS_WORKFLOW_TYPE, findingsWorkflowId } from '../../lib/findings/names';
import type { RunbookFindingsInput } from '../../workflows/runbook-findings';

/**
 * Tells the findings workflow of a runbook and target something (a drill ended, readiness stays not ready), starting
 * it when it does not run: signal-with-start. What it says is a claim the workflow checks itself. When the workflow ID is
 * held by a workflow of another type or queue (an insider squatting it), nothing is sent and the problem is returned,
 * for the caller to log: a squatter must not hold up archiving.
 */
export async function tellFindings<A>(
  client: Client,
  taskQueue: string,
  runbook: string,
  target: string,
  signal: SignalDefinition<[A]>,
  message: A,
): Promise<{ told: true } | { told: false; problem: string }> {
  const workflowId = findingsWorkflowId(runbook, target);
  const running = await client.workflow
    .getHandle(workflowId)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d : undefined))
    .catch(() => undefined);
  if (running && (running.type !== FINDINGS_WORKFLOW_TYPE || running.taskQueue !== taskQueue))
    return {
      told: false,
      problem: `${workflowId} is held by a ${running.type} workflow on task queue ${running.taskQueue}, not the findings workflow: terminate it (temporal workflow terminate --workflow-id ${workflowId}) so findings can be kept`,
    };
  const input: RunbookFindingsInput = { runbook, target };
  await client.workflow.signalWithStart(FINDINGS_WORKFLOW_TYPE, { workflowId, taskQueue, args: [input], signal, signalArgs: [message] });
  return { told: true };
}
