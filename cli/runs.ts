import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { statusQuery, type RunStatus } from '../kit';
import { CliError } from './errors';

/** A run's handle; the run id is the workflow ID, such as `region-failover/booking`. */
export function runHandle(client: Client, runId: string): WorkflowHandle {
  return client.workflow.getHandle(runId);
}

/**
 * The live status, or an error that says why it cannot be read and what to do. A finished run's
 * result is its final status, so it is read from history and needs no worker to answer a query.
 */
export async function readStatus(client: Client, runId: string, taskQueue: string): Promise<RunStatus> {
  const handle = runHandle(client, runId);
  try {
    const description = await handle.describe();
    if (description.status.name === 'COMPLETED') return (await handle.result()) as RunStatus;
    return await handle.query(statusQuery);
  } catch (err) {
    throw explain(err, runId, taskQueue);
  }
}

/**
 * The input a run was started with, from the first event of its history (only that event is fetched, so a long
 * history costs nothing here); undefined when it cannot be read.
 */
export async function startInputOfRun(client: Client, runId: string): Promise<unknown> {
  try {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: runId },
      maximumPageSize: 1,
    });
    const started = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    const [request] = await decodeArrayFromPayloads(client.options.loadedDataConverter, started?.input?.payloads);
    return (request as { input?: unknown } | undefined)?.input;
  } catch {
    // Callers fall back to what the status says; an unreadable start request must not hide the rest.
    return undefined;
  }
}

/**
 * When the outage was detected, as the run's start request gave it (`detectedAt` in the input: typed by a person,
 * or an alert's startsAt); undefined when it has none or the request cannot be read.
 */
export async function detectedAtOfRun(client: Client, runId: string): Promise<string | undefined> {
  const detectedAt = ((await startInputOfRun(client, runId)) as { detectedAt?: unknown } | undefined)?.detectedAt;
  return typeof detectedAt === 'string' && !Number.isNaN(Date.parse(detectedAt)) ? detectedAt : undefined;
}

/** Turns SDK errors into messages a person at 3 a.m. can act on. */
export function explain(err: unknown, runId: string, taskQueue: string): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowNotFoundError || /not found/i.test((err as Error)?.message ?? '')) {
    return new CliError(`no run ${runId}`, { code: 'not-found', suggestion: 'list runs with `lifeboat list`; a run id looks like region-failover/booking' });
  }
  if (err instanceof WorkflowUpdateFailedError) {
    const reason = (err.cause as Error | undefined)?.message ?? err.message;
    return new CliError(`refused: ${reason}`, { code: 'refused' });
  }
  const message = (err as Error)?.message ?? String(err);
  if (/no poller|deadline|timeout|timed out/i.test(message)) {
    return new CliError(`run ${runId} did not answer: ${message}`, {
      code: 'no-worker',
      suggestion: `make sure a worker polls task queue ${taskQueue} (\`npm start\` or \`lifeboat worker\`)`,
    });
  }
  if (/already completed|workflow execution already completed/i.test(message)) {
    return new CliError(`run ${runId} has already finished`, { code: 'finished', suggestion: `see how it ended with lifeboat status ${runId}` });
  }
  return new CliError(message, { code: 'failed' });
}

/** A run as `lifeboat list` and the console's runs list show it, from its visibility record and search attributes. */
export function runSummary(wf: WorkflowExecutionInfo): Record<string, string> {
  const attrs = wf.typedSearchAttributes.getAll();
  const get = (name: string) => {
    const pair = attrs.find((p) => p.key.name === name);
    return pair ? String(pair.value) : '';
  };
  return {
    runId: wf.workflowId,
    runbook: get('LifeboatRunbook'),
    target: get('LifeboatTarget'),
    state: get('LifeboatState'),
    requestedBy: get('LifeboatRequestedBy'),
    drill: get('LifeboatDrill'),
    temporalStatus: wf.status.name,
    startedAt: wf.startTime.toISOString(),
  };
}
