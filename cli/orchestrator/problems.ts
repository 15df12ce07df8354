import { activeClusterOf, type ClusterView } from './survey';

/**
 * What keeps the orchestrator from surviving the loss of a region, in words an operator acts on: a cluster that does
 * not answer or answers under another name, a namespace that is not global or not replicated to every cluster,
 * clusters that disagree on the active one, an active cluster that is gone, a region with no worker polling.
 */
export function orchestratorProblems(views: ClusterView[], namespace: string): string[] {
  const problems: string[] = [];
  const answering = views.filter((v): v is Extract<ClusterView, { answers: true }> => v.answers);
  for (const v of views) {
    if (!v.answers) {
      problems.push(`cluster ${v.name} (${v.address}) does not answer: ${v.error}`);
      continue;
    }
    if (v.clusterName !== v.name) problems.push(`${v.address} is cluster ${v.clusterName}, not ${v.name} as given`);
    if ('error' in v.namespace) problems.push(`cluster ${v.name} cannot describe namespace ${namespace}: ${v.namespace.error}`);
    else {
      if (!v.namespace.global) problems.push(`namespace ${namespace} on cluster ${v.name} is not global, so no other cluster has its runs`);
      const missing = views.map((o) => o.name).filter((n) => !(v.namespace as { clusters: string[] }).clusters.includes(n));
      if (missing.length) problems.push(`namespace ${namespace} on cluster ${v.name} does not replicate to ${missing.join(', ')}`);
    }
    if (v.workers.length === 0) problems.push(`no worker polls cluster ${v.name}: that region could not run anything after a failover to it`);
    if (v.lag && 'error' in v.lag) problems.push(`cluster ${v.name}'s replication lag could not be read: ${v.lag.error}`);
  }
  const active = activeClusterOf(views);
  const named = new Set(answering.flatMap((v) => ('activeCluster' in v.namespace ? [v.namespace.activeCluster] : [])));
  if (named.size > 1) problems.push(`the clusters disagree on the active cluster (${[...named].join(', ')}): a failover may still be replicating`);
  const activeView = views.find((v) => v.name === active);
  if (active && !activeView) problems.push(`namespace ${namespace} is active in ${active}, which is not among the clusters given`);
  else if (active && !activeView?.answers) {
    const standby = answering[0];
    problems.push(
      `namespace ${namespace} is active in ${active}, which does not answer` +
        (standby ? `; fail over with: temporal operator namespace update --address ${standby.address} -n ${namespace} --active-cluster ${standby.name}` : ''),
    );
  }
  return problems;
}
