import { PLAN_GATE } from '../../kit';
import type { PlanForecastReport } from '../../lib/plan-forecast';
import type { ShownStatus } from '../run-outcome';
import type { ForecastAgainstActual, PlanDecision } from './plan-report-types';

// The plan's one decision and the forecast shown at it, as the plan's report reads them from the plan run's status.

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** The plan's one decision: its gate as the plan run recorded it, and each signer with the key the workflow verified. */
export function decisionOf(status: ShownStatus): PlanDecision {
  const gate = status.gates.filter((g) => g.name === PLAN_GATE).at(-1);
  if (!gate) return { gate: PLAN_GATE, status: 'not opened', signers: [] };
  const opened = Date.parse(gate.openedAt);
  return {
    gate: gate.name,
    title: gate.title,
    status: gate.status,
    openedAt: gate.openedAt,
    ...(gate.decidedAt ? { decidedAt: gate.decidedAt, waitedSeconds: seconds(Date.parse(gate.decidedAt) - opened) } : {}),
    quorum: gate.quorum,
    ...(gate.requires ? { requires: gate.requires.map((r) => ({ group: r.group, atLeast: r.atLeast })) } : {}),
    signers: gate.votes.map((v) => ({
      by: v.by,
      decision: v.decision,
      at: v.at,
      responseSeconds: seconds(Date.parse(v.at) - opened),
      ...(v.comment ? { comment: v.comment } : {}),
      ...(v.verified ? { keyType: v.verified.keyType, fingerprint: v.verified.fingerprint } : {}),
    })),
  };
}

/** The forecast the plan's gate showed (details.forecast), against the RTO the plan then measured. */
export function forecastAgainstActual(status: ShownStatus, decision: PlanDecision): ForecastAgainstActual | undefined {
  const report = status.details?.forecast as Partial<PlanForecastReport> | undefined;
  if (!report || typeof report !== 'object' || typeof report.summary !== 'string') return undefined;
  const range = report.forecast?.forecast;
  const actual = status.measurements?.rtoSeconds;
  const afterDecision = actual !== undefined ? seconds(actual * 1000 - (decision.waitedSeconds ?? 0) * 1000) : undefined;
  return {
    summary: report.summary,
    objectiveSeconds: report.objectiveSeconds ?? status.objectives?.rtoSeconds ?? 0,
    ...(range ? { medianSeconds: range.median.seconds, minSeconds: range.min.seconds, maxSeconds: range.max.seconds } : {}),
    criticalPath: report.criticalPath ?? [],
    ...(actual !== undefined ? { actualSeconds: actual } : {}),
    ...(afterDecision !== undefined ? { actualAfterDecisionSeconds: afterDecision } : {}),
    ...(range && afterDecision !== undefined
      ? {
          errorSeconds: seconds((afterDecision - range.median.seconds) * 1000),
          withinRange: afterDecision >= range.min.seconds && afterDecision <= range.max.seconds,
        }
      : {}),
  };
}
