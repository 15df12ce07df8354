import type { CarryOver } from './carry-over';
import type { RunbookDefinition } from './definition';
import type { Gates } from './gates';
import type { Interventions } from './interventions';
import type { Notices } from './notices';
import type { ResetWatch } from './reset-watch';
import type { RunRecord } from './run-record';
import type { SignatureChecks } from './signature-checks';
import type { Steps } from './steps';

/**
 * The parts one run is made of, each along one seam, as each part sees the others: a step may open a gate again
 * after a reset, a gate reads the roster through a step, and every part writes to the record. Built by `Run`.
 */
export interface RunParts<A> {
  readonly definition: RunbookDefinition;
  readonly record: RunRecord;
  readonly notices: Notices;
  readonly checks: SignatureChecks;
  readonly steps: Steps<A>;
  readonly interventions: Interventions;
  readonly gates: Gates<A>;
  readonly carryOver: CarryOver;
  readonly resets: ResetWatch<A>;
}
