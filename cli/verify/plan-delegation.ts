import { PLAN_GATE, type RecoveryPlanDefinition, type RunStatus } from '../../kit';
import { checkPlanApproval, Roster, type PlanApprovalVerdict } from '../../kit/trust';
import type { RunLifecycle } from './lifecycle';
import { runName, startRequestOf } from './start-statement';

/** A recovery plan's run as verify read it from Temporal: what a member's delegation is checked against. */
export interface PlanRunRecord {
  plan: RecoveryPlanDefinition;
  namespace: string;
  /** The plan's first run: its start event names the workflow, run, input, requester and time its approvals must name. */
  first: RunLifecycle;
  /** The plan's own status (its result or a live answer): its gate says which approvals it counted. */
  status?: RunStatus;
}

/** A member's run as verify read it from Temporal. */
export interface MemberRunRecord {
  /** The member's first run: its start event names its parent and carries the plan's start and approvals. */
  first: RunLifecycle;
  /** The parent run Temporal recorded, read from the parent's own history; undefined when none or unreadable. */
  parent?: RunLifecycle;
  /** The roster the member loaded first, which its start check read the plan's approvals against. */
  roster: unknown;
  /** The member's own status: which of its gates it let the plan's approval stand for. */
  status?: RunStatus;
  /** Nonces of the plan aborts (`plan-abort`) the member took, whose signatures verify re-checked for the plan run. */
  planAborts?: string[];
}

/** What verify found of one member's delegation: who approved for it, and what fails. */
export interface DelegationFindings {
  /** The plan's signers whose approval the member carries and which holds. */
  signers: string[];
  /** Its gates that took the plan's approval. */
  delegatedGates: string[];
  notes: string[];
  problems: string[];
}

/**
 * Checks, purely, that a member run's delegation is this plan run's, from Temporal's records rather than the member's
 * word: its parent is this plan run (same workflow and first run); the approvals its start carries pass the kit's own
 * plan-approval check against the plan's start event and the roster the member loaded; they are exactly the approvals
 * the plan's gate counted (by nonce); and each gate it marked as approved by a plan names this plan run and has the
 * plan's signers, with their keys, as its votes.
 */
export function checkPlanDelegation(planRun: PlanRunRecord, member: MemberRunRecord): DelegationFindings {
  const found: DelegationFindings = { signers: [], delegatedGates: [], notes: [], problems: [] };
  const plan = planRun.first;
  const planName = runName(plan.workflowId, plan.firstExecutionRunId);
  const parent = member.first.parent;
  if (!parent) return { ...found, problems: [`it was started by no run, so not by plan run ${planName}`] };
  if (parent.workflowId !== plan.workflowId) return { ...found, problems: [`it was started by ${parent.workflowId}, not by plan run ${planName}`] };
  if (!member.parent)
    return { ...found, problems: [`its parent ${runName(parent.workflowId, parent.runId)} cannot be read, so that it is plan run ${planName} cannot be told`] };
  if (member.parent.firstExecutionRunId !== plan.firstExecutionRunId) {
    return {
      ...found,
      problems: [
        `it was started by run ${parent.runId} of ${parent.workflowId}, whose chain began with run ${member.parent.firstExecutionRunId}: another run of that plan, not this plan run ${planName}`,
      ],
    };
  }

  const approvals = (member.first.request as { planApproval?: unknown } | null | undefined)?.planApproval;
  const carried = Array.isArray(approvals) ? approvals : [];
  const counted = countedPlanApprovals(planRun.status);
  let verdict: PlanApprovalVerdict | undefined;
  if (approvals !== undefined) {
    verdict = checkApprovals(planRun, approvals, member.roster);
    if (!verdict.ok) found.problems.push(`the plan's approval it carries does not hold: ${verdict.reason}`);
    else found.signers = verdict.signers.map((s) => s.by);
  }
  const carriedNonces = carried.map((a) => nonceOf(a)).filter((n): n is string => n !== undefined);
  if (!counted) {
    if (carried.length > 0)
      found.problems.push(
        `plan run ${planName}'s status cannot be read, so whether the approvals it carries are the ones the plan's gate counted cannot be told`,
      );
  } else if (
    !sameSet(
      carriedNonces,
      counted.map((c) => c.nonce),
    )
  ) {
    const list = (items: { by: string; nonce: string }[]) => items.map((i) => `${i.by} (nonce ${i.nonce})`).join(', ') || 'none';
    found.problems.push(
      `the approvals it carries, ${list(carried.map((a) => ({ by: byOf(a), nonce: nonceOf(a) ?? '?' })))}, are not the ones plan run ${planName}'s gate ${PLAN_GATE} counted, ${list(counted)}`,
    );
  }

  const planCounted = countedByPlan(planRun.status);
  for (const nonce of member.planAborts ?? []) {
    if (!planCounted)
      found.problems.push(`it took a plan's abort (nonce ${nonce}), but plan run ${planName}'s status cannot be read to tell whether the plan counted it`);
    else if (!planCounted.has(nonce)) found.problems.push(`it took a plan's abort (nonce ${nonce}) that plan run ${planName} never counted`);
  }

  if (!member.status) {
    found.notes.push("its status cannot be read, so which of its gates took the plan's approval cannot be checked");
    return found;
  }
  const trust = member.status.trust;
  if (trust?.start.delegatedBy !== undefined && trust.start.delegatedBy !== plan.workflowId)
    found.problems.push(`its status says ${trust.start.delegatedBy} started it, not plan run ${planName}`);
  const recorded = trust?.planApproval;
  if (recorded && (recorded.workflowId !== plan.workflowId || recorded.runId !== plan.firstExecutionRunId || recorded.plan !== planRun.plan.id)) {
    found.problems.push(`its status records the approval of plan run ${runName(recorded.workflowId, recorded.runId)} (${recorded.plan}), not of ${planName}`);
  }
  for (const gate of member.status.gates) {
    const from = gate.delegatedFrom;
    if (!from) continue;
    found.delegatedGates.push(gate.name);
    if (from.workflowId !== plan.workflowId || from.runId !== plan.firstExecutionRunId || from.plan !== planRun.plan.id) {
      found.problems.push(`its gate ${gate.name} counts the approval of plan run ${runName(from.workflowId, from.runId)} (${from.plan}), not of ${planName}`);
      continue;
    }
    if (!verdict?.ok) {
      found.problems.push(`its gate ${gate.name} counts the plan's approval, which ${verdict ? 'does not hold' : 'its start does not carry'}`);
      continue;
    }
    const votes = gate.votes.map((v) => `${v.by} ${v.decision} ${v.verified?.nonce ?? 'unsigned'} ${v.verified?.fingerprint ?? '-'}`);
    const signers = verdict.signers.map((s) => `${s.by} approve ${s.proof.nonce} ${s.proof.fingerprint}`);
    if (!sameSet(votes, signers)) {
      found.problems.push(
        `its gate ${gate.name}'s votes (${gate.votes.map((v) => v.by).join(', ') || 'none'}) are not the plan's signers with their keys (${verdict.signers.map((s) => s.by).join(', ')})`,
      );
    }
  }
  return found;
}

/** The kit's own check of a plan's approval, as the member ran it, with the plan's facts from its start event. */
function checkApprovals(planRun: PlanRunRecord, approvals: unknown, rosterValue: unknown): PlanApprovalVerdict {
  const roster = Roster.safeParse(rosterValue);
  if (!roster.success) return { ok: false, reason: 'the roster the member loaded cannot be read, so the approval cannot be checked against it' };
  const start = startRequestOf(planRun.first.request);
  return checkPlanApproval(
    {
      plan: planRun.plan,
      namespace: planRun.namespace,
      workflowId: planRun.first.workflowId ?? '',
      runId: planRun.first.firstExecutionRunId,
      input: start.input,
      startedMs: Date.parse(planRun.first.startedAt),
      requestedBy: start.statement?.by ?? start.requestedBy ?? '',
    },
    approvals,
    roster.data,
  );
}

/** The signed approvals the plan's gate counted, by who and nonce; undefined without the plan's status. */
export function countedPlanApprovals(status: RunStatus | undefined): { by: string; nonce: string }[] | undefined {
  if (!status) return undefined;
  const gate = status.gates.find((g) => g.name === PLAN_GATE);
  return (gate?.votes ?? []).flatMap((v) => (v.decision === 'approve' && v.verified ? [{ by: v.by, nonce: v.verified.nonce }] : []));
}

/** The nonces of every signed decision the plan run counted: its start, its gate's votes and its audited decisions. */
function countedByPlan(status: RunStatus | undefined): Set<string> | undefined {
  if (!status) return undefined;
  return new Set([
    ...(status.trust?.start.verified ? [status.trust.start.verified.nonce] : []),
    ...status.gates.flatMap((g) => g.votes.flatMap((v) => (v.verified ? [v.verified.nonce] : []))),
    ...status.audit.flatMap((a) => (a.verified ? [a.verified.nonce] : [])),
  ]);
}

/** The nonces of the plan approvals a member's start request carries, read without trusting them. */
export function carriedApprovalNonces(request: unknown): Set<string> {
  const approvals = (request as { planApproval?: unknown } | null | undefined)?.planApproval;
  return new Set((Array.isArray(approvals) ? approvals : []).map(nonceOf).filter((n): n is string => n !== undefined));
}

function statementOf(message: unknown): Record<string, unknown> | undefined {
  const text = (message as { statement?: unknown } | null | undefined)?.statement;
  if (typeof text !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function nonceOf(message: unknown): string | undefined {
  const nonce = statementOf(message)?.nonce;
  return typeof nonce === 'string' ? nonce : undefined;
}

function byOf(message: unknown): string {
  const by = statementOf(message)?.by;
  return typeof by === 'string' ? by.slice(0, 64) : 'unknown';
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
