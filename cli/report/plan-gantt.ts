import { visibleFields, visibleLine } from '../../lib/terminal-text';
import { barColours, barLegend } from './gantt-svg';
import type { BarKind } from './model';
import type { PlanBar, PlanReport } from './plan-model';

/**
 * A plan's Gantt chart across services: a row for the plan's decision and one per member, each member's work drawn
 * apart from its waits for people, the members on the critical path marked. As SVG (html report, console) and as text
 * (the Markdown report, read in a terminal as often as rendered).
 */

interface ChartRow {
  label: string;
  critical: boolean;
  bars: PlanBar[];
  note?: string;
}

function rowsOf(report: PlanReport): ChartRow[] {
  return [
    { label: `decision: ${report.decision.gate}`, critical: false, bars: report.decisionBar ? [report.decisionBar] : [], note: report.decision.status },
    ...report.members.map((m) => ({ label: m.member, critical: m.onCriticalPath, bars: m.bars, note: m.state })),
  ];
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Characters of the text chart: one per kind, and a space where the member did nothing. */
export const textMarks: Record<BarKind, string> = { work: '#', 'gate-wait': 'A', 'operator-wait': 'O', undo: 'U' };

/**
 * The chart as fixed-width text, `columns` wide: each column shows what most of its stretch of time was spent on, so a
 * short wait still shows as one mark. Critical-path members are marked with `*`.
 */
export function planGanttText(report: PlanReport, columns = 60): string {
  const rows = rowsOf(visibleFields(report));
  const span = Math.max(1, report.spanMs);
  const width = Math.max(...rows.map((r) => r.label.length)) + 2;
  const lines = rows.map((row) => {
    const cells = Array.from({ length: columns }, (_, i) => {
      const from = (i / columns) * span;
      const to = ((i + 1) / columns) * span;
      let best: { kind: BarKind; ms: number } | undefined;
      for (const bar of row.bars) {
        const ms = Math.min(bar.endMs, to) - Math.max(bar.startMs, from);
        // A wait wins a tie with work: it is what the chart is there to show.
        if (ms > 0 && (!best || ms > best.ms || (ms === best.ms && bar.kind !== 'work'))) best = { kind: bar.kind, ms };
      }
      return best ? textMarks[best.kind] : ' ';
    });
    return `${row.critical ? '*' : ' '} ${visibleLine(row.label).padEnd(width)}|${cells.join('')}| ${row.note ?? ''}`;
  });
  const axis = `  ${''.padEnd(width)}0s${`${Math.round(span / 100) / 10}s`.padStart(columns)}`;
  const legend = `  ${textMarks.work} work   ${textMarks['gate-wait']} waiting for approvers   ${textMarks['operator-wait']} waiting for an operator   * critical path`;
  return [...lines, axis, legend].join('\n');
}

/** The chart as one self-contained SVG; every bar carries `data-kind` and `data-member`, and a `<title>` shown on hover. */
export function planGanttSvg(report: PlanReport, opts: { width?: number } = {}): string {
  const rows = rowsOf(visibleFields(report));
  const width = opts.width ?? 960;
  const labelWidth = 200;
  const rowHeight = 26;
  const top = 30;
  const span = Math.max(1, report.spanMs);
  const chartWidth = width - labelWidth - 110;
  const x = (ms: number) => labelWidth + (Math.max(0, ms) / span) * chartWidth;
  const height = top + rows.length * rowHeight + 46;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const tx = (labelWidth + f * chartWidth).toFixed(1);
    return `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${top + rows.length * rowHeight}" stroke="#ddd"/><text x="${tx}" y="${top - 10}" font-size="10" text-anchor="middle" fill="#555">${Math.round((f * span) / 100) / 10}s</text>`;
  });
  const drawn = rows.map((row, i) => {
    const y = top + i * rowHeight;
    const label = `<text x="${labelWidth - 8}" y="${y + 17}" font-size="12" text-anchor="end" fill="#222"${row.critical ? ' font-weight="bold"' : ''}>${row.critical ? '★ ' : ''}${escape(row.label)}</text>`;
    const bars = row.bars.map((b) => {
      const w = Math.max(2, x(b.endMs) - x(b.startMs));
      const tip = `${row.label}: ${b.label}, +${Math.round(b.startMs / 100) / 10}s to +${Math.round(b.endMs / 100) / 10}s (${Math.round((b.endMs - b.startMs) / 100) / 10}s)`;
      return `<rect class="bar${row.critical ? ' critical' : ''}" data-kind="${b.kind}" data-member="${escape(row.label)}" x="${x(b.startMs).toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="${rowHeight - 10}" rx="3" fill="${barColours[b.kind]}"${row.critical ? ' stroke="#000" stroke-width="1.5"' : ''}><title>${escape(tip)}</title></rect>`;
    });
    const note = `<text x="${labelWidth + chartWidth + 8}" y="${y + 17}" font-size="11" fill="#555">${escape(row.note ?? '')}</text>`;
    return [label, ...bars, note].join('');
  });
  const legendY = top + rows.length * rowHeight + 28;
  const kinds: BarKind[] = ['work', 'gate-wait', 'operator-wait'];
  const legend = kinds.map((kind, i) => {
    const lx = labelWidth + i * 170;
    return `<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${barColours[kind]}"/><text x="${lx + 18}" y="${legendY}" font-size="11" fill="#333">${barLegend[kind]}</text>`;
  });
  legend.push(`<text x="${labelWidth + kinds.length * 170}" y="${legendY}" font-size="11" fill="#333">★ outlined: critical path</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="gantt plan-gantt" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" aria-label="Timeline of the plan across services">`,
    ...ticks,
    ...drawn,
    ...legend,
    '</svg>',
  ].join('\n');
}
