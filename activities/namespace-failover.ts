import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ErrorType } from '../kit';

/** What a failover of a global namespace asks for: the namespace, and the cluster to make active. */
export interface NamespaceFailoverRequest {
  namespace: string;
  /** The cluster's own name (`clusterMetadata.currentClusterName`), as `--active-cluster` takes it. */
  to: string;
}

/**
 * What the cluster said once the namespace was active on it: whether this call changed anything, the active cluster
 * before it, and Temporal's own description of the namespace afterwards (DescribeNamespace, as JSON).
 */
export interface NamespaceFailoverResult {
  namespace: string;
  activeCluster: string;
  previousActiveCluster: string;
  /** False when the namespace was already active there: the call was a no-op. */
  changed: boolean;
  failoverVersion: string;
  description: Record<string, unknown>;
}

export interface NamespaceFailoverActivities {
  /**
   * Makes `to` the namespace's active cluster, asking `to` itself: the worker running this must be connected to that
   * cluster, since the old active one may be dead. Idempotent: a namespace already active there is left alone, so an
   * attempt repeated after a lost completion (activities run at least once across a failover) changes nothing more.
   */
  failNamespaceOver(request: NamespaceFailoverRequest): Promise<NamespaceFailoverResult>;
}

type WorkflowService = temporal.api.workflowservice.v1.WorkflowService;

export function createNamespaceFailoverActivities(): NamespaceFailoverActivities {
  return {
    async failNamespaceOver(request) {
      return failNamespaceOverWith(Context.current().client.workflowService, request);
    },
  };
}

/** {@link NamespaceFailoverActivities.failNamespaceOver} over a given connection's service, for a caller outside a worker. */
export async function failNamespaceOverWith(service: WorkflowService, { namespace, to }: NamespaceFailoverRequest): Promise<NamespaceFailoverResult> {
  const { clusterName } = await service.getClusterInfo({});
  // A failover is asked of the cluster being activated; one asked elsewhere would be a statement used on the wrong cluster.
  if (clusterName !== to)
    throw ApplicationFailure.nonRetryable(
      `this worker is connected to cluster ${clusterName ?? '(unnamed)'}, not ${to}: a failover to ${to} is made on ${to} itself`,
      ErrorType.Precondition,
    );
  const before = await service.describeNamespace({ namespace });
  if (!before.isGlobalNamespace)
    throw ApplicationFailure.nonRetryable(`namespace ${namespace} is not global: it has no other cluster to fail over to`, ErrorType.Precondition);
  const replicatedTo = (before.replicationConfig?.clusters ?? []).map((c) => c.clusterName ?? '');
  if (!replicatedTo.includes(to))
    throw ApplicationFailure.nonRetryable(`namespace ${namespace} is not replicated to ${to} (only to ${replicatedTo.join(', ')})`, ErrorType.Precondition);
  const previous = before.replicationConfig?.activeClusterName ?? '';
  if (previous !== to) await service.updateNamespace({ namespace, replicationConfig: { activeClusterName: to } });
  const after = await service.describeNamespace({ namespace });
  const active = after.replicationConfig?.activeClusterName ?? '';
  // Temporal applies the change before it answers; a cluster that still names another one is retried by the caller.
  if (active !== to) throw new Error(`namespace ${namespace} is still active in ${active} after the update`);
  return {
    namespace,
    activeCluster: active,
    previousActiveCluster: previous,
    changed: previous !== to,
    failoverVersion: String(after.failoverVersion ?? '0'),
    description: describedAsJson(after),
  };
}

/** Temporal's description as its JSON form: enums by name, 64-bit numbers as strings, times as seconds and nanos. */
function describedAsJson(described: temporal.api.workflowservice.v1.IDescribeNamespaceResponse): Record<string, unknown> {
  const { DescribeNamespaceResponse } = temporal.api.workflowservice.v1;
  return DescribeNamespaceResponse.toObject(DescribeNamespaceResponse.fromObject(described), { longs: String, enums: String, bytes: String });
}
