import type { FailoverDone } from './failover';

/**
 * A failover made, as an operator reads it: where the namespace is active now and since when, who decided it with
 * which key, the run whose history is the audit trail, and Temporal's own description of the namespace.
 */
export function renderFailover(done: FailoverDone): string {
  const { outcome } = done;
  const moved = outcome.changed
    ? `namespace ${outcome.namespace} failed over to ${outcome.to} (it was active in ${outcome.previousActiveCluster})`
    : `namespace ${outcome.namespace} was already active in ${outcome.to}: nothing changed`;
  return [
    moved,
    `decided by ${outcome.by} (key ${outcome.proof.fingerprint}), checked by ${done.cluster.name}'s worker`,
    `audit trail: run ${done.workflowId} in namespace ${done.localNamespace} on ${done.cluster.name} (${done.cluster.address})`,
    `failover version ${outcome.failoverVersion}`,
    '',
    "Temporal's description of the namespace:",
    JSON.stringify(outcome.description, null, 2),
  ].join('\n');
}
