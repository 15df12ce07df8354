import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { requireTemporalCli } from '../../dev/temporal-binaries';
import { childEnv } from '../../lib/child-env';
import { addMissingSearchAttributes } from '../../lib/search-attributes';
import { ensureLifeboatSearchAttributes } from '../../scripts/temporal-server';
import { ORCHESTRATOR_NAMESPACE } from '../../kit/trust';
import { startClusterServer, type ClusterServer } from './cluster-server';

/**
 * Two self-hosted Temporal clusters, one per region, replicating a global namespace with Temporal's Multi-Cluster
 * Replication: what an orchestrator that must survive the loss of its own region runs on. Each cluster is a real
 * server on its own PostgreSQL 15 (test/support/cluster-server.ts). docs/production.md gives the same configuration
 * as a recipe.
 */

const run = promisify(execFile);

export const regionClusters = ['region-a', 'region-b'] as const;
export type RegionCluster = (typeof regionClusters)[number];

/**
 * The same on both clusters; each cluster's initial failover version is distinct and below it, so a namespace's
 * failover version names the cluster that last made it active.
 */
const failoverVersionIncrement = 10;
const initialFailoverVersion: Record<RegionCluster, number> = { 'region-a': 1, 'region-b': 2 };

/**
 * Dynamic config both clusters need (each a pitfall seen on these machines):
 * - a poll that reaches a cluster where the namespace is standby is parked until the long poll expires (a minute by
 *   default) and a failover does not wake it, so the standby region's worker would idle that long after a failover;
 * - a cluster added with `cluster upsert` is unknown to the frontend until it refreshes its cluster metadata (a minute
 *   by default), and a namespace naming it is refused with "Invalid cluster name" until then.
 */
export const replicationDynamicConfig = {
  'matching.longPollExpirationInterval': '5s',
  'system.clusterMetadataRefreshInterval': '5s',
} as const;

export interface ReplicatedClusters {
  /** The global namespace, active in `region-a` when started and replicated to `region-b`. */
  readonly namespace: string;
  /**
   * Each cluster's own local namespace, not replicated, where that region's worker decides failovers of the
   * orchestrator (`lifeboat orchestrator failover`): it answers while the other cluster is dead.
   */
  readonly orchestratorNamespace: string;
  /** Each cluster's frontend address. */
  readonly addresses: Record<RegionCluster, string>;
  /** SIGKILLs the cluster's server and its PostgreSQL: the region's orchestrator is lost. */
  kill(cluster: RegionCluster): Promise<void>;
  /**
   * Makes `to` the namespace's active cluster, asking `to` itself (the other may be dead), with
   * `temporal operator namespace update --active-cluster`. Retries while `to` is still settling.
   */
  failover(to: RegionCluster): Promise<void>;
  /** The namespace's active cluster, as the given cluster's frontend describes it. */
  activeCluster(asSeenBy: RegionCluster): Promise<string>;
  /** Stops both clusters (what is still running) and removes their folders. */
  stop(): Promise<void>;
}

/**
 * Starts `region-a` and `region-b`, connects them both ways, and registers `namespace` as a global namespace active
 * in `region-a` and replicated to `region-b`, with Lifeboat's search attributes. Whatever started is stopped again if a
 * later part fails.
 */
export async function startReplicatedClusters(
  namespace: string,
  options: {
    /** Dynamic config over {@link replicationDynamicConfig}, by Temporal's key (a bench compares values). */ dynamicConfig?: Record<string, unknown>;
  } = {},
): Promise<ReplicatedClusters> {
  const servers: Partial<Record<RegionCluster, ClusterServer>> = {};
  const stopAll = () => Promise.all(Object.values(servers).map((s) => s.stop().catch(() => undefined)));
  try {
    await Promise.all(
      regionClusters.map(async (name) => {
        servers[name] = await startClusterServer({
          replication: { name, initialFailoverVersion: initialFailoverVersion[name], failoverVersionIncrement },
          dynamicConfig: { ...replicationDynamicConfig, ...options.dynamicConfig },
        });
      }),
    );
    const a = servers['region-a']!;
    const b = servers['region-b']!;
    await retry('connect region-a to region-b', () => temporal(['operator', 'cluster', 'upsert', '--address', a.address, ...peer(b.address)]));
    await retry('connect region-b to region-a', () => temporal(['operator', 'cluster', 'upsert', '--address', b.address, ...peer(a.address)]));
    await retry(`register global namespace ${namespace}`, () =>
      temporal([
        'operator',
        'namespace',
        'create',
        '--address',
        a.address,
        '--namespace',
        namespace,
        '--global',
        '--active-cluster',
        'region-a',
        '--cluster',
        'region-a',
        '--cluster',
        'region-b',
        '--retention',
        '1d',
      ]),
    );
    await addSearchAttributes(a.address, b.address, namespace);
    await Promise.all([a.address, b.address].map(registerOrchestratorNamespace));
    const addresses = { 'region-a': a.address, 'region-b': b.address };
    return {
      namespace,
      orchestratorNamespace: ORCHESTRATOR_NAMESPACE,
      addresses,
      async kill(cluster) {
        await servers[cluster]?.kill();
      },
      async failover(to) {
        await retry(
          `fail ${namespace} over to ${to}`,
          () => temporal(['operator', 'namespace', 'update', '--address', addresses[to], '--namespace', namespace, '--active-cluster', to]),
          30_000,
        );
      },
      async activeCluster(asSeenBy) {
        return withConnection(addresses[asSeenBy], async (c) => {
          const described = await c.workflowService.describeNamespace({ namespace });
          return described.replicationConfig?.activeClusterName ?? '';
        });
      },
      async stop() {
        await stopAll();
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The orchestrator's local namespace on one cluster: registered without --global, so it stays there. */
async function registerOrchestratorNamespace(address: string): Promise<void> {
  await retry(`register ${ORCHESTRATOR_NAMESPACE} on ${address}`, async () => {
    try {
      await temporal(['operator', 'namespace', 'create', '--address', address, '--namespace', ORCHESTRATOR_NAMESPACE, '--retention', '1d']);
    } catch (err) {
      // An attempt that timed out may have registered it: the next one finds it there.
      if (!/already (exists|registered)/i.test((err as Error).message)) throw err;
    }
  });
}

function peer(address: string): string[] {
  return ['--frontend-address', address, '--enable-connection', '--enable-replication'];
}

/**
 * Lifeboat's search attributes on the namespace, added on the active cluster. With SQL visibility they are part of
 * the namespace's config and replicate with it (within about a second here); the standby is then asked for them, which
 * waits until the namespace has reached it and adds any that did not come.
 */
async function addSearchAttributes(active: string, standby: string, namespace: string): Promise<void> {
  await withConnection(active, (c) => ensureLifeboatSearchAttributes(c, namespace));
  await withConnection(standby, (c) =>
    retry(`add search attributes to ${namespace} on the standby`, async () => {
      await addMissingSearchAttributes(c.operatorService, namespace);
    }),
  );
}

async function withConnection<T>(address: string, use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/** Runs the stock `temporal` CLI, as an operator's shell would; fails with what it printed. */
async function temporal(args: string[]): Promise<void> {
  try {
    await run(requireTemporalCli().path, args, { timeout: 30_000, env: childEnv() });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`temporal ${args.slice(0, 3).join(' ')} failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

/** Retries while a cluster settles (a peer it does not know yet, a namespace that has not replicated yet). */
async function retry(what: string, attempt: () => Promise<void>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`could not ${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
