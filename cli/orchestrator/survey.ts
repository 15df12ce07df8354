import { Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { ConnectionSettings } from '../../lib/connection';
import type { ClusterAddress } from './clusters';
import { localOnly, replicationLag, type ReplicationLag } from './replication-lag';

/** What one cluster of the orchestrator says about itself, the namespace and the workers polling it. */
export type ClusterView = ClusterAddress &
  (
    | { answers: false; error: string }
    | {
        answers: true;
        /** The name the server gives itself, which should be the one the operator gave it. */
        clusterName: string;
        serverVersion: string;
        namespace: NamespaceView | { error: string };
        /** The clusters it replicates with, as it has them registered (`temporal operator cluster upsert`). */
        peers: { name: string; address: string; connectionEnabled: boolean; replicationEnabled: boolean }[];
        /** Workers polling the task queue on this cluster, newest poll first. */
        workers: { identity: string; lastPolledAt: string | null }[];
        /** How far this cluster's copy is behind the active cluster's; absent on the active cluster itself. */
        lag?: ReplicationLag | { error: string };
      }
  );

/** The namespace as one cluster's copy describes it. */
export interface NamespaceView {
  global: boolean;
  activeCluster: string;
  clusters: string[];
  failoverVersion: number;
  /** When the namespace last changed its active cluster, if it ever did. */
  lastFailoverAt: string | null;
}

/**
 * Asks every cluster, each over its own connection, what it knows: its name and version, the namespace's active
 * cluster, its replication peers, the workers polling `taskQueue` there; then each standby's lag behind the cluster
 * the others name active. A cluster that does not answer is a row saying so, never a failure of the whole survey.
 */
export async function surveyClusters(clusters: ClusterAddress[], settings: ConnectionSettings, taskQueue: string, now = Date.now()): Promise<ClusterView[]> {
  const connections = await Promise.all(
    clusters.map(async (c) => {
      try {
        return await Connection.connect({ ...settings.connectionOptions, address: c.address, connectTimeout: 3_000 });
      } catch (err) {
        return err as Error;
      }
    }),
  );
  try {
    const views = await Promise.all(
      clusters.map(async (c, i): Promise<ClusterView> => {
        const connection = connections[i]!;
        if (connection instanceof Error) return { ...c, answers: false, error: connection.message };
        try {
          return { ...c, answers: true, ...(await describeCluster(connection, settings.namespace, taskQueue)) };
        } catch (err) {
          return { ...c, answers: false, error: (err as Error).message };
        }
      }),
    );
    const active = activeClusterOf(views);
    const activeIndex = views.findIndex((v) => v.answers && v.clusterName === active);
    const activeConnection = connections[activeIndex];
    if (activeConnection && !(activeConnection instanceof Error)) {
      await Promise.all(
        views.map(async (view, i) => {
          const connection = connections[i]!;
          if (!view.answers || i === activeIndex || connection instanceof Error) return;
          view.lag = await replicationLag(activeConnection, connection, settings.namespace, now).catch((err: Error) => ({ error: err.message }));
        }),
      );
    }
    return views;
  } finally {
    await Promise.all(connections.map((c) => (c instanceof Error ? undefined : c.close().catch(() => undefined))));
  }
}

/** The active cluster the answering clusters name, when they agree; undefined when none answers or they differ. */
export function activeClusterOf(views: ClusterView[]): string | undefined {
  const named = new Set(views.flatMap((v) => (v.answers && 'activeCluster' in v.namespace ? [v.namespace.activeCluster] : [])));
  return named.size === 1 ? [...named][0] : undefined;
}

async function describeCluster(connection: Connection, namespace: string, taskQueue: string) {
  const service = connection.workflowService;
  const [info, described, clusters, workers] = await Promise.all([
    service.getClusterInfo({}),
    service.describeNamespace({ namespace }).catch((err: Error) => ({ error: err.message })),
    connection.operatorService.listClusters({ pageSize: 100 }),
    pollers(connection, namespace, taskQueue),
  ]);
  return {
    clusterName: info.clusterName ?? '',
    serverVersion: info.serverVersion ?? '',
    namespace: 'error' in described ? described : namespaceView(described),
    peers: (clusters.clusters ?? [])
      .filter((p) => p.clusterName !== info.clusterName)
      .map((p) => ({
        name: p.clusterName ?? '',
        address: p.address ?? '',
        connectionEnabled: p.isConnectionEnabled === true,
        replicationEnabled: p.isReplicationEnabled === true,
      })),
    workers,
  };
}

function namespaceView(described: temporal.api.workflowservice.v1.IDescribeNamespaceResponse): NamespaceView {
  const failovers = described.failoverHistory ?? [];
  const last = optionalTsToMs(failovers[failovers.length - 1]?.failoverTime);
  return {
    global: described.isGlobalNamespace === true,
    activeCluster: described.replicationConfig?.activeClusterName ?? '',
    clusters: (described.replicationConfig?.clusters ?? []).map((c) => c.clusterName ?? ''),
    failoverVersion: Number(described.failoverVersion ?? 0),
    lastFailoverAt: last === undefined ? null : new Date(last).toISOString(),
  };
}

/** The workers that polled the task queue (workflow or activity tasks) on this cluster itself, newest poll first. */
async function pollers(connection: Connection, namespace: string, taskQueue: string): Promise<{ identity: string; lastPolledAt: string | null }[]> {
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  const seen = new Map<string, number>();
  for (const taskQueueType of [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY]) {
    const described = await connection.withMetadata(localOnly, () =>
      connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }),
    );
    for (const p of described.pollers ?? []) {
      const at = optionalTsToMs(p.lastAccessTime) ?? 0;
      seen.set(p.identity ?? '', Math.max(seen.get(p.identity ?? '') ?? 0, at));
    }
  }
  return [...seen].sort((x, y) => y[1] - x[1]).map(([identity, at]) => ({ identity, lastPolledAt: at > 0 ? new Date(at).toISOString() : null }));
}
