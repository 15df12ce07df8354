import type { RunStatus } from './status';

/** One objective checked against what the run measured. */
export interface ObjectiveCheck {
  objective: 'rto' | 'rpo';
  targetSeconds: number;
  measuredSeconds?: number;
  met: boolean;
}

/** RTO and RPO against the run's objectives; an objective with no measurement counts as missed. */
export function checkObjectives(status: Pick<RunStatus, 'objectives' | 'measurements'>): ObjectiveCheck[] {
  const checks: ObjectiveCheck[] = [];
  const { objectives = {}, measurements = {} } = status;
  if (objectives.rtoSeconds !== undefined) {
    const measured = measurements.rtoSeconds;
    checks.push({
      objective: 'rto',
      targetSeconds: objectives.rtoSeconds,
      ...(measured !== undefined ? { measuredSeconds: measured } : {}),
      met: measured !== undefined && measured <= objectives.rtoSeconds,
    });
  }
  if (objectives.rpoSeconds !== undefined) {
    const measured = measurements.rpoSeconds;
    checks.push({
      objective: 'rpo',
      targetSeconds: objectives.rpoSeconds,
      ...(measured !== undefined ? { measuredSeconds: measured } : {}),
      met: measured !== undefined && measured <= objectives.rpoSeconds,
    });
  }
  return checks;
}

/**
 * Why a drill did not pass, or an empty list: a step that failed, was skipped or needed an
 * operator, a run that did not succeed, or a measured objective that was missed.
 */
export function drillProblems(status: RunStatus): string[] {
  const problems: string[] = [];
  if (status.state !== 'succeeded') problems.push(`the run ended ${status.state}${status.outcome ? `: ${status.outcome}` : ''}`);
  for (const step of status.steps) {
    if (step.status === 'failed' || step.status === 'skipped') problems.push(`step ${step.name} ${step.status}`);
  }
  const interventions = status.audit.filter((a) => a.action === 'intervention-needed').length;
  if (interventions > 0) problems.push(`${interventions} step failure(s) needed an operator`);
  for (const check of checkObjectives(status)) {
    if (!check.met && check.measuredSeconds !== undefined)
      problems.push(`${check.objective.toUpperCase()} ${check.measuredSeconds}s missed its objective of ${check.targetSeconds}s`);
  }
  return problems;
}

/**
 * The seconds between two instants (epoch milliseconds), to the hundredth: how every runbook measures its RTO and the
 * time to each milestone, so that reports and objectives compare like with like.
 */
export function secondsBetween(fromMs: number, toMs: number): number {
  return Math.round((toMs - fromMs) / 10) / 100;
}
