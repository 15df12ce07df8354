import { visibleLine } from '../../lib/terminal-text';
import { linkTarget, markdownText } from './markdown';
import { memberCells, memberColumns, offset as at, seconds as s } from './plan-cells';
import { planGanttText } from './plan-gantt';
import type { PlanReport } from './plan-model';

type Cell = string | number | undefined;

/** A table cell: on one line, control characters shown as escapes, inert as Markdown (no link, no HTML), pipes escaped. */
const cell = (text: Cell) => markdownText(visibleLine(String(text ?? ''))).replace(/\|/g, '\\|');
/** Prose from a run (an outcome, a reason): the same, outside a table. */
const prose = (text: Cell) => markdownText(visibleLine(String(text ?? '')));
const tableMd = (header: string[], rows: Cell[][]) =>
  [header, header.map(() => '---'), ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(' | ')} |`).join('\n');

/**
 * A plan run's report as Markdown: its RTO and RPO, the one decision and its signers, a text Gantt chart across
 * services (work apart from waits for people, the critical path marked), each member's row, the skips and members not
 * started, and the forecast against the actual RTO. `chartFile`, when given, is linked as the SVG chart beside it.
 */
export function planReportMarkdown(r: PlanReport, chartFile?: string): string {
  const out: string[] = [];
  out.push(`# ${prose(r.title)}: ${prose(r.runId)}${r.drill ? ` (DRILL, ${r.drill.kind})` : ''}`, '');
  out.push(`**${r.state}**${r.outcome ? `: ${prose(r.outcome)}` : ''}`, '');
  out.push(
    `Requested by ${prose(r.requestedBy)}; started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ' (still running)'}; ${r.durationSeconds}s in all, ${r.members.length} members.`,
  );

  out.push('', '## Recovery objectives', '');
  const m = r.measurements;
  const check = (name: string) => r.objectives.find((c) => c.objective === name);
  const verdict = (name: string) => {
    const c = check(name);
    return c === undefined || c.measuredSeconds === undefined ? '-' : c.met ? 'met' : 'MISSED';
  };
  out.push(
    tableMd(
      ['measure', 'measured', 'objective', 'result'],
      [
        ...(m.rtoFromDetectionSeconds !== undefined
          ? [['RTO from detection', s(m.rtoFromDetectionSeconds), s(check('rto')?.targetSeconds), verdict('rto')]]
          : []),
        [
          "RTO from the plan's start",
          s(m.rtoSeconds),
          m.rtoFromDetectionSeconds === undefined ? s(check('rto')?.targetSeconds) : '-',
          m.rtoFromDetectionSeconds === undefined ? verdict('rto') : '-',
        ],
        ['RPO (worst member)', s(m.rpoSeconds), s(check('rpo')?.targetSeconds), verdict('rpo')],
        ...(m.rpoWrites !== undefined ? [['lost acknowledged writes (all members)', m.rpoWrites, '-', '-']] : []),
      ],
    ),
  );

  out.push('', '## The decision', '');
  const d = r.decision;
  const requires = d.requires?.length ? `; requires ${d.requires.map((q) => `${q.atLeast} of ${q.group}`).join(' and ')}` : '';
  out.push(
    d.status === 'not opened'
      ? `Gate ${d.gate} has not opened yet.`
      : `Gate **${d.gate}** (${prose(d.title)}): **${d.status}**; quorum ${d.quorum}${requires}${d.waitedSeconds !== undefined ? `; waited ${d.waitedSeconds}s for its signers` : ''}. One decision for every member whose gates take it.`,
  );
  if (d.signers.length)
    out.push(
      '',
      tableMd(
        ['signer', 'decision', 'at', 'response time', 'signature', 'comment'],
        d.signers.map((v) => [
          v.by,
          v.decision,
          v.at,
          `${v.responseSeconds}s`,
          v.fingerprint ? `verified ${v.keyType ?? ''} key ${v.fingerprint}` : 'unsigned',
          v.comment,
        ]),
      ),
    );

  out.push('', '## Timeline across services', '');
  if (chartFile) out.push(`![Timeline of ${prose(r.runId)}](${linkTarget(chartFile)})`, '');
  out.push('```text', planGanttText(r).replace(/`/g, "'"), '```', '');
  out.push(
    tableMd(
      [...memberColumns, 'critical path'],
      r.members.map((row) => [...memberCells(row), row.onCriticalPath ? 'yes' : '']),
    ),
  );
  out.push('', `Critical path: ${r.criticalPath.length ? r.criticalPath.map(prose).join(' → ') : 'none yet (no member has started)'}.`);

  out.push('', "## Members' gates", '');
  const gates = r.members.flatMap((row) => row.gates.map((g) => ({ row, g })));
  out.push(
    gates.length
      ? tableMd(
          ['member', 'gate', 'status', 'approved by', 'opened', 'decided'],
          gates.map(({ row, g }) => [row.member, g.name, g.status, g.delegated ? "the plan's decision" : 'its own approvers', g.openedAt, g.decidedAt ?? '-']),
        )
      : 'None recorded.',
  );
  if (r.openGates.length)
    out.push(
      '',
      ...r.openGates.map(
        (g) => `- **${prose(g.member)}** waits for its own approvers at gate ${prose(g.gate)} (not delegable): lifeboat approve ${prose(g.runId)}`,
      ),
    );
  const notes = r.members.filter((row) => row.statusNote || row.error);
  if (notes.length) out.push('', ...notes.map((row) => `- ${prose(row.member)}: ${prose(row.error ?? row.statusNote)}`));

  out.push('', '## Skipped and not started', '');
  out.push(
    r.skipped.length || r.notStarted.length
      ? [
          ...r.skipped.map((k) => `- ${prose(k.member)}: skipped${k.by ? ` by ${prose(k.by)}` : ''}${k.reason ? `: ${prose(k.reason)}` : ''}`),
          ...r.notStarted.map((n) => `- ${prose(n)}: not started`),
        ].join('\n')
      : 'Every member started; none was skipped.',
  );

  if (r.interventions.length) {
    out.push('', '## Operator decisions on the plan', '');
    out.push(
      tableMd(
        ['member', 'error', 'choice', 'by', 'waited', 'reason'],
        r.interventions.map((i) => [i.step, i.error, i.action ?? 'waiting', i.by, s(i.waitedSeconds), i.reason]),
      ),
    );
  }

  if (r.forecast) {
    const f = r.forecast;
    out.push('', '## Forecast against the actual RTO', '');
    out.push(`Forecast at the gate: ${prose(f.summary)}.`, '');
    out.push(
      tableMd(
        ['', 'seconds'],
        [
          ['forecast (median)', s(f.medianSeconds)],
          ['forecast range', f.minSeconds !== undefined ? `${f.minSeconds}s to ${f.maxSeconds}s` : 'unknown'],
          ['objective', s(f.objectiveSeconds)],
          ["actual RTO from the plan's start", s(f.actualSeconds)],
          ['actual, less the wait for the decision (what the forecast counts)', s(f.actualAfterDecisionSeconds)],
          [
            'error (actual less forecast)',
            f.errorSeconds === undefined
              ? '-'
              : `${f.errorSeconds > 0 ? '+' : ''}${f.errorSeconds}s${f.withinRange ? ', within the range' : ', outside the range'}`,
          ],
        ],
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
