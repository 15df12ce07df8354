import type { Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';

/**
 * How far a standby cluster's copy of a namespace is behind the active cluster's, read through Temporal's public API
 * only (the admin API's replication status is not in the client libraries): for each run still open on either
 * cluster, the events the active cluster has and the standby does not, and the age of the oldest of them.
 */
export interface ReplicationLag {
  /** Open runs compared (on either side; at most {@link maxRuns}). */
  runsChecked: number;
  /** Runs of which the standby holds fewer events. */
  runsBehind: number;
  /** Events the standby is missing, over all runs checked. */
  eventsBehind: number;
  /** How long ago the oldest missing event happened on the active cluster; 0 when nothing is missing. */
  lagMs: number;
  /** More open runs than were compared. */
  truncated: boolean;
}

/** Runs compared per survey: enough for the runs of a recovery, bounded so a busy namespace does not stall the status. */
export const maxRuns = 100;

/**
 * Temporal's frontend forwards some calls for a namespace that is standby on it to the active cluster; this header
 * asks it to answer from its own copy, which is what a comparison needs.
 */
export const localOnly = { 'xdc-redirection': 'false' };

/** Compares the standby's copy of the namespace's open runs with the active cluster's. */
export async function replicationLag(active: Connection, standby: Connection, namespace: string, now = Date.now()): Promise<ReplicationLag> {
  const [openOnActive, openOnStandby] = await Promise.all([openRuns(active, namespace), openRuns(standby, namespace)]);
  const ids = [...new Set([...openOnActive.ids, ...openOnStandby.ids])].slice(0, maxRuns);
  let runsBehind = 0;
  let eventsBehind = 0;
  let oldestMissing: number | undefined;
  for (const workflowId of ids) {
    const [have, want] = await Promise.all([historyLength(standby, namespace, workflowId), historyLength(active, namespace, workflowId)]);
    if (want <= have) continue;
    runsBehind++;
    eventsBehind += want - have;
    const at = await eventTime(active, namespace, workflowId, want - have);
    if (at !== undefined) oldestMissing = Math.min(oldestMissing ?? at, at);
  }
  return {
    runsChecked: ids.length,
    runsBehind,
    eventsBehind,
    lagMs: oldestMissing === undefined ? 0 : Math.max(0, now - oldestMissing),
    truncated: openOnActive.more || openOnStandby.more || openOnActive.ids.length + openOnStandby.ids.length > maxRuns * 2,
  };
}

async function openRuns(connection: Connection, namespace: string): Promise<{ ids: string[]; more: boolean }> {
  const page = await connection.withMetadata(localOnly, () =>
    connection.workflowService.listWorkflowExecutions({ namespace, query: 'ExecutionStatus="Running"', pageSize: maxRuns }),
  );
  return { ids: (page.executions ?? []).flatMap((e) => e.execution?.workflowId ?? []), more: (page.nextPageToken?.length ?? 0) > 0 };
}

/** The number of events a cluster holds of a run's latest execution; 0 when it has none of it. */
async function historyLength(connection: Connection, namespace: string, workflowId: string): Promise<number> {
  try {
    const described = await connection.withMetadata(localOnly, () =>
      connection.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } }),
    );
    return Number(described.workflowExecutionInfo?.historyLength ?? 0);
  } catch (err) {
    if ((err as { code?: number }).code === 5 /* NOT_FOUND */) return 0;
    throw err;
  }
}

/** The time of the `back`-th newest event of a run (1 is the newest), read newest first from the cluster's history. */
async function eventTime(connection: Connection, namespace: string, workflowId: string, back: number): Promise<number | undefined> {
  const page = await connection.withMetadata(localOnly, () =>
    connection.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution: { workflowId }, maximumPageSize: back }),
  );
  const events = page.history?.events ?? [];
  const oldest = events[Math.min(back, events.length) - 1];
  return oldest?.eventTime ? tsToMs(oldest.eventTime) : undefined;
}
