import { visibleFields } from '../lib/terminal-text';
import type { PlanMemberRow, PlanRunView } from './plan-run-view';
import { table } from './render';
import { span } from './render-recovery-plan';

/** `2.5s`, `15m`: a measured duration to a tenth of a second, a whole objective as minutes. */
function seconds(value: number | undefined): string {
  return value === undefined ? '' : span(value);
}

function stateCell(row: PlanMemberRow): string {
  return row.ownState && row.ownState !== row.state && row.state === 'running' ? `running (its run: ${row.ownState})` : row.state;
}

function rpoCell(row: PlanMemberRow): string {
  if (row.rpoSeconds === undefined && row.rpoWrites === undefined) return '';
  return [row.rpoSeconds !== undefined ? seconds(row.rpoSeconds) : '', row.rpoWrites !== undefined ? `${row.rpoWrites} writes lost` : '']
    .filter(Boolean)
    .join(', ');
}

/** What a member waits for: nobody, or the members before it, each not yet done marked with its state. */
function waitsForCell(row: PlanMemberRow, byName: Map<string, PlanMemberRow>): string {
  if (row.after.length === 0) return 'nobody';
  return row.after
    .map((name) => {
      const state = byName.get(name)?.state;
      return state === 'succeeded' || state === undefined ? name : `${name} (${state})`;
    })
    .join(', ');
}

function rtoLine(v: PlanRunView): string {
  const r = v.rto;
  const objective = r.objectiveSeconds !== undefined ? ` (objective ${span(r.objectiveSeconds)})` : '';
  if (r.seconds === undefined) return `plan RTO: not measured yet${objective}`;
  // The objective is judged from detection when the run knows when the outage was detected, as for a runbook.
  const judged = r.fromDetectionSeconds ?? r.seconds;
  const verdict = r.objectiveSeconds !== undefined ? ` (objective ${span(r.objectiveSeconds)}: ${judged <= r.objectiveSeconds ? 'met' : 'MISSED'})` : '';
  const loss = [r.rpoSeconds !== undefined ? `RPO ${seconds(r.rpoSeconds)}` : '', r.rpoWrites !== undefined ? `${r.rpoWrites} writes lost` : '']
    .filter(Boolean)
    .join(', ');
  return `plan RTO: ${seconds(r.seconds)} from its start${r.fromDetectionSeconds !== undefined ? `, ${seconds(r.fromDetectionSeconds)} from detection` : ''}${verdict}${loss ? `; worst loss: ${loss}` : ''}`;
}

function decisionLine(v: PlanRunView): string {
  const d = v.decision;
  if (!d) return 'decision: not asked for yet';
  const signers = d.signers.map((s) => `${s.by}${s.verified ? '' : ' (unsigned)'}`).join(', ');
  if (d.status === 'open')
    return `decision: ${d.gate} open (${d.title}): needs ${d.needs}; signed so far by ${signers || 'nobody'}; approve with lifeboat approve ${v.runId} --as <you>`;
  return `decision: ${d.gate} ${d.status}${d.decidedAt ? ` at ${d.decidedAt}` : ''}${signers ? ` by ${signers}` : ''} (needs ${d.needs})`;
}

/**
 * The plan's section of `lifeboat status`: its members as a table, the critical path, its RTO, its one decision and who
 * signed it, and each member that waits for a person with its error and the exact commands.
 */
export function renderPlanRun(view: PlanRunView): string[] {
  const v = visibleFields(view);
  const byName = new Map(v.members.map((m) => [m.name, m]));
  const counts = new Map<string, number>();
  for (const m of v.members) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
  if (v.members.length === 0)
    return [
      `plan ${v.plan}: its members are not known here (the run published none this CLI could read); lifeboat plan ${v.plan} lists them, and lifeboat status <member run> shows each`,
      rtoLine(v),
      decisionLine(v),
    ];
  const beforeDecision = v.decision?.status === 'open' ? "; none starts before the plan's decision" : '';
  const out = [
    `plan ${v.plan}: ${v.members.length} members; ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')}${beforeDecision}`,
    table(
      [
        ['MEMBER', 'RUN', 'STATE', 'RTO', 'RPO', 'WAITS FOR'],
        ...v.members.map((m) => [m.name, m.runId, stateCell(m), seconds(m.rtoSeconds), rpoCell(m), waitsForCell(m, byName)]),
      ],
      '  ',
    ),
    `critical path: ${v.criticalPath.members.map((m) => `${m.name} (${span(m.seconds)}${m.measured ? '' : ', its objective'})`).join(' → ')} = ${span(v.criticalPath.seconds)}`,
    rtoLine(v),
    decisionLine(v),
  ];
  // The forecast's summary may name itself ("forecast unknown: …"); it is not said twice.
  if (v.forecast) out.push(/^forecast\b/i.test(v.forecast) ? v.forecast : `forecast: ${v.forecast}`);
  if (v.movedBeforeEnd.length > 0) out.push(`finished before the plan ended, and stay where they moved: ${v.movedBeforeEnd.join(', ')}`);
  for (const w of v.waiting) {
    out.push(`member ${w.member} (${w.runId}) waits for ${w.on === 'plan' ? 'an operator of the plan' : 'a person on its own run'}:`);
    out.push(`  error: ${w.error}`);
    out.push(`  next: ${w.commands.join('   or   ')}`);
  }
  return out;
}
