import type { Client } from '@temporalio/client';
import type { PayloadDecoder } from './history-decisions';
import { eventTime } from './lifecycle';
import { startRequestOf } from './start-statement';

/** How many runs under one workflow ID verify reads the start of; enough for years of one runbook and target. */
const MAX_RUNS = 500;

/** The start of one run under a workflow ID, as its first event records it. */
export interface StartUse {
  runId: string;
  /** Runs of one continue-as-new chain, and a reset run and its base, share it. */
  firstExecutionRunId: string;
  startedAt: string;
  nonce: string | undefined;
}

/**
 * A start statement starts one run. Every run under the same workflow ID is listed from Temporal, and one that is
 * not of this run's chain (continue-as-new, reset) and was started with the same statement nonce fails verify,
 * both ways round. A drill schedule's authorisation is long-lived and starts one run per drill by design, so it is
 * exempt. Returns the problems, in sentences.
 */
export function checkStartReuse(own: { firstExecutionRunId: string; nonce: string | undefined; schedule: boolean }, others: StartUse[]): string[] {
  if (own.nonce === undefined || own.schedule) return [];
  return others
    .filter((other) => other.firstExecutionRunId !== own.firstExecutionRunId && other.nonce === own.nonce)
    .map(
      (other) =>
        `its start statement (nonce ${own.nonce}) also started run ${other.runId} at ${other.startedAt}: a start statement starts one run, so at most one of them is authorised`,
    );
}

/** The starts of every run under a workflow ID, read from Temporal's visibility list and each run's first event. */
export async function startUsesOf(client: Client, workflowId: string, decode: PayloadDecoder): Promise<StartUse[]> {
  const uses: StartUse[] = [];
  const query = `WorkflowId = "${workflowId.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  for await (const execution of client.workflow.list({ query })) {
    if (uses.length >= MAX_RUNS) break;
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId: execution.runId },
      maximumPageSize: 1,
    });
    const first = page.history?.events?.[0];
    const started = first?.workflowExecutionStartedEventAttributes;
    if (!first || !started) continue;
    let request: unknown;
    try {
      request = started.input?.payloads?.length ? (await decode(started.input.payloads))[0] : undefined;
    } catch {
      request = undefined;
    }
    uses.push({
      runId: execution.runId,
      firstExecutionRunId: started.firstExecutionRunId ?? execution.runId,
      startedAt: eventTime(first),
      nonce: startRequestOf(request).statement?.nonce,
    });
  }
  return uses;
}
