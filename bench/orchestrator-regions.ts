import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { localOnly } from '../cli/orchestrator/replication-lag';
import { startRun } from '../cli/start-run';
import { runIdFor, statusQuery, type RunStatus } from '../kit';
import { pagingCheck } from '../runbooks/paging-check';
import { signedStartWith } from '../test/helpers/signing-core';
import { regionClusters, type RegionCluster, type ReplicatedClusters } from '../test/support/replicated-clusters';
import type { BenchContext } from './section';

/**
 * The orchestrator bench's view of two replicated clusters: a client and a worker per region on one task queue, paging
 * checks started as `lifeboat run` starts them (a signed start through `startRun`), and what each cluster holds of a run.
 */
export interface BenchRegions {
  readonly clusters: ReplicatedClusters;
  readonly taskQueue: string;
  client(region: RegionCluster): Client;
  connection(region: RegionCluster): Connection;
  /** Every notification a worker sent, by run and text: a count above one is a step that ran more than once. */
  readonly notified: Map<string, number>;
  /** Starts a paging check on `region` as `lifeboat run paging-check` does; isolated drills are approved by policy. */
  startPagingCheck(region: RegionCluster, team: string, drill: boolean): Promise<string>;
  /** Events the cluster's own copy holds of the run (0 when it has none), never forwarded to the active cluster. */
  historyLength(region: RegionCluster, workflowId: string): Promise<number>;
  /** Whether the cluster's own copy of the run has closed. */
  closed(region: RegionCluster, workflowId: string): Promise<boolean>;
  status(region: RegionCluster, workflowId: string): Promise<RunStatus>;
  /** Stops one region's worker (its cluster may be gone: the wait is bounded). */
  stopWorker(region: RegionCluster): Promise<void>;
  /** Starts a fresh worker in a region whose worker was stopped. */
  startWorker(region: RegionCluster): Promise<void>;
  close(): Promise<void>;
}

export async function openBenchRegions(ctx: BenchContext, clusters: ReplicatedClusters, taskQueue: string): Promise<BenchRegions> {
  const { namespace } = clusters;
  const notified = new Map<string, number>();
  const activities = createActivities({
    rosterPath: ctx.signing.rosterPath,
    notify: {
      log: (message, fields) => {
        const key = `${String(fields.runId)} ${message}`;
        notified.set(key, (notified.get(key) ?? 0) + 1);
      },
    },
    targetsPath: '/nonexistent/lifeboat.targets.json',
  });
  const connections = {} as Record<RegionCluster, Connection>;
  const clients = {} as Record<RegionCluster, Client>;
  const natives = {} as Record<RegionCluster, NativeConnection>;
  const workers = {} as Record<RegionCluster, { worker: Worker; running: Promise<unknown> }>;
  const startWorker = async (region: RegionCluster) => {
    const worker = await Worker.create({
      connection: natives[region],
      namespace,
      taskQueue,
      identity: workerIdentity(region),
      workflowBundle: { codePath: ctx.bundlePath },
      activities,
    });
    workers[region] = { worker, running: worker.run().catch((err: unknown) => err) };
  };
  for (const region of regionClusters) {
    const address = clusters.addresses[region];
    connections[region] = await Connection.connect({ address });
    clients[region] = new Client({ connection: connections[region], namespace });
    natives[region] = await NativeConnection.connect({ address });
    await startWorker(region);
  }
  const describe = (region: RegionCluster, workflowId: string) =>
    connections[region].withMetadata(localOnly, () => connections[region].workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } }));
  const stopWorker = async (region: RegionCluster) => {
    const { worker, running } = workers[region];
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.race([running, new Promise((r) => setTimeout(r, 15_000))]);
  };
  return {
    clusters,
    taskQueue,
    notified,
    client: (region) => clients[region],
    connection: (region) => connections[region],
    async startPagingCheck(region, team, drill) {
      const input = { team };
      const runId = runIdFor(pagingCheck.id, team);
      const start = signedStartWith(ctx.signing.keys, {
        namespace,
        workflowId: runId,
        workflowType: pagingCheck.workflowType,
        input,
        by: 'alice',
        ...(drill ? { drill: 'isolated' } : {}),
      });
      await startRun(clients[region], {
        runbook: pagingCheck,
        runId,
        target: team,
        taskQueue,
        input,
        requestedBy: 'alice',
        start,
        ...(drill ? { drill: { kind: 'isolated', approvals: 'policy' } } : {}),
      });
      return runId;
    },
    async historyLength(region, workflowId) {
      try {
        return Number((await describe(region, workflowId)).workflowExecutionInfo?.historyLength ?? 0);
      } catch (err) {
        if ((err as { code?: number }).code === 5 /* NOT_FOUND */) return 0;
        throw err;
      }
    },
    async closed(region, workflowId) {
      const described = await describe(region, workflowId);
      return Boolean(described.workflowExecutionInfo?.closeTime);
    },
    status: (region, workflowId) => clients[region].workflow.getHandle(workflowId).query(statusQuery),
    stopWorker,
    startWorker,
    async close() {
      await Promise.all(regionClusters.map(stopWorker));
      for (const region of regionClusters) {
        await natives[region].close().catch(() => undefined);
        await connections[region].close().catch(() => undefined);
      }
    },
  };
}

/** The identity each region's worker polls with, which the history records on the tasks it completes. */
export function workerIdentity(region: RegionCluster): string {
  return `lifeboat-worker-${region}`;
}

/** Polls `check` every `everyMs` until it is true or `timeoutMs` passes; errors count as false (a cluster settling). */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}
