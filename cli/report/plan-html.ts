import { visibleFields } from '../../lib/terminal-text';
import { memberCells, memberColumns, offset as at, seconds as s } from './plan-cells';
import { planGanttSvg } from './plan-gantt';
import type { PlanReport } from './plan-model';

type Cell = string | number | undefined;

const escape = (text: Cell) => String(text ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function table(id: string, header: string[], rows: { cells: Cell[]; attrs?: string }[]): string {
  return `<table id="${id}"><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr${r.attrs ?? ''}>${r.cells.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const style = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}
th{background:#f3f3f3}figure{margin:0;overflow-x:auto}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}
tr.critical td:first-child{font-weight:bold}tr.critical td:first-child::before{content:"★ "}.missed{color:#b00}`;

/**
 * A plan run's report as one self-contained HTML file: styles and the SVG chart inline, nothing fetched. Every field
 * is HTML-escaped, and control characters are shown as escapes, as in the other formats. The script counts the bars
 * the browser laid out, as the runbook report's does, so a headless browser can confirm the chart is drawn.
 */
export function planReportHtml(report: PlanReport): string {
  const r = visibleFields(report);
  const m = r.measurements;
  const check = (name: string) => r.objectives.find((c) => c.objective === name);
  const verdict = (name: string) => {
    const c = check(name);
    return c === undefined || c.measuredSeconds === undefined ? '-' : c.met ? 'met' : 'MISSED';
  };
  const d = r.decision;
  const body: string[] = [];
  body.push(`<h1>${escape(`${r.title}: ${r.runId}`)}${r.drill ? ` (DRILL, ${escape(r.drill.kind)})` : ''}</h1>`);
  body.push(`<p><strong id="plan-state">${escape(r.state)}</strong>${r.outcome ? `: ${escape(r.outcome)}` : ''}</p>`);
  body.push(
    `<p>Requested by ${escape(r.requestedBy)}; started ${escape(r.startedAt)}${r.finishedAt ? `, finished ${escape(r.finishedAt)}` : ' (still running)'}; ${r.durationSeconds}s in all, ${r.members.length} members.</p>`,
  );
  body.push('<h2>Recovery objectives</h2>');
  body.push(
    table(
      'plan-objectives',
      ['measure', 'measured', 'objective', 'result'],
      [
        ...(m.rtoFromDetectionSeconds !== undefined
          ? [{ cells: ['RTO from detection', s(m.rtoFromDetectionSeconds), s(check('rto')?.targetSeconds), verdict('rto')] }]
          : []),
        {
          cells: [
            "RTO from the plan's start",
            s(m.rtoSeconds),
            m.rtoFromDetectionSeconds === undefined ? s(check('rto')?.targetSeconds) : '-',
            m.rtoFromDetectionSeconds === undefined ? verdict('rto') : '-',
          ],
        },
        { cells: ['RPO (worst member)', s(m.rpoSeconds), s(check('rpo')?.targetSeconds), verdict('rpo')] },
        ...(m.rpoWrites !== undefined ? [{ cells: ['lost acknowledged writes (all members)', m.rpoWrites, '-', '-'] }] : []),
      ],
    ),
  );
  body.push('<h2>The decision</h2>');
  const requires = d.requires?.length ? `; requires ${d.requires.map((q) => `${q.atLeast} of ${q.group}`).join(' and ')}` : '';
  body.push(
    d.status === 'not opened'
      ? `<p>Gate ${escape(d.gate)} has not opened yet.</p>`
      : `<p>Gate <strong>${escape(d.gate)}</strong> (${escape(d.title)}): <strong id="decision-status">${escape(d.status)}</strong>; quorum ${escape(d.quorum)}${escape(requires)}${
          d.waitedSeconds !== undefined ? `; waited ${d.waitedSeconds}s for its signers` : ''
        }. One decision for every member whose gates take it.</p>`,
  );
  if (d.signers.length)
    body.push(
      table(
        'plan-signers',
        ['signer', 'decision', 'at', 'response time', 'signature', 'comment'],
        d.signers.map((v) => ({
          cells: [v.by, v.decision, v.at, `${v.responseSeconds}s`, v.fingerprint ? `verified ${v.keyType ?? ''} key ${v.fingerprint}` : 'unsigned', v.comment],
        })),
      ),
    );
  body.push('<h2>Timeline across services</h2>', `<figure>${planGanttSvg(report)}</figure>`);
  body.push(
    table(
      'plan-members',
      memberColumns,
      r.members.map((row) => ({
        attrs: ` data-member="${escape(row.member)}"${row.onCriticalPath ? ' class="critical"' : ''}`,
        cells: memberCells(row),
      })),
    ),
  );
  body.push(`<p id="critical-path">Critical path: ${r.criticalPath.length ? escape(r.criticalPath.join(' → ')) : 'none yet (no member has started)'}.</p>`);
  const gates = r.members.flatMap((row) => row.gates.map((g) => ({ row, g })));
  body.push("<h2>Members' gates</h2>");
  body.push(
    gates.length
      ? table(
          'member-gates',
          ['member', 'gate', 'status', 'approved by', 'opened', 'decided'],
          gates.map(({ row, g }) => ({
            cells: [row.member, g.name, g.status, g.delegated ? "the plan's decision" : 'its own approvers', g.openedAt, g.decidedAt ?? '-'],
          })),
        )
      : '<p>None recorded.</p>',
  );
  for (const g of r.openGates)
    body.push(
      `<p class="missed">${escape(g.member)} waits for its own approvers at gate ${escape(g.gate)} (not delegable): lifeboat approve ${escape(g.runId)}</p>`,
    );
  for (const row of r.members.filter((x) => x.statusNote || x.error)) body.push(`<p>${escape(row.member)}: ${escape(row.error ?? row.statusNote)}</p>`);
  body.push('<h2>Skipped and not started</h2>');
  body.push(
    r.skipped.length || r.notStarted.length
      ? `<ul id="not-moved">${[
          ...r.skipped.map((k) => `<li>${escape(k.member)}: skipped${k.by ? ` by ${escape(k.by)}` : ''}${k.reason ? `: ${escape(k.reason)}` : ''}</li>`),
          ...r.notStarted.map((n) => `<li>${escape(n)}: not started</li>`),
        ].join('')}</ul>`
      : '<p>Every member started; none was skipped.</p>',
  );
  if (r.interventions.length) {
    body.push('<h2>Operator decisions on the plan</h2>');
    body.push(
      table(
        'plan-interventions',
        ['member', 'error', 'choice', 'by', 'waited', 'reason'],
        r.interventions.map((i) => ({ cells: [i.step, i.error, i.action ?? 'waiting', i.by, s(i.waitedSeconds), i.reason] })),
      ),
    );
  }
  if (r.forecast) {
    const f = r.forecast;
    body.push('<h2>Forecast against the actual RTO</h2>', `<p>Forecast at the gate: ${escape(f.summary)}.</p>`);
    body.push(
      table(
        'forecast',
        ['', 'seconds'],
        [
          { cells: ['forecast (median)', s(f.medianSeconds)] },
          { cells: ['forecast range', f.minSeconds !== undefined ? `${f.minSeconds}s to ${f.maxSeconds}s` : 'unknown'] },
          { cells: ['objective', s(f.objectiveSeconds)] },
          { cells: ["actual RTO from the plan's start", s(f.actualSeconds)] },
          { cells: ['actual, less the wait for the decision (what the forecast counts)', s(f.actualAfterDecisionSeconds)] },
          {
            cells: [
              'error (actual less forecast)',
              f.errorSeconds === undefined
                ? '-'
                : `${f.errorSeconds > 0 ? '+' : ''}${f.errorSeconds}s${f.withinRange ? ', within the range' : ', outside the range'}`,
            ],
          },
        ],
      ),
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(`${r.title}: ${r.runId}`)}</title><style>${style}</style></head>
<body>
${body.join('\n')}
<script>document.body.dataset.drawnBars=String([...document.querySelectorAll('svg.gantt rect.bar')].filter(function(b){var r=b.getBoundingClientRect();return r.width>0&&r.height>0}).length)</script>
</body></html>
`;
}
