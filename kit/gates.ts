import { ApplicationFailure, condition } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time';
import type { SignedDecision } from './decisions/statement';
import { proofOf, type VerifiedDecision } from './decisions/verify';
import type { GateSpec, StepSpec } from './definition';
import { DecisionRefusal, ErrorType, RunAborted } from './errors';
import { gateLookupName } from './gate-lookup';
import { applyVote, approvalsOf, describeApprovers, refusalOf } from './gate-policy';
import { kitActivities } from './kit-activities';
import type { GateDecision, GateReceipt } from './messages';
import { resolveApprovers, rosterDigest, type Roster } from './roster';
import { SYSTEM } from './run-record';
import type { GatesPart, RunParts } from './run-parts';
import type { GateRecord } from './status';
import { traceWait } from './trace';

/** A vote as the kit counts it, with the verified decision behind it when it was signed. */
type SignedVote = GateDecision & { verified?: VerifiedDecision; signed?: SignedDecision };

/** The approval gates of a run: who may approve, the wait with its escalations and expiry, and the votes. */
export class Gates implements GatesPart {
  /** The gate waiting for votes now, if any. */
  open: GateRecord | undefined;
  /** The last gate passed by people's votes, which a reset run reopens before it acts again. */
  lastPassed: GateSpec | undefined;

  constructor(private readonly run: RunParts) {}

  /**
   * Opens an approval gate and waits for its policy to be met. Escalates on the policy's
   * schedule; on expiry aborts the run unless the policy says to proceed. A rejection aborts.
   * Returns the gate's record: who voted, and when.
   */
  async gate(spec: GateSpec): Promise<GateRecord> {
    const { record, carryOver, notices, steps } = this.run;
    const { status } = record;
    steps.throwIfAbortRequested();
    const key = carryOver.memory.next(`gate:${spec.name}`);
    if (carryOver.memory.recall(key)) {
      this.lastPassed = spec;
      return lastRecordOf(status.gates, spec.name)!;
    }
    if (status.drill?.approvals === 'policy') {
      const approved = this.approveByDrillPolicy(spec);
      carryOver.memory.remember(key, { result: 'passed' });
      this.lastPassed = spec;
      return approved;
    }
    const delegated = this.approveByPlan(spec);
    if (delegated) {
      carryOver.memory.remember(key, { result: 'passed' });
      this.lastPassed = spec;
      return delegated;
    }
    const eligible = await this.resolveEligible(spec);
    const { policy } = spec;
    // A run that carried itself over while waiting here reopens the same gate, votes, deadline and all.
    const carried = record.resuming ? status.gates.find((g) => g.name === spec.name && g.status === 'open') : undefined;
    record.resuming = false;
    const gate = carried ?? this.openNew(spec, eligible);
    const openedAt = Date.parse(gate.openedAt);
    const expiresAt = Date.parse(gate.expiresAt);
    this.open = gate;
    record.setState('waiting-approval');
    if (carried) record.audit(SYSTEM, 'continued-as-new', `carried over (${status.carriedOver}) while gate ${spec.name} waits; its votes stand`);
    else {
      record.audit(SYSTEM, 'gate-opened', `${spec.name}: needs ${describeApprovers(gate)}${status.trust ? `; roster ${status.trust.rosterDigest}` : ''}`);
      await notices.send(
        'approval-needed',
        `Approval needed: ${spec.title}`,
        `${describeApprovers(gate)}. Approve with: lifeboat approve ${status.runId}`,
        eligible,
      );
    }

    let nextEscalation = openedAt + msToNumber(policy.escalateAfter) + gate.escalations * msToNumber(policy.escalateEvery);
    while (gate.status === 'open' && !status.abortRequested) {
      const wakeAt = Math.min(nextEscalation, expiresAt);
      const decided = await condition(() => gate.status !== 'open' || status.abortRequested !== undefined || carryOver.due(), Math.max(1, wakeAt - Date.now()));
      if (decided && gate.status === 'open' && !status.abortRequested && carryOver.due()) await carryOver.continueAsNew();
      if (decided) break;
      if (Date.now() >= expiresAt) {
        gate.status = 'expired';
        gate.decidedAt = record.now();
        record.audit(SYSTEM, 'gate-expired', `${spec.name}: ${approvalsOf(gate)}/${gate.quorum} approvals; policy says ${policy.onExpiry}`);
        break;
      }
      gate.escalations++;
      record.metrics.gateEscalated(spec.name);
      nextEscalation += msToNumber(policy.escalateEvery);
      record.audit(SYSTEM, 'gate-escalated', `${spec.name}: escalation ${gate.escalations}, ${approvalsOf(gate)}/${gate.quorum} approvals`);
      const undelivered = status.notifications?.lastFailure;
      await notices.send(
        'escalation',
        `Still waiting for approval: ${spec.title}`,
        `Escalation ${gate.escalations}: ${approvalsOf(gate)} of ${gate.quorum} approvals; the gate expires at ${gate.expiresAt}.${
          undelivered ? ` An earlier notification was not delivered (${undelivered.kind}: ${undelivered.error}).` : ''
        }`,
        eligible,
      );
    }
    this.finish(spec, gate, key);
    return gate;
  }

  /** The vote a gate message carries: a verified signed decision. */
  voteOf(decision: 'approve' | 'reject', raw: unknown): SignedVote {
    const { checks } = this.run;
    const verified = checks.accept([decision], raw);
    const { gate, comment } = verified.body;
    if (typeof gate !== 'string') throw new DecisionRefusal(`a signed ${decision} must name the gate it answers`, verified.by);
    return { by: verified.by, gate, ...(typeof comment === 'string' && comment ? { comment } : {}), verified, signed: raw as SignedDecision };
  }

  refusalOf(decision: 'approve' | 'reject', vote: SignedVote): string | undefined {
    return refusalOf(decision, vote, this.open, this.run.record.status);
  }

  /** Counts a vote on the open gate, or throws why it cannot count. */
  decide(decision: 'approve' | 'reject', vote: SignedVote): GateReceipt {
    const { record, checks } = this.run;
    const refusal = this.refusalOf(decision, vote);
    if (refusal) throw new DecisionRefusal(refusal, vote.by);
    const gate = this.open!;
    const proof = vote.verified ? proofOf(vote.verified) : undefined;
    if (vote.verified) checks.consume(vote.verified);
    if (vote.signed) checks.counted.push(vote.signed);
    applyVote(gate, decision, vote, record.now(), proof);
    record.audit(
      vote.by,
      decision === 'approve' ? 'approved' : 'rejected',
      `gate ${gate.name}: ${approvalsOf(gate)}/${gate.quorum} approvals`,
      vote.comment,
      proof,
    );
    return { gate: gate.name, status: gate.status, approvals: approvalsOf(gate), quorum: gate.quorum };
  }

  private openNew(spec: GateSpec, eligible: string[]): GateRecord {
    const { policy } = spec;
    const openedAt = Date.now();
    const expiresAt = openedAt + msToNumber(policy.expireAfter);
    const gate: GateRecord = {
      name: spec.name,
      title: spec.title,
      status: 'open',
      openedAt: new Date(openedAt).toISOString(),
      quorum: policy.quorum,
      approvers: policy.approvers,
      eligible,
      votes: [],
      escalations: 0,
      expiresAt: new Date(expiresAt).toISOString(),
      onExpiry: policy.onExpiry,
      ...(policy.requires ? { requires: this.requirementsOf(policy, eligible) } : {}),
    };
    this.run.record.status.gates.push(gate);
    return gate;
  }

  /** Each group a policy requires, with the gate's eligible people in it (the roster the gate lookup loaded). */
  private requirementsOf(policy: GateSpec['policy'], eligible: readonly string[]): NonNullable<GateRecord['requires']> {
    const roster = this.run.checks.trust.roster;
    return (policy.requires ?? []).map((r) => ({
      group: r.group,
      atLeast: r.atLeast,
      eligible: eligible.filter((id) => roster.people.some((p) => p.id === id && p.groups.includes(r.group))),
    }));
  }

  /**
   * The gate approved by the recovery plan that started this run, when the run's start proved such an approval (see
   * plan-approval.ts) and the gate lets a plan decide for it. The votes are the plan's signers, each with the key that
   * signed; the gate names the plan's run. A gate marked `delegable: false`, or any gate after Temporal reset this run,
   * waits for its own people instead.
   */
  private approveByPlan(spec: GateSpec): GateRecord | undefined {
    const { record, checks, resets } = this.run;
    const delegation = checks.trust.delegation;
    if (!delegation || delegation.signers.length === 0) return undefined;
    if (spec.delegable === false) {
      record.audit(SYSTEM, 'not-delegated', `${spec.name}: this gate is not delegable, so plan run ${delegation.workflowId}'s approval does not stand for it`);
      return undefined;
    }
    if (resets.resetAtMs !== undefined) {
      record.audit(SYSTEM, 'not-delegated', `${spec.name}: Temporal reset this run, so the plan's approval, given before the reset, does not stand for it`);
      return undefined;
    }
    const gate = this.passedWithoutWaiting(
      spec,
      delegation.signers.map((s) => ({ by: s.by, decision: 'approve' as const, at: s.issuedAt, verified: s.proof })),
      { delegatedFrom: { plan: delegation.plan, workflowId: delegation.workflowId, runId: delegation.runId } },
    );
    for (const signer of delegation.signers) {
      record.audit(
        signer.by,
        'approved',
        `gate ${spec.name}: by the approval of plan run ${delegation.workflowId} (${delegation.plan})`,
        undefined,
        signer.proof,
      );
    }
    return gate;
  }

  /** Ends a gate's wait: a gate left open by an abort is closed; a rejection or an expiry that says so aborts. */
  private finish(spec: GateSpec, gate: GateRecord, key: string): void {
    const { record, carryOver, resets, steps } = this.run;
    const { policy } = spec;
    this.open = undefined;
    if (gate.status === 'open') {
      // Aborted while waiting: the gate is closed, so status offers no vote on it any more.
      gate.status = 'closed';
      gate.decidedAt = record.now();
    }
    record.metrics.gateClosed(gate.name, gate.status, Date.now() - Date.parse(gate.openedAt));
    traceWait(`gate:${gate.name}`, Date.parse(gate.openedAt), Date.now(), {
      'lifeboat.runbook': record.status.runbook,
      'lifeboat.gate': gate.name,
      'lifeboat.gate.outcome': gate.status,
      'lifeboat.gate.approvals': approvalsOf(gate),
      'lifeboat.gate.quorum': gate.quorum,
      'lifeboat.gate.escalations': gate.escalations,
    });
    steps.throwIfAbortRequested();
    if (gate.status === 'rejected') {
      const rejection = gate.votes.find((v) => v.decision === 'reject')!;
      throw new RunAborted(`gate "${spec.name}" rejected by ${rejection.by}${rejection.comment ? `: ${rejection.comment}` : ''}`, rejection.by);
    }
    if (gate.status === 'expired' && policy.onExpiry === 'abort') {
      throw new RunAborted(`gate "${spec.name}" expired without ${describeApprovers(gate)}`, SYSTEM);
    }
    carryOver.memory.remember(key, { result: 'passed' });
    if (gate.status === 'approved') {
      this.lastPassed = spec;
      // Its votes all came after any reset (those before were dropped), so they cover the steps that follow.
      resets.pending = false;
    }
    record.setState('running');
  }

  /**
   * Records a gate approved the moment it opened, by votes given elsewhere (a drill's policy, a plan's signers), and
   * adds it to status.
   */
  private passedWithoutWaiting(spec: GateSpec, votes: GateRecord['votes'], extra: Pick<GateRecord, 'delegatedFrom'> = {}): GateRecord {
    const at = this.run.record.now();
    const gate: GateRecord = {
      name: spec.name,
      title: spec.title,
      status: 'approved',
      openedAt: at,
      decidedAt: at,
      quorum: spec.policy.quorum,
      approvers: spec.policy.approvers,
      eligible: [],
      votes,
      escalations: 0,
      expiresAt: at,
      onExpiry: spec.policy.onExpiry,
      ...extra,
    };
    this.run.record.status.gates.push(gate);
    return gate;
  }

  /** In a drill whose policy approves, the gate is recorded as approved by the policy, not by a person. */
  private approveByDrillPolicy(spec: GateSpec): GateRecord {
    const { record } = this.run;
    const gate = this.passedWithoutWaiting(spec, [{ by: 'drill-policy', decision: 'approve', at: record.now() }]);
    record.audit('drill-policy', 'approved', `gate ${spec.name}: approved by the drill's policy, no person asked`);
    return gate;
  }

  /**
   * Reads the roster on the worker when the gate opens, so a change of who is on call applies to
   * the next gate. A policy nobody can satisfy goes to an operator instead of waiting until expiry.
   */
  private async resolveEligible(spec: GateSpec): Promise<string[]> {
    const { record, checks, steps } = this.run;
    const rosterStep: StepSpec = {
      kind: 'step',
      name: gateLookupName(spec.name),
      title: `Find who may approve ${spec.name}`,
      retry: { maximumAttempts: 2 },
    };
    return steps.step(rosterStep, async () => {
      const roster = await kitActivities.loadRoster();
      this.useRoster(roster);
      const { eligible, unknown } = resolveApprovers(roster, spec.policy.approvers);
      // A person without a key or passkey cannot sign, so cannot count towards a quorum.
      const canSign = (id: string) => roster.people.some((x) => x.id === id && x.keys.length + (x.passkeys?.length ?? 0) > 0);
      const candidates = eligible.filter((p) => p !== record.status.requestedBy && canSign(p));
      if (candidates.length < spec.policy.quorum) {
        const missing = unknown.length > 0 ? `; the roster lacks ${unknown.join(', ')}` : '';
        throw ApplicationFailure.nonRetryable(
          `gate "${spec.name}" needs ${spec.policy.quorum} approver(s) but only ${candidates.length} eligible person(s) besides the requester are on the roster (${candidates.join(', ') || 'none'})${missing}. Fix the roster, then retry`,
          ErrorType.RosterInvalid,
        );
      }
      for (const r of spec.policy.requires ?? []) {
        const inGroup = candidates.filter((id) => roster.people.some((p) => p.id === id && p.groups.includes(r.group)));
        if (inGroup.length < r.atLeast) {
          throw ApplicationFailure.nonRetryable(
            `gate "${spec.name}" needs ${r.atLeast} approver(s) from group ${r.group} but only ${inGroup.length} besides the requester can sign (${inGroup.join(', ') || 'none'}). Fix the roster, then retry`,
            ErrorType.RosterInvalid,
          );
        }
      }
      if (unknown.length > 0) record.audit(SYSTEM, 'roster-warning', `gate ${spec.name} names ${unknown.join(', ')}, which the roster lacks`);
      return candidates;
    });
  }

  /** Checks decisions against this roster from now on, and says so in status (the digest an auditor compares). */
  private useRoster(roster: Roster): void {
    const { checks, record } = this.run;
    checks.trust.roster = roster;
    if (record.status.trust) record.status.trust.rosterDigest = rosterDigest(roster);
  }
}

/** The latest record of the gate named `name`: what a carried-over run recalls of a gate passed before it. */
function lastRecordOf(gates: readonly GateRecord[], name: string): GateRecord | undefined {
  for (let i = gates.length - 1; i >= 0; i--) if (gates[i]!.name === name) return gates[i];
  return undefined;
}
