import type { FindingsView } from '../../lib/findings/messages';
import type { AuditFinding } from '../../lib/findings/record';
import { table } from '../render';

/** The findings `lifeboat findings` shows, one line each: the open ones marked OVERDUE once past their deadline. */
export function renderFindings(findings: readonly AuditFinding[], nowMs: number): string {
  if (findings.length === 0) return 'no findings';
  const state = (f: AuditFinding) => (f.state === 'closed' ? `closed by ${f.closed?.by}` : Date.parse(f.deadline) <= nowMs ? 'OVERDUE' : 'open');
  const rows = findings.map((f) => [f.id, f.runbook, f.target, f.reason, state(f), f.openedAt, f.deadline, f.what]);
  const header = ['ID', 'RUNBOOK', 'TARGET', 'REASON', 'STATE', 'OPENED', 'DEADLINE', 'WHAT'];
  return table([header, ...rows]);
}

/** Refused messages a findings workflow counted, worth a line under the list: someone sent it something forged or stale. */
export function renderRefusals(views: readonly FindingsView[]): string[] {
  return views
    .filter((v) => v.refused.count > 0)
    .map((v) => `${v.identity.workflowId}: ${v.refused.count} message(s) refused, the last at ${v.refused.lastAt}: ${v.refused.lastReason}`);
}
