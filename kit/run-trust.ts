import type { SignedDecision } from './decisions/statement';
import type { RunIdentity } from './decisions/verify';
import type { PlanSigner } from './plan-approval';
import type { Roster } from './roster';
import type { RunTrustStatus } from './status';

/**
 * What a run that takes only signed decisions knows: who it is (as statements name it), the roster it checks
 * signatures against, and the proof of its start, which a child run it starts (a live drill's failback) inherits.
 * Its own file, because both the run's record (which shows it) and the signature checks (which use it) need it.
 */
export interface RunTrust {
  readonly identity: RunIdentity;
  roster: Roster;
  start: RunTrustStatus['start'];
  startProof?: SignedDecision;
  /**
   * The recovery plan run that started this run, as the run's start proved it, and the plan's approval it checked
   * (plan-approval.ts), which stands for the run's delegable gates. Absent for a run no plan started.
   */
  delegation?: PlanDelegation;
}

/** The plan run a member's start proved is its parent, and the signers of that plan's approval it checked. */
export interface PlanDelegation {
  plan: string;
  workflowId: string;
  /** Temporal's first run ID of the plan's run, which its statements name. */
  runId: string;
  /** The digest of the plan run's input, which its statements name. */
  inputDigest: string;
  member: string;
  /** Empty when the plan sent no approval (its gate was approved by a drill's policy): the member's gates then wait. */
  signers: PlanSigner[];
}
