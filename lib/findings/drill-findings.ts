import type { RunStatus } from '../../kit';
import { checkObjectives } from '../../kit/trust';
import type { AuditFinding, FindingReason } from './record';

/** What one drill showed that must be fixed: a finding before it has a number. */
export interface DrillIssue {
  reason: FindingReason;
  what: string;
  objective?: NonNullable<AuditFinding['objective']>;
}

/**
 * The issues a finished drill's own final status shows, one per kind: it did not succeed, it missed an objective (one
 * each for RTO and RPO), it needed an operator, an undo failed. Empty when the drill passed. Pure: the findings
 * workflow's activity calls it on a status it read from Temporal itself, never on a status a message carried.
 */
export function drillIssues(status: RunStatus): DrillIssue[] {
  const issues: DrillIssue[] = [];
  const where = `drill ${status.runId}`;
  if (status.state !== 'succeeded')
    issues.push({ reason: 'drill-failed', what: `${where} ended ${status.state}${status.outcome ? `: ${status.outcome}` : ''}`.slice(0, 2_000) });
  for (const check of checkObjectives(status)) {
    if (check.met || check.measuredSeconds === undefined) continue;
    issues.push({
      reason: 'objective-missed',
      what: `${where} took ${check.measuredSeconds}s for its ${check.objective.toUpperCase()}, against an objective of ${check.targetSeconds}s`,
      objective: { name: check.objective, targetSeconds: check.targetSeconds, achievedSeconds: check.measuredSeconds },
    });
  }
  const needed = status.audit.filter((a) => a.action === 'intervention-needed');
  const stepped = status.steps.filter((s) => s.kind === 'step' && s.status === 'skipped').map((s) => s.name);
  if (needed.length > 0 || stepped.length > 0)
    issues.push({
      reason: 'operator-needed',
      what: `${where} needed an operator: ${[
        ...(needed.length > 0 ? [`${needed.length} step failure(s) waited for a person`] : []),
        ...(stepped.length > 0 ? [`step(s) ${stepped.join(', ')} skipped`] : []),
      ].join('; ')}`.slice(0, 2_000),
    });
  const undos = status.steps.filter((s) => s.kind === 'undo' && s.status === 'failed');
  if (undos.length > 0)
    issues.push({
      reason: 'undo-failed',
      what: `${where}: undo ${undos.map((u) => `${u.name}${u.lastError ? ` (${u.lastError})` : ''}`).join(', ')} failed`.slice(0, 2_000),
    });
  return issues;
}
