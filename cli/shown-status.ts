import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { runbooks } from '../runbooks';
import { statusQuery, type RunStatus } from '../kit';
import { stateShown, shownStatus, type ShownStatus, type TemporalFacts } from './run-outcome';
import { explain, readStatus, runHandle } from './runs';
import { readLifecycle } from './verify/lifecycle';

/** How long a closed run's status query may wait for a worker to replay it before visibility is shown instead. */
const CLOSED_QUERY_DEADLINE_MS = 8_000;

/**
 * A run's status as `status`, the console and the report show it: the run's own while it runs or after it ended
 * itself; when Temporal ended it (terminate, a run timeout, an unhandled cancel), Temporal's word for it, read from
 * describe and the history's close event, over the last status the run published.
 */
export async function readShownStatus(client: Client, runId: string, taskQueue: string): Promise<ShownStatus> {
  let description: WorkflowExecutionDescription;
  try {
    description = await runHandle(client, runId).describe();
  } catch (err) {
    throw explain(err, runId, taskQueue);
  }
  const executionStatus = description.status.name;
  if (stateShown(executionStatus, 'running') === 'running') return withResetFacts(client, runId, await readStatus(client, runId, taskQueue));
  const facts: TemporalFacts = {
    executionStatus,
    ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
    ...(await closeEventFacts(client, runId, description.runId)),
  };
  const last = await lastPublishedStatus(client, runId, description.runId);
  if (last) return shownStatus(facts, await withResetFacts(client, runId, last));
  return shownStatus(facts, statusFromVisibility(description), { statusRead: false });
}

/**
 * A reset run's status says it was reset; who asked and why are only in the history (the reset's event), so they are
 * read from there. Unverified: the stock CLI writes its OS user before the reason, and nothing checks it.
 */
async function withResetFacts<S extends RunStatus>(client: Client, runId: string, status: S): Promise<S> {
  if (!status.reset) return status;
  try {
    const { resets } = await readLifecycle(await runHandle(client, runId).fetchHistory(), async () => []);
    const last = resets.at(-1);
    return last ? { ...status, reset: { ...status.reset, by: last.user ?? last.identity, reason: last.reason } } : status;
  } catch {
    return status;
  }
}

/**
 * The status the run last published: a query on a closed run is answered by a worker replaying its history. With no
 * worker it gets no answer; the caller then shows what visibility knows.
 */
async function lastPublishedStatus(client: Client, workflowId: string, runId: string): Promise<RunStatus | undefined> {
  try {
    return await client.withDeadline(Date.now() + CLOSED_QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId, runId).query(statusQuery));
  } catch {
    return undefined;
  }
}

/** The reason and identity Temporal recorded on the run's close event (a terminate records both). */
async function closeEventFacts(client: Client, workflowId: string, runId: string): Promise<Pick<TemporalFacts, 'reason' | 'identity'>> {
  try {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      historyEventFilterType: temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
    });
    const terminated = page.history?.events?.at(-1)?.workflowExecutionTerminatedEventAttributes;
    return { ...(terminated?.reason ? { reason: terminated.reason } : {}), ...(terminated?.identity ? { identity: terminated.identity } : {}) };
  } catch {
    // The state comes from describe; a history that cannot be read only loses the reason.
    return {};
  }
}

/** The little a closed run's visibility record says (its search attributes), for when no worker answers the query. */
function statusFromVisibility(d: WorkflowExecutionDescription): RunStatus {
  const attrs = d.typedSearchAttributes.getAll();
  const get = (name: string) => {
    const pair = attrs.find((p) => p.key.name === name);
    return pair ? String(pair.value) : '';
  };
  const runbook = get('LifeboatRunbook');
  const drill = get('LifeboatDrill');
  return {
    runId: d.workflowId,
    runbook,
    // Whether a drill's gates were approved by people or policy is in the status only, so the kind goes in the title.
    title: `${runbooks[runbook]?.title ?? runbook}${drill ? ` [DRILL: ${drill}]` : ''}`,
    target: get('LifeboatTarget'),
    state: (get('LifeboatState') || 'running') as RunStatus['state'],
    requestedBy: get('LifeboatRequestedBy'),
    startedAt: d.startTime.toISOString(),
    updatedAt: (d.closeTime ?? d.startTime).toISOString(),
    steps: [],
    gates: [],
    compensation: [],
    details: {},
    audit: [],
  };
}
