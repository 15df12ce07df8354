import { visibleLine } from '../../lib/terminal-text';
import type { VerifyReport } from './check';
import type { MemberVerification, PlanVerifyReport } from './plan-members';
import { renderVerifyReport } from './render';

/**
 * A plan run's report as a person reads it: the plan run's own (its start and its gate's signatures), then each member
 * with its own report and its delegation, and the verdict over all of them.
 */
export function renderPlanVerifyReport(report: PlanVerifyReport, own: VerifyReport): string {
  const blocks = [renderVerifyReport(own)];
  for (const member of report.members) blocks.push(renderMember(member));
  const started = report.members.filter((m) => m.temporalRunId).length;
  if (report.ok && started === 0) blocks.push(`OK: ${report.runId} verifies; it started no member run.\n`);
  else if (report.ok) {
    blocks.push(`OK: ${report.runId} verifies, and so do the ${started} member run${started === 1 ? '' : 's'} it started, each delegated by this plan run.\n`);
  } else {
    const failed = report.members.filter((m) => !m.ok).map((m) => m.member);
    const who = [...(own.ok ? [] : ['the plan run itself']), ...failed.map((m) => `member ${m}`)].join(', ') || 'the plan run';
    blocks.push([`FAILED (${who}):`, ...report.problems.map((p) => `  - ${visibleLine(p)}`)].join('\n') + '\n');
  }
  return blocks.join('\n');
}

function renderMember(member: MemberVerification): string {
  const run = member.temporalRunId ? `${member.runId} (Temporal run ${member.temporalRunId})` : member.runId;
  const head = `== member ${member.member} (${member.runbook}): ${run}, ${member.state}`;
  if (!member.temporalRunId) return `${visibleLine(head)}\nthe plan started no run for it: nothing to verify\n`;
  const lines = [visibleLine(head)];
  if (member.report) lines.push(renderVerifyReport(member.report).trimEnd());
  else for (const problem of member.problems) lines.push(`FAILED: ${visibleLine(problem)}`);
  const d = member.delegation;
  if (d) {
    const by = d.signers.length > 0 ? `approved for it by ${d.signers.join(', ')}` : 'it carries no approval of the plan';
    const gates = d.delegatedGates.length > 0 ? `; gates that took the plan's approval: ${d.delegatedGates.join(', ')}` : '';
    lines.push(visibleLine(`delegation: ${by}${gates}; ${d.problems.length === 0 ? 'checked against this plan run' : 'DOES NOT HOLD'}`));
  }
  return `${lines.join('\n')}\n`;
}
