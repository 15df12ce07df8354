import { visibleFields } from '../../lib/terminal-text';
import type { RunReport } from './model';

const cell = (text: string | number | undefined) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
const row = (cells: (string | number | undefined)[]) => `| ${cells.map(cell).join(' | ')} |`;
const tableMd = (header: string[], rows: (string | number | undefined)[][]) => [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
const s = (v: number | undefined) => (v === undefined ? '-' : `${v}s`);

/**
 * Text from people or runs (a comment, a reason, an outcome, a name) made inert for Markdown: HTML in it is escaped,
 * and every `[` is escaped (with the backslashes before it, so `\\[` cannot undo it), so it opens no link or image:
 * `[x](javascript:…)` stays text. The escapes control characters are shown as (`\x1b]0;`) are left as they read.
 */
export function markdownText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!).replace(/(\\*)\[/g, (_, slashes: string) => `${slashes}${slashes}\\[`);
}

/** Every string of a value, keys included, through `markdownText`. */
function markdownFields<T>(value: T): T {
  if (typeof value === 'string') return markdownText(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => markdownFields(v)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [markdownText(k), markdownFields(v)])) as T;
  return value;
}

/**
 * A link target the report may emit: an http(s) URL as it is; anything else is taken as a file beside the report and
 * written as a relative path (`./…`), percent-encoded, so no other scheme (`javascript:`, `data:`) can be one.
 */
export function linkTarget(target: string): string {
  if (/^https?:\/\//i.test(target)) return encodeURI(target).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `./${encodeURIComponent(target).replace(/[()!'*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/**
 * The report as Markdown; `chartFile`, when given, is linked as the timeline image. It is often read in a terminal,
 * so control characters in any field (a comment, a reason) are shown as escapes rather than sent; and it is often
 * rendered, so every field is made inert (see `markdownText`). `asSource` leaves that to the caller: the HTML report
 * escapes the text itself as it turns this Markdown into HTML.
 */
export function reportMarkdown(report: RunReport, chartFile?: string, opts: { asSource?: boolean } = {}): string {
  const r = opts.asSource ? visibleFields(report) : markdownFields(visibleFields(report));
  const out: string[] = [];
  out.push(`# ${r.title}: ${r.runId}${r.drill ? ` (DRILL, ${r.drill.kind})` : ''}`);
  out.push('');
  out.push(`**${r.state}**${r.outcome ? `: ${r.outcome}` : ''}`);
  if (r.endedByTemporal) out.push('', ...endedByTemporalSection(r.endedByTemporal));
  out.push('');
  out.push(
    `Requested by ${r.requestedBy}; started ${r.startedAt}${r.finishedAt ? `, finished ${r.finishedAt}` : ' (still running)'}; ${r.durationSeconds}s in all: ${r.totals.workSeconds}s of work, ${r.totals.gateWaitSeconds}s waiting for approvers, ${r.totals.operatorWaitSeconds}s waiting for operators.`,
  );
  if (r.drill) out.push('', r.drillProblems?.length ? `Drill result: **FAIL**: ${r.drillProblems.join('; ')}` : 'Drill result: **pass**');
  out.push('', '## Recovery objectives', '');
  const m = r.measurements;
  const checks = new Map(r.objectives.map((c) => [c.objective, c]));
  const rto = checks.get('rto');
  out.push(
    tableMd(
      ['measure', 'measured', 'objective', 'result'],
      [
        ...(m.rtoFromDetectionSeconds !== undefined
          ? [
              ['RTO from detection', s(m.rtoFromDetectionSeconds), s(rto?.targetSeconds), rto ? (rto.met ? 'met' : 'MISSED') : '-'],
              ["RTO from the run's start", s(m.rtoSeconds), '-', '-'],
            ]
          : [['RTO', s(m.rtoSeconds), s(rto?.targetSeconds), rto ? (rto.met ? 'met' : 'MISSED') : '-']]),
        ['RPO', s(m.rpoSeconds), s(checks.get('rpo')?.targetSeconds), checks.has('rpo') ? (checks.get('rpo')!.met ? 'met' : 'MISSED') : '-'],
        ...(m.rpoWrites !== undefined ? [['lost acknowledged writes', m.rpoWrites, '-', '-']] : []),
        ...(m.rpoBytes !== undefined ? [['WAL not replayed', `${m.rpoBytes} bytes`, '-', '-']] : []),
      ],
    ),
  );
  out.push('', '## Incident path', '');
  const first = r.path[0]?.milestone === 'detected' ? 'detection' : "the run's start";
  out.push(
    tableMd(
      ['point', 'at', 'leg', `since ${first}`],
      r.path.map((p) => [
        p.earliest && Date.parse(p.at) - Date.parse(p.earliest) > 1_000
          ? `${p.milestone} (took effect between ${p.earliest} and this, when clients were seen served)`
          : p.milestone,
        p.at,
        p.legSeconds === undefined ? '-' : `+${p.legSeconds}s`,
        `${p.elapsedSeconds}s`,
      ]),
    ),
  );
  if (r.readinessBeforeRun) out.push('', `Readiness before the run (${r.readinessBeforeRun.scheduleId}): ${r.readinessBeforeRun.summary}.`);
  const acted = Object.entries(r.actedThrough ?? {});
  if (acted.length)
    out.push(
      '',
      '## Acted through',
      '',
      tableMd(
        ['step', 'provider'],
        acted.map(([step, provider]) => [step, provider]),
      ),
    );
  out.push('', '## Timeline', '');
  if (chartFile) out.push(`![Timeline of ${r.runId}](${linkTarget(chartFile)})`, '');
  out.push(
    tableMd(
      ['from', 'to', 'what', 'kind', 'outcome'],
      r.timeline.map((b) => [`+${(b.startMs / 1000).toFixed(1)}s`, `+${(b.endMs / 1000).toFixed(1)}s`, b.label, b.kind, b.outcome]),
    ),
  );
  out.push('', '## Approvals', '');
  out.push(
    r.approvals.length
      ? tableMd(
          ['gate', 'by', 'decision', 'response time', 'signature', 'comment'],
          r.approvals.map((a) => [a.gate, a.by, a.decision, `${a.responseSeconds}s`, a.verifiedKey ? `verified, key ${a.verifiedKey}` : 'none', a.comment]),
        )
      : 'No votes.',
  );
  out.push('', '## Interventions', '');
  out.push(
    r.interventions.length
      ? tableMd(
          ['step', 'error', 'choice', 'by', 'waited', 'reason'],
          r.interventions.map((i) => [i.step, i.error, i.action ?? 'waiting', i.by, s(i.waitedSeconds), i.reason]),
        )
      : 'None: no step needed an operator.',
  );
  if (r.compensation.length) {
    out.push(
      '',
      '## Rollback',
      '',
      tableMd(
        ['undo of', 'result', 'error'],
        r.compensation.map((c) => [c.step, c.status, c.error]),
      ),
    );
  }
  if (r.pointOfNoReturn) out.push('', `Point of no return passed after **${r.pointOfNoReturn.step}**; to go back: ${r.pointOfNoReturn.undoInstead}.`);
  return `${out.join('\n')}\n`;
}

/** What Temporal ended and the run never recorded: who and why, the step, the undos never run, what to do next. */
function endedByTemporalSection(e: NonNullable<RunReport['endedByTemporal']>): string[] {
  const lines = [
    '## Ended by Temporal, not by Lifeboat',
    '',
    `${e.how[0]!.toUpperCase()}${e.how.slice(1)} by Temporal${e.at ? ` at ${e.at}` : ''}${e.by ? ` by ${e.by}` : ''}${e.reason ? `: ${e.reason}` : ''}. The run last said **${e.lastState}**${e.inStep ? ` and was in **${e.inStep}**` : ''}; that step did not finish and no undo ran.`,
    '',
  ];
  if (e.undosNotRun === undefined)
    lines.push(`Undos that never ran: unknown here (${e.statusRead ? 'the runbook is not in this catalog' : 'no worker answered for its steps'}).`);
  else if (e.undosNotRun.length === 0) lines.push('Undos that never ran: none.');
  else
    lines.push(
      'Undos that never ran, in the order to do them:',
      '',
      tableMd(
        ['step', 'undo'],
        e.undosNotRun.map((u) => [u.step, u.undo]),
      ),
    );
  lines.push('', 'What to do next:', '', ...e.next.map((n, i) => `${i + 1}. ${n}`));
  return lines;
}
