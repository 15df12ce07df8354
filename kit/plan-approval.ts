import { canonicalJson, CLOCK_SKEW_MS, digestOf } from './decisions/statement';
import { proofOf, verifySignedDecision } from './decisions/verify';
import { meetsPolicy } from './gate-policy';
import { PLAN_GATE } from './plan-names';
import type { RecoveryPlanDefinition } from './recovery-plan';
import { resolveApprovers, type Roster } from './roster';
import type { DecisionProof } from './status';

/** A plan's approval as a member carries it: the signed approvals its plan's gate counted. Bounded, as every message is. */
export const MAX_PLAN_APPROVALS = 8;

/** The plan run a member was started by, as the member read it from Temporal (never from its own input). */
export interface PlanRunFacts {
  plan: RecoveryPlanDefinition;
  namespace: string;
  workflowId: string;
  /** Temporal's first run ID of the plan's chain, which its statements name. */
  runId: string;
  /** The plan run's input, as Temporal recorded its start. */
  input: unknown;
  /** When Temporal started the plan run. */
  startedMs: number;
  /** Who started the plan, proven by its signed start; never one of its approvers. */
  requestedBy: string;
}

/** One person whose approval of the plan a member counted. */
export interface PlanSigner {
  by: string;
  issuedAt: string;
  proof: DecisionProof;
}

export type PlanApprovalVerdict = { ok: true; signers: PlanSigner[] } | { ok: false; reason: string };

/**
 * Checks, purely, that `approvals` are the plan's approval: each a signed `approve` of the plan's gate, for that plan
 * run (namespace, workflow ID, first run ID, input), signed after the run began by a person the plan's own gate policy
 * accepts on this roster; no requester, nobody twice, and together the policy's quorum and groups. A statement's
 * expiry is judged as of its issue: the plan counted it then, and the member meets it later, after the members before
 * it finished. The same answer in the member's workflow, on replay and in `lifeboat verify`.
 */
export function checkPlanApproval(run: PlanRunFacts, approvals: unknown, roster: Roster): PlanApprovalVerdict {
  const where = `plan run ${run.workflowId}`;
  if (!Array.isArray(approvals) || approvals.length === 0) return { ok: false, reason: `no approval of ${where} came with the start` };
  if (approvals.length > MAX_PLAN_APPROVALS)
    return { ok: false, reason: `${approvals.length} approvals came with the start; a plan's approval is at most ${MAX_PLAN_APPROVALS}` };
  const policy = run.plan.gate.policy;
  const eligible = resolveApprovers(roster, policy.approvers).eligible;
  const signers: PlanSigner[] = [];
  for (const raw of approvals) {
    const verdict = verifySignedDecision(['approve'], raw, {
      namespace: run.namespace,
      workflowId: run.workflowId,
      runId: run.runId,
      inputDigest: digestOf(run.input),
      nowMs: run.startedMs,
      asOfIssue: true,
      roster,
      used: new Set<string>(),
    });
    if (!verdict.ok) return { ok: false, reason: `an approval of ${where} by ${verdict.claimed} does not hold: ${verdict.reason}` };
    const { decision } = verdict;
    if (decision.body.gate !== PLAN_GATE)
      return { ok: false, reason: `${decision.by}'s approval answers gate ${String(decision.body.gate)}, not the plan's gate ${PLAN_GATE}` };
    if (Date.parse(decision.issuedAt) < run.startedMs - CLOCK_SKEW_MS)
      return { ok: false, reason: `${decision.by}'s approval was signed before ${where} began` };
    if (decision.by === run.requestedBy) return { ok: false, reason: `${decision.by} started ${where} and may not approve it` };
    if (!eligible.includes(decision.by)) return { ok: false, reason: `${decision.by} is not among those the plan's gate accepts on this roster` };
    if (signers.some((s) => s.by === decision.by)) return { ok: false, reason: `${decision.by} approved ${where} twice; each person counts once` };
    signers.push({ by: decision.by, issuedAt: decision.issuedAt, proof: proofOf(decision) });
  }
  const groupsOf = (by: string) => roster.people.find((p) => p.id === by)?.groups ?? [];
  const short = meetsPolicy(
    signers.map((s) => s.by),
    policy,
    groupsOf,
  );
  if (short) return { ok: false, reason: `the approval of ${where} has ${short}` };
  return { ok: true, signers };
}

/**
 * The member of `plan` that a run of `runbookId` on `input` is, for the plan's input: the member whose runbook is that
 * one and whose derived input is the same, field for field. Undefined when the plan lists no such member, so a plan
 * run can start exactly what its definition says, and nothing else under its name.
 */
export function planMemberFor(plan: RecoveryPlanDefinition, planInput: unknown, runbookId: string, input: unknown): string | undefined {
  const parsed = plan.input.safeParse(planInput);
  if (!parsed.success) return undefined;
  const wanted = canonicalJson(input);
  for (const [name, member] of Object.entries(plan.members)) {
    if (member.runbook.id !== runbookId) continue;
    if (canonicalJson(member.input(parsed.data)) === wanted) return name;
  }
  return undefined;
}
