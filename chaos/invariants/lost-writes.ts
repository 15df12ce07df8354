import type { RunStatus } from '../../kit';
import type { Violation } from '../world-types';
import type { ServiceLoadMeasure } from './load';

export const PLANNED_LOSES_NOTHING = 'a planned failover loses no acknowledged write';
export const EMERGENCY_WITHIN_RPO = 'an emergency failover loses no more than its recorded RPO';
export const LOSS_UNCHECKED = 'acknowledged writes could be checked';

/**
 * The RPO one run recorded for one service: the run's status `measurements.rpoWrites` / `rpoSeconds` (the switch's
 * `SwitchResult.rpo.lostAcknowledgedBookings` / `seconds`; the report's `measurements`). Absent where it measured none.
 */
export interface RecordedRpo {
  service: string;
  lostWrites?: number;
  seconds?: number;
}

/** The RPO a run recorded, from its report or status: the service it moved (`target`) and its `measurements`. */
export function recordedRpoOf(run: Pick<RunStatus, 'target' | 'measurements'>): RecordedRpo {
  const m = run.measurements ?? {};
  return {
    service: run.target,
    ...(m.rpoWrites !== undefined ? { lostWrites: m.rpoWrites } : {}),
    ...(m.rpoSeconds !== undefined ? { seconds: m.rpoSeconds } : {}),
  };
}

export type LossExpectation = { mode: 'planned' } | { mode: 'emergency'; recordedRpo: RecordedRpo[] };

/**
 * The recorded RPO in seconds and the measured reach of the loss come from two clocks: the run counts from the
 * standby's last replayed commit to the last acknowledgement in the load's counter file, which the load rewrites at
 * most twice a second, so a request that hangs right after the last acknowledgement (the source just died) leaves the
 * file up to 0.5 s behind. Measured against this load, such a run recorded 0.56 s for a loss reaching back 1.01 s.
 * This much more than recorded is still within it, as the report's RTO is held to the second.
 */
export const RPO_SECONDS_SLACK = 1;

const keysOf = (m: ServiceLoadMeasure) => `${m.lost} of ${m.acknowledged} acknowledged writes lost (first: ${m.lostKeys.join(', ')})`;

/**
 * A planned failover loses no acknowledged write. An emergency one loses no more than the run recorded: no more
 * writes than its `lostWrites`, and reaching no further back than its `seconds` (plus the slack above); a service
 * that lost writes with no RPO recorded for it lost more than recorded. A load whose writes could not be checked
 * is a violation of its own: the loss cannot be vouched for.
 */
export function checkLostWrites(measured: ServiceLoadMeasure[], expectation: LossExpectation): Violation[] {
  const violations: Violation[] = [];
  for (const m of measured) {
    if (m.uncheckable !== undefined) {
      violations.push({ invariant: LOSS_UNCHECKED, evidence: `${m.service}: ${m.acknowledged} acknowledged writes, unchecked: ${m.uncheckable}` });
      continue;
    }
    if (m.lost === 0) continue;
    if (expectation.mode === 'planned') {
      violations.push({ invariant: PLANNED_LOSES_NOTHING, evidence: `${m.service}: ${keysOf(m)}` });
      continue;
    }
    const recorded = expectation.recordedRpo.find((r) => r.service === m.service);
    const over: string[] = [];
    if (recorded?.lostWrites === undefined && recorded?.seconds === undefined) over.push('the run recorded no RPO for it');
    if (recorded?.lostWrites !== undefined && m.lost > recorded.lostWrites) over.push(`the run recorded ${recorded.lostWrites} lost writes`);
    if (recorded?.seconds !== undefined && m.lostSeconds > recorded.seconds + RPO_SECONDS_SLACK) {
      over.push(`the loss reaches back ${m.lostSeconds.toFixed(3)} s, the run recorded ${recorded.seconds} s`);
    }
    if (over.length) violations.push({ invariant: EMERGENCY_WITHIN_RPO, evidence: `${m.service}: ${keysOf(m)}; ${over.join('; ')}` });
  }
  return violations;
}
