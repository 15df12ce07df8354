import { RECOVERY_PLAN_TYPE } from '../../kit';
import type { EvidenceFinding } from '../../lib/evidence/findings';
import type { EvidenceManifest } from '../../lib/evidence/manifest';
import { checkPlanDelegation, type MemberRunRecord, type PlanRunRecord } from '../verify/plan-delegation';
import { planOfRun } from '../verify/runbook-of';
import type { RunVerification } from '../verify/verify-run';

/** A plan run as its archived bundle shows it: what its members' delegations are checked against. */
interface ArchivedPlan {
  record: PlanRunRecord;
  /** The Temporal runs of its carry-over chain, as its sealed manifest names them. */
  temporalRunIds: readonly string[];
}

/** A member run as its archived bundle shows it, waiting for its plan's bundle. */
interface ArchivedMember {
  key: string;
  runId: string;
  record: Omit<MemberRunRecord, 'parent'>;
}

/**
 * A plan's members are bundles of their own, so a member's delegation (that the plan's approval it carries is the one
 * the plan run's gate counted, from the plan run that started it) is checked across bundles: each bundle's re-check
 * notes the plans and members it read, and once all are read each member is checked against its plan's bundle with
 * `lifeboat verify`'s own `checkPlanDelegation`. A member whose plan's bundle is not among those read (the plan is
 * still running, or outside the chains asked about) is left to `lifeboat verify` against the server.
 */
export class PlanDelegations {
  private readonly plans: ArchivedPlan[] = [];
  private readonly members: ArchivedMember[] = [];

  /** Notes a verified bundle that is a plan run or a member a plan started. */
  note(key: string, manifest: EvidenceManifest, namespace: string, verified: RunVerification): void {
    const plan = verified.history.workflowType === RECOVERY_PLAN_TYPE ? planOfRun(manifest.runId) : undefined;
    if (plan) {
      const status = verified.status?.value;
      this.plans.push({ record: { plan, namespace, first: verified.first, ...(status ? { status } : {}) }, temporalRunIds: manifest.temporalRunIds });
    }
    const parent = verified.first.parent;
    if (!parent || !planOfRun(parent.workflowId)) return;
    const planAborts = verified.report.decisions.filter((d) => d.message === 'plan-abort' && d.verified && d.counted !== false && d.nonce).map((d) => d.nonce!);
    const status = verified.status?.value;
    this.members.push({
      key,
      runId: manifest.runId,
      record: { first: verified.first, roster: verified.history.rosters[0]?.roster, planAborts, ...(status ? { status } : {}) },
    });
  }

  /** Each member's delegation checked against its plan's bundle, as findings. */
  settle(): EvidenceFinding[] {
    const findings: EvidenceFinding[] = [];
    for (const member of this.members) {
      const parent = member.record.first.parent!;
      const plan = this.plans.find((p) => p.record.first.workflowId === parent.workflowId && p.temporalRunIds.includes(parent.runId));
      if (!plan) continue;
      // The plan's bundle names the run that started the member among its own: that run's chain began with the plan's first.
      const checked = checkPlanDelegation(plan.record, { ...member.record, parent: plan.record.first });
      for (const problem of checked.problems)
        findings.push({
          key: member.key,
          runId: member.runId,
          check: 'decisions',
          message: `${member.key}: the delegation of ${member.runId} from plan run ${parent.workflowId} (run ${parent.runId}) does not hold against the plan's bundle: ${problem}`,
        });
    }
    return findings;
  }
}
