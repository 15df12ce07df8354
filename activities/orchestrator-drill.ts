import { Context } from '@temporalio/activity';
import { Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { ErrorType } from '../kit';
import { failNamespaceOverWith } from './namespace-failover';

/** The run's namespace as Temporal replicates it: which cluster is active, and the one a drill fails over to. */
export interface OrchestratorClusters {
  namespace: string;
  active: string;
  other: string;
}

/** How far the other cluster's copy of a run was behind, and how long it took to catch up. */
export interface ReplicationAtSwitch {
  eventsBehind: number;
  caughtUpMs: number;
}

/** A failover as the drill reports it: when the namespace became active on `to`, from Temporal's failover history. */
export interface DrillFailover {
  namespace: string;
  to: string;
  previousActiveCluster: string;
  /** False when the namespace was already active there: an attempt repeated after the switch lost its completion. */
  changed: boolean;
  failoverVersion: string;
  /** Epoch milliseconds of the failover to this version, as the namespace records it. */
  failedOverAt: number;
}

/** Which cluster's worker ran the step, and when. */
export interface WorkerCluster {
  cluster: string;
  at: number;
}

export interface OrchestratorDrillActivities {
  /** Reads the run's namespace from the worker's cluster; refuses a namespace that is not global or has one cluster. */
  orchestratorClusters(): Promise<OrchestratorClusters>;
  /** Compares the run's history on `from` and `to` (each cluster's own copy) until `to` holds all of it. */
  replicationAtSwitch(request: { workflowId: string; from: string; to: string }): Promise<ReplicationAtSwitch>;
  /** Makes `to` the active cluster of the run's namespace, asking `to` itself (failNamespaceOverWith). */
  failOrchestratorOver(request: { to: string }): Promise<DrillFailover>;
  /** Succeeds only on a worker of cluster `expected`: a retry lands there once the namespace is active on it. */
  workerClusterIs(request: { expected: string }): Promise<WorkerCluster>;
}

/**
 * Temporal forwards some calls for a namespace that is standby on a cluster to the active one; this header asks the
 * cluster for its own copy, which a comparison needs.
 */
const ownCopy = { 'xdc-redirection': 'false' };

/**
 * The drill's activities. Other clusters are reached at the addresses the worker's operator gives in LIFEBOAT_CLUSTERS
 * (`region-a=HOST:PORT,region-b=HOST:PORT`, as `lifeboat orchestrator status` takes them), read at each call; which
 * cluster is which comes from Temporal, never from the run's input.
 */
export function createOrchestratorDrillActivities(env: NodeJS.ProcessEnv = process.env): OrchestratorDrillActivities {
  const withCluster = async <T>(name: string, use: (connection: Connection) => Promise<T>): Promise<T> => {
    const address = clusterAddresses(env)[name];
    if (!address)
      throw ApplicationFailure.nonRetryable(
        `no address for cluster ${name}: list every cluster in the worker's LIFEBOAT_CLUSTERS, e.g. region-a=HOST:PORT,region-b=HOST:PORT`,
        ErrorType.Precondition,
      );
    const connection = await Connection.connect({ address });
    try {
      return await use(connection);
    } finally {
      await connection.close();
    }
  };
  const namespace = () => {
    const { workflowNamespace } = Context.current().info;
    if (!workflowNamespace) throw ApplicationFailure.nonRetryable('this activity runs only for a workflow, in its namespace', ErrorType.Precondition);
    return workflowNamespace;
  };
  return {
    async orchestratorClusters() {
      const described = await Context.current().client.workflowService.describeNamespace({ namespace: namespace() });
      if (!described.isGlobalNamespace)
        throw ApplicationFailure.nonRetryable(`namespace ${namespace()} is not global: there is no other cluster to fail over to`, ErrorType.Precondition);
      const active = described.replicationConfig?.activeClusterName ?? '';
      const other = (described.replicationConfig?.clusters ?? []).map((c) => c.clusterName ?? '').find((c) => c !== '' && c !== active);
      if (!other) throw ApplicationFailure.nonRetryable(`namespace ${namespace()} is replicated to no cluster besides ${active}`, ErrorType.Precondition);
      return { namespace: namespace(), active, other };
    },
    async replicationAtSwitch({ workflowId, from, to }) {
      const started = Date.now();
      return withCluster(from, (source) =>
        withCluster(to, async (copy) => {
          const length = (c: Connection) => historyLength(c, namespace(), workflowId);
          const behind = Math.max(0, (await length(source)) - (await length(copy)));
          for (;;) {
            const [want, have] = await Promise.all([length(source), length(copy)]);
            if (have >= want) return { eventsBehind: behind, caughtUpMs: Date.now() - started };
            Context.current().heartbeat();
            await new Promise((r) => setTimeout(r, 50));
          }
        }),
      );
    },
    async failOrchestratorOver({ to }) {
      return withCluster(to, async (target) => {
        const made = await failNamespaceOverWith(target.workflowService, { namespace: namespace(), to });
        const described = await target.workflowService.describeNamespace({ namespace: namespace() });
        const latest = (described.failoverHistory ?? []).map((f) => (f.failoverTime ? tsToMs(f.failoverTime) : 0)).sort((x, y) => y - x)[0];
        return {
          namespace: made.namespace,
          to,
          previousActiveCluster: made.previousActiveCluster,
          changed: made.changed,
          failoverVersion: made.failoverVersion,
          failedOverAt: latest || Date.now(),
        };
      });
    },
    async workerClusterIs({ expected }) {
      const { clusterName } = await Context.current().client.workflowService.getClusterInfo({});
      // Retryable: the namespace cache of the old cluster may still hand it tasks for a moment after the switch.
      if (clusterName !== expected) throw new Error(`this step ran on cluster ${clusterName ?? '(unnamed)'}, not ${expected}`);
      return { cluster: clusterName, at: Date.now() };
    },
  };
}

/** NAME=HOST:PORT entries of LIFEBOAT_CLUSTERS, by name. */
function clusterAddresses(env: NodeJS.ProcessEnv): Record<string, string> {
  const entries = (env.LIFEBOAT_CLUSTERS ?? '').split(',').flatMap((entry) => {
    const match = /^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)=(\S+:\d+)\s*$/.exec(entry);
    return match ? [[match[1]!, match[2]!] as const] : [];
  });
  return Object.fromEntries(entries);
}

async function historyLength(connection: Connection, namespace: string, workflowId: string): Promise<number> {
  try {
    const described = await connection.withMetadata(ownCopy, () =>
      connection.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } }),
    );
    return Number(described.workflowExecutionInfo?.historyLength ?? 0);
  } catch (err) {
    if ((err as { code?: number }).code === 5 /* NOT_FOUND */) return 0;
    throw err;
  }
}
