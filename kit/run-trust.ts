import type { SignedDecision } from './decisions/statement';
import type { RunIdentity } from './decisions/verify';
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
}
