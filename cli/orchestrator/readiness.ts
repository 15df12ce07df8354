import type { ReadinessCheckResult } from '../../kit/trust';
import type { ConnectionSettings } from '../../lib/connection';
import { usageError } from '../errors';
import { clusterList } from './clusters';
import { orchestratorProblems } from './problems';
import { activeClusterOf, surveyClusters } from './survey';

/** The check's name in every runbook's readiness. */
export const orchestratorCheckName = 'orchestrator-replicated';

/** How far behind a standby's copy may be, by default, before the orchestrator counts as not ready. */
export const defaultMaxLagSeconds = 30;

/**
 * Whether the orchestrator itself could survive the loss of a region, as one readiness check that every runbook gets
 * when LIFEBOAT_CLUSTERS names the orchestrator's clusters: every cluster answers and agrees on the active one, every
 * cluster has a worker polling, and no standby's copy is further behind than LIFEBOAT_REPLICATION_LAG_MAX_SECONDS (30 by
 * default). A runbook that could run now but not after its orchestrator's region is lost is not ready. Undefined when
 * no clusters are named.
 */
export async function orchestratorReadiness(
  env: NodeJS.ProcessEnv,
  settings: ConnectionSettings,
  taskQueue: string,
): Promise<ReadinessCheckResult | undefined> {
  if (!env.LIFEBOAT_CLUSTERS) return undefined;
  const clusters = clusterList(undefined, env);
  const maxLagSeconds = env.LIFEBOAT_REPLICATION_LAG_MAX_SECONDS === undefined ? defaultMaxLagSeconds : Number(env.LIFEBOAT_REPLICATION_LAG_MAX_SECONDS);
  if (!(maxLagSeconds > 0))
    throw usageError(
      `LIFEBOAT_REPLICATION_LAG_MAX_SECONDS=${env.LIFEBOAT_REPLICATION_LAG_MAX_SECONDS} is not a positive number`,
      'set it to seconds, such as 30',
    );
  const views = await surveyClusters(clusters, settings, taskQueue);
  const problems = orchestratorProblems(views, settings.namespace);
  for (const v of views) {
    if (v.answers && v.lag && !('error' in v.lag) && v.lag.lagMs > maxLagSeconds * 1000)
      problems.push(`cluster ${v.name}'s copy is ${(v.lag.lagMs / 1000).toFixed(1)} s behind, over the ${maxLagSeconds} s bound`);
  }
  const names = clusters.map((c) => c.name).join(', ');
  if (problems.length > 0) {
    return {
      name: orchestratorCheckName,
      ready: false,
      reason: problems.join('; '),
      fix: "bring the named cluster (and its region's worker) back, or fail the namespace over to one that answers; lifeboat orchestrator status shows each cluster",
    };
  }
  return {
    name: orchestratorCheckName,
    ready: true,
    reason: `clusters ${names} answer, agree the namespace is active in ${activeClusterOf(views)}, each has a worker polling, and no standby is more than ${maxLagSeconds} s behind`,
    fix: '',
  };
}
