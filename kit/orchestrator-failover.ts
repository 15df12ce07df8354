import { z } from 'zod';
import { digestOf, SignedDecision } from './decisions/statement';
import { verifySignedDecision, type VerifiedDecision } from './decisions/verify';
import type { DecisionProof } from './status';
import { resolveApprovers, type ApproverSelector, type Roster } from './roster';

/**
 * A failover of the orchestrator's own global namespace, as a signed decision. It cannot be checked in the global
 * namespace: that namespace is not active on the cluster being activated, and the old active cluster may be dead. So
 * each cluster has a small local namespace of the orchestrator's own, not replicated, where the region's worker runs
 * `orchestratorFailover` (workflows/orchestrator-failover.ts); its history is the decision's audit trail.
 */

/** The local, not replicated, namespace on each cluster where failovers of the orchestrator are decided. */
export const ORCHESTRATOR_NAMESPACE = 'lifeboat-orchestrator';

/** The workflow type that checks a failover and makes it. */
export const ORCHESTRATOR_FAILOVER_TYPE = 'orchestratorFailover';

/**
 * Who may fail the orchestrator over: one lead of `sre-leads`. One is enough because the failover is asked for when a
 * region is already lost, a second signer would only lengthen the outage, and it is undone by failing back; the
 * signer is recorded, and every failover Temporal shows without such a decision is named by `orchestrator status`.
 */
export const orchestratorFailoverAuthority = { groups: ['sre-leads'], quorum: 1 } as const satisfies ApproverSelector & { quorum: number };

const name = z.string().min(1).max(256);

/** What the failover asks: the global namespace, and the cluster to make active in it. */
export const FailoverRequest = z.strictObject({ namespace: name, to: name.max(64) });
export type FailoverRequest = z.infer<typeof FailoverRequest>;

/** The workflow's input: the request and the signed decision that asks for it. Bounded, and checked again there. */
export const OrchestratorFailoverInput = z.strictObject({ namespace: name, to: name.max(64), decision: SignedDecision.optional() });
export type OrchestratorFailoverInput = z.infer<typeof OrchestratorFailoverInput>;

/** The ID of a failover's run: the namespace and the statement's nonce, so each signed failover has its own. */
export function orchestratorFailoverWorkflowId(namespace: string, nonce: string): string {
  return `orchestrator-failover/${namespace}/${nonce}`;
}

/** Where the run is (the local namespace, its workflow ID) and what it asks. */
export interface FailoverCheckContext {
  localNamespace: string;
  workflowId: string;
  request: FailoverRequest;
  /** Temporal's start time of the run, never the request's word. */
  nowMs: number;
  roster: Roster;
}

/** What a failover that was made returns, and what its history keeps: who decided, and what Temporal then said. */
export interface OrchestratorFailoverOutcome {
  namespace: string;
  to: string;
  by: string;
  /** The key that signed and the statement's single-use nonce. */
  proof: DecisionProof;
  previousActiveCluster: string;
  /** False when the namespace was already active there, so nothing changed. */
  changed: boolean;
  failoverVersion: string;
  /** Temporal's own description of the namespace after the failover (DescribeNamespace, as JSON). */
  description: Record<string, unknown>;
}

export type FailoverVerdict = { ok: true; decision: VerifiedDecision } | { ok: false; reason: string; claimed: string };

/**
 * Checks a signed failover, purely (the same verdict in the workflow, on replay and in a later re-check): an
 * `orchestrator-failover` statement for this run (local namespace, workflow ID, request digest), naming the namespace
 * and cluster it asks for, in time, signed with a roster key of a member of `sre-leads`. That it is used once is
 * the workflow's claim, not this check's.
 */
export function checkOrchestratorFailover(raw: unknown, ctx: FailoverCheckContext): FailoverVerdict {
  if (raw === undefined)
    return { ok: false, reason: 'the failover is not signed; ask for it with lifeboat orchestrator failover, which signs it', claimed: 'unknown' };
  const verdict = verifySignedDecision(['orchestrator-failover'], raw, {
    namespace: ctx.localNamespace,
    workflowId: ctx.workflowId,
    runId: '',
    inputDigest: digestOf(ctx.request),
    nowMs: ctx.nowMs,
    roster: ctx.roster,
    used: new Set<string>(),
  });
  if (!verdict.ok) return verdict;
  const { decision } = verdict;
  const refuse = (reason: string): FailoverVerdict => ({ ok: false, reason, claimed: decision.by });
  if (ctx.workflowId !== orchestratorFailoverWorkflowId(ctx.request.namespace, decision.nonce))
    return refuse(
      `a failover of ${ctx.request.namespace} runs as ${orchestratorFailoverWorkflowId(ctx.request.namespace, decision.nonce)}, not ${ctx.workflowId}`,
    );
  if (decision.body.namespace !== ctx.request.namespace || decision.body.to !== ctx.request.to)
    return refuse(
      `the statement asks to fail ${String(decision.body.namespace)} over to ${String(decision.body.to)}, not ${ctx.request.namespace} to ${ctx.request.to}`,
    );
  const leads = resolveApprovers(ctx.roster, orchestratorFailoverAuthority).eligible;
  if (!leads.includes(decision.by))
    return refuse(
      `${decision.by} may not fail the orchestrator over: it needs a member of ${orchestratorFailoverAuthority.groups.map((g) => `group ${g}`).join(' or ')}`,
    );
  return { ok: true, decision };
}
