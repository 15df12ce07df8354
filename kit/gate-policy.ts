import type { ApprovalPolicy, GroupRequirement } from './definition';
import type { GateDecision } from './messages';
import type { DecisionProof, GateRecord, RunState } from './status';

/**
 * Decides whether a vote counts. Pure, so the rules are unit-tested apart from Temporal:
 * the requester never votes, only eligible people vote, each votes once, and only on the open gate.
 * Returns the reason for refusal, or undefined when the vote counts.
 */
export function refusalOf(
  decision: 'approve' | 'reject',
  vote: GateDecision,
  gate: GateRecord | undefined,
  context: { requestedBy: string; state: RunState },
): string | undefined {
  if (!gate || gate.status !== 'open') {
    return context.state === 'succeeded' || context.state === 'failed' || context.state === 'aborted'
      ? `the run has already finished (${context.state}); there is nothing to ${decision}`
      : `no approval gate is open; the run is ${context.state}`;
  }
  if (vote.gate !== undefined && vote.gate !== gate.name) {
    return `gate "${vote.gate}" is not open; the open gate is "${gate.name}"`;
  }
  if (vote.by === context.requestedBy) {
    return `${vote.by} started this run and may not ${decision} its gates; ask ${listOr(gate.eligible)}`;
  }
  if (!gate.eligible.includes(vote.by)) {
    return `${vote.by} may not ${decision} gate "${gate.name}": it needs ${describeApprovers(gate)} (${listOr(gate.eligible)})`;
  }
  const earlier = gate.votes.find((v) => v.by === vote.by);
  if (earlier) return `${vote.by} already voted ${earlier.decision} on gate "${gate.name}" at ${earlier.at}; each person votes once`;
  return undefined;
}

/** Applies a counted vote: one rejection rejects, `quorum` distinct approvals approve. */
export function applyVote(gate: GateRecord, decision: 'approve' | 'reject', vote: GateDecision, at: string, verified?: DecisionProof): void {
  gate.votes.push({ by: vote.by, decision, at, ...(vote.comment ? { comment: vote.comment } : {}), ...(verified ? { verified } : {}) });
  if (decision === 'reject') {
    gate.status = 'rejected';
    gate.decidedAt = at;
  } else if (approvalsOf(gate) >= gate.quorum && unmetRequirementsOf(gate).length === 0) {
    gate.status = 'approved';
    gate.decidedAt = at;
  }
}

export function approvalsOf(gate: GateRecord): number {
  return gate.votes.filter((v) => v.decision === 'approve').length;
}

export function describeApprovers(gate: Pick<GateRecord, 'approvers' | 'quorum'> & { requires?: readonly GroupRequirement[] | undefined }): string {
  const who = [...(gate.approvers.groups ?? []).map((g) => `group ${g}`), ...(gate.approvers.users ?? []).map((u) => `user ${u}`)].join(' or ');
  const including = (gate.requires ?? []).map((r) => `${r.atLeast} of group ${r.group}`);
  return `${gate.quorum} approval${gate.quorum === 1 ? '' : 's'} from ${who || 'nobody'}${including.length > 0 ? `, including ${including.join(' and ')}` : ''}`;
}

/**
 * The group requirements a gate's approvals do not meet yet, each with how many more of that group it needs: a gate
 * with enough approvals but none from a group it requires stays open.
 */
export function unmetRequirementsOf(gate: Pick<GateRecord, 'votes' | 'requires'>): { group: string; missing: number }[] {
  const approvers = gate.votes.filter((v) => v.decision === 'approve').map((v) => v.by);
  return (gate.requires ?? [])
    .map((r) => ({ group: r.group, missing: r.atLeast - approvers.filter((by) => r.eligible.includes(by)).length }))
    .filter((r) => r.missing > 0);
}

/**
 * Whether a set of approvers meets a policy: `quorum` distinct people, and the number each required group asks for.
 * `groupsOf` says which groups a person is in (from the roster). Used where approvals are counted all at once, as a
 * member counts its plan's.
 */
export function meetsPolicy(
  approvers: readonly string[],
  policy: Pick<ApprovalPolicy, 'quorum' | 'requires'>,
  groupsOf: (by: string) => readonly string[],
): string | undefined {
  const distinct = [...new Set(approvers)];
  if (distinct.length < policy.quorum) return `${distinct.length} of the ${policy.quorum} approvals it needs`;
  for (const r of policy.requires ?? []) {
    const count = distinct.filter((by) => groupsOf(by).includes(r.group)).length;
    if (count < r.atLeast) return `${count} approval${count === 1 ? '' : 's'} from group ${r.group}, which it needs ${r.atLeast} of`;
  }
  return undefined;
}

function listOr(people: string[]): string {
  if (people.length === 0) return 'nobody (fix the roster)';
  return people.length === 1 ? people[0]! : `${people.slice(0, -1).join(', ')} or ${people.at(-1)}`;
}
