import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** How many runs of a carry-over chain are followed back, as `lifeboat verify` does. */
const MAX_CHAIN = 50;

/**
 * The histories of one closed run and of every run it continued from (continue-as-new), oldest first, with their
 * Temporal run IDs. Read by run ID, not by workflow ID: a newer run under the same ID (the next drill of the same
 * runbook on the same target) must never stand in for the one being archived.
 */
export async function historiesOfRun(client: Client, workflowId: string, temporalRunId: string): Promise<{ runId: string; history: History }[]> {
  const chain: { runId: string; history: History }[] = [];
  let runId: string | undefined = temporalRunId;
  for (let i = 0; i < MAX_CHAIN && runId; i++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    chain.unshift({ runId, history });
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return chain;
}

/** The child runs a run started (a plan's members), as the histories record them. */
export function childRunsOf(histories: readonly History[]): { workflowId: string; runId: string }[] {
  const children: { workflowId: string; runId: string }[] = [];
  for (const history of histories)
    for (const event of history.events ?? []) {
      const started = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (started?.workflowId && started.runId) children.push({ workflowId: started.workflowId, runId: started.runId });
    }
  return children;
}
