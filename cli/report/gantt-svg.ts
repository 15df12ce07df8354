import { visibleFields } from '../../lib/terminal-text';
import type { BarKind, TimelineBar } from './model';
import type { PathPoint } from './path';

/** Colours per kind of bar; waits for people are set apart from the work. */
export const barColours: Record<BarKind, string> = {
  work: '#2f6fde',
  'gate-wait': '#f0a020',
  'operator-wait': '#d9463b',
  undo: '#7a4fc9',
};

export const barLegend: Record<BarKind, string> = {
  work: 'step (work)',
  'gate-wait': 'waiting for approvers',
  'operator-wait': 'waiting for an operator',
  undo: 'undo (rollback)',
};

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A tick spacing that gives five to ten ticks over the span. */
function tickStep(spanMs: number): number {
  const steps = [
    100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
    43_200_000, 86_400_000,
  ];
  return steps.find((s) => spanMs / s <= 10) ?? 86_400_000;
}

function tickLabel(ms: number): string {
  if (ms < 0) return `-${tickLabel(-ms)}`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}

/**
 * A Gantt chart of the run as one self-contained SVG: a row per bar, a time axis from the run's start, and a
 * legend. Each bar carries a `<title>` (shown on hover) and `data-kind`, so a test can find the bars. Labels are
 * escaped for XML, and control characters (which XML forbids) are shown as escapes.
 */
export function ganttSvg(timeline: TimelineBar[], opts: { width?: number; path?: PathPoint[] } = {}): string {
  const bars = visibleFields(timeline);
  const path = opts.path ?? [];
  const width = opts.width ?? 960;
  const labelWidth = 220;
  const rowHeight = 22;
  // The path's labels sit in a band above the axis.
  const top = path.length > 0 ? 30 + 14 * path.length : 30;
  const chartWidth = width - labelWidth - 20;
  // A detection before the run's start widens the axis to the left of zero.
  const origin = Math.min(0, ...path.map((p) => p.atMs));
  const span = Math.max(1, ...bars.map((b) => b.endMs), ...path.map((p) => p.atMs)) - origin;
  const x = (ms: number) => labelWidth + ((ms - origin) / span) * chartWidth;
  const height = top + bars.length * rowHeight + 50;
  const step = tickStep(span);
  const ticks: string[] = [];
  for (let t = Math.ceil(origin / step) * step; t <= span + origin; t += step) {
    ticks.push(`<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${top + bars.length * rowHeight}" stroke="#ddd"/>`);
    ticks.push(`<text x="${x(t).toFixed(1)}" y="${top - 10}" font-size="10" text-anchor="middle" fill="#555">${tickLabel(t)}</text>`);
  }
  const rows = bars.map((b, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(2, x(b.endMs) - x(b.startMs));
    const tip = `${b.label}: ${tickLabel(b.startMs)} to ${tickLabel(b.endMs)} (${((b.endMs - b.startMs) / 1000).toFixed(1)}s), ${b.outcome}`;
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" font-size="12" text-anchor="end" fill="#222">${escape(b.label)}</text>`,
      `<rect class="bar" data-kind="${b.kind}" x="${x(b.startMs).toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowHeight - 8}" rx="3" fill="${barColours[b.kind]}"${b.outcome === 'failed' || b.outcome === 'rejected' || b.outcome === 'expired' ? ' stroke="#000" stroke-dasharray="3,2"' : ''}><title>${escape(tip)}</title></rect>`,
    ].join('');
  });
  const markers = path.map((p, i) => {
    const px = x(p.atMs).toFixed(1);
    const tip = `${p.milestone} at ${p.at}${p.legSeconds !== undefined ? `, ${p.legSeconds}s after the point before` : ''}`;
    return [
      `<line class="milestone" data-milestone="${escape(p.milestone)}" x1="${px}" y1="${22 + i * 14}" x2="${px}" y2="${top + bars.length * rowHeight}" stroke="#1a8a3a" stroke-width="1.5" stroke-dasharray="4,2"><title>${escape(tip)}</title></line>`,
      `<text x="${px}" y="${18 + i * 14}" font-size="10" text-anchor="${p.atMs - origin > span / 2 ? 'end' : 'start'}" fill="#1a8a3a">${escape(p.milestone)}${p.legSeconds !== undefined ? ` +${p.legSeconds}s` : ''}</text>`,
    ].join('');
  });
  const legendY = top + bars.length * rowHeight + 30;
  const legend = (Object.keys(barColours) as BarKind[]).map((kind, i) => {
    const lx = labelWidth + i * 170;
    return `<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${barColours[kind]}"/><text x="${lx + 18}" y="${legendY}" font-size="11" fill="#333">${barLegend[kind]}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="gantt" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" aria-label="Timeline of the run">`,
    ...ticks,
    ...rows,
    ...markers,
    ...legend,
    '</svg>',
  ].join('\n');
}
