import type { ConnectionSettings } from '../lib/connection';
import { clusterList } from './orchestrator/clusters';

/** One Temporal cluster the CLI may talk to: its address, and its name when LIFEBOAT_CLUSTERS gives one. */
export interface ClusterCandidate {
  address: string;
  name?: string;
}

/**
 * The clusters the CLI and the console may reach, in the order they prefer them: the configured address (or each of
 * TEMPORAL_ADDRESS's comma-separated list), then every LIFEBOAT_CLUSTERS entry not already listed. With only the
 * embedded dev server's address and LIFEBOAT_CLUSTERS, the clusters it lists alone: the operator named where Temporal
 * runs. One candidate means a single cluster, reached exactly as before.
 */
export function clusterCandidates(settings: ConnectionSettings, env: NodeJS.ProcessEnv): ClusterCandidate[] {
  const named = env.LIFEBOAT_CLUSTERS?.trim() ? clusterList(undefined, env) : [];
  const nameOf = new Map(named.map((c) => [c.address, c.name]));
  const configured = settings.embedded && named.length > 0 && !env.TEMPORAL_ADDRESS ? [] : settings.addresses;
  const candidates: ClusterCandidate[] = configured.map((address) => withName(address, nameOf.get(address)));
  for (const c of named) if (!configured.includes(c.address)) candidates.push({ address: c.address, name: c.name });
  return candidates;
}

function withName(address: string, name: string | undefined): ClusterCandidate {
  return name === undefined ? { address } : { address, name };
}

/** How a candidate is named in messages: `region-b (127.0.0.1:7233)`, or its address alone. */
export function candidateLabel(c: ClusterCandidate): string {
  return c.name ? `${c.name} (${c.address})` : c.address;
}
