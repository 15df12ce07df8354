import { visibleLine } from '../../lib/terminal-text';
import type { FailoverHistory } from './failover-history';
import type { FailoverAudit } from './failover-verify';
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

/** A failover's history re-checked: the decision, whether it moved the namespace, and what does not hold. */
export function renderFailoverAudit(audit: FailoverAudit & { otherRuns?: FailoverAudit[] }): string {
  const asked = audit.request ? `fail ${audit.request.namespace} over to ${audit.request.to}` : 'an unreadable request';
  const decision = audit.verdict.ok
    ? `signed by ${audit.verdict.decision.by} (key ${audit.verdict.decision.fingerprint}, nonce ${audit.verdict.decision.nonce}): holds`
    : `refused: ${audit.verdict.reason}`;
  return (
    [
      `${audit.workflowId} on ${audit.cluster} (${audit.status.toLowerCase()}): ${asked}`,
      `decision ${decision}${audit.rosterDigest ? ` (roster ${audit.rosterDigest})` : ''}`,
      audit.moved ? 'the run asked Temporal to move the namespace' : 'the run never asked Temporal to move the namespace',
      ...(audit.otherRuns ?? []).map(
        (r) => `another run under this ID, ${r.runId} (${r.status.toLowerCase()}), ${r.moved ? 'asked Temporal to move the namespace' : 'moved nothing'}`,
      ),
      ...(audit.problems.length ? audit.problems.map((p) => `PROBLEM: ${p}`) : ['the audit trail holds: the namespace moved only on a verified decision']),
    ]
      // A refused statement's reason quotes what its sender wrote: shown, never obeyed by the terminal.
      .map(visibleLine)
      .join('\n')
  );
}

/** The recent failovers of the orchestrator, and each failover Temporal shows that no verified decision made. */
export function renderFailoverHistory(history: FailoverHistory | { error: string }): string {
  if ('error' in history) return `failovers: cannot be listed: ${visibleLine(history.error)}`;
  const lines = [history.recent.length ? 'recent failovers:' : 'recent failovers: none'];
  for (const run of history.recent) {
    const what = run.request ? `${run.request.namespace} to ${run.request.to}` : 'an unreadable request';
    const who = run.verdict.ok ? `by ${run.verdict.decision.by}` : `refused: ${run.verdict.reason}`;
    lines.push(
      `  ${run.startedAt} ${what} on ${run.cluster} (${run.status.toLowerCase()}) ${who}${run.problems.length ? `; PROBLEM: ${run.problems.join('; ')}` : ''}`,
    );
  }
  for (const f of history.unverified)
    lines.push(
      `UNVERIFIED FAILOVER: Temporal shows a failover at ${f.at ?? 'an unknown time'} (failover version ${f.failoverVersion}) that no verified decision made`,
    );
  return lines.map(visibleLine).join('\n');
}
