import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { ErrorType, type KitActivities } from '../kit';
import { checkOrchestratorFailover, OrchestratorFailoverInput, proofOf, type OrchestratorFailoverOutcome, type RunLookupActivities } from '../kit/trust';
import type { NamespaceFailoverActivities } from '../activities/namespace-failover';

/**
 * A failover of the orchestrator's global namespace (workflow ID `orchestrator-failover/<namespace>/<nonce>`), run in
 * the local namespace of the cluster being activated, where the old active cluster's loss cannot stop it.
 *
 * Trust. Anyone with access to the local namespace can start this workflow under any ID with any input, so nothing
 * moves until the run has checked, itself: a signed `orchestrator-failover` statement for this very run and request,
 * by a member of sre-leads in the roster the worker holds, valid when Temporal started the run, and not used by any
 * run before (its nonce is claimed). A refusal fails the run with the reason, which its history keeps.
 */

const kit = proxyActivities<KitActivities & RunLookupActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});
/** The cluster being activated may still be settling (its namespace cache, a peer it refreshes): asked again for a minute. */
const { failNamespaceOver } = proxyActivities<NamespaceFailoverActivities>({
  startToCloseTimeout: '20 seconds',
  scheduleToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 1.5, maximumInterval: '5 seconds' },
});

function refuse(reason: string): never {
  throw ApplicationFailure.nonRetryable(`failover refused: ${reason.slice(0, 500)}`, ErrorType.DecisionRefused);
}

export async function orchestratorFailover(raw: OrchestratorFailoverInput): Promise<OrchestratorFailoverOutcome> {
  const parsed = OrchestratorFailoverInput.safeParse(raw);
  if (!parsed.success) refuse(`not a failover request: ${z.prettifyError(parsed.error).slice(0, 300)}`);
  const { namespace, to, decision } = parsed.data;
  const info = workflowInfo();
  if (info.parent || info.continuedFromExecutionRunId) refuse('a failover is started by a person, never by another workflow or a carry-over');

  const verdict = checkOrchestratorFailover(decision, {
    localNamespace: info.namespace,
    workflowId: info.workflowId,
    request: { namespace, to },
    nowMs: info.runStartTime.getTime(),
    roster: await kit.loadRoster(),
  });
  if (!verdict.ok) refuse(verdict.reason);
  const signed = verdict.decision;
  // Each signed failover moves the namespace once: a replay (another run under the same ID) finds its nonce taken.
  const claim = await kit.claimStart({ nonce: signed.nonce, workflowId: info.workflowId, runId: info.runId, expiresAt: signed.expiresAt });
  if (!claim.claimed) refuse(`this signed failover was already used by ${claim.heldBy}; sign a new one`);

  const made = await failNamespaceOver({ namespace, to });
  return {
    namespace,
    to,
    by: signed.by,
    proof: proofOf(signed),
    previousActiveCluster: made.previousActiveCluster,
    changed: made.changed,
    failoverVersion: made.failoverVersion,
    description: made.description,
  };
}
