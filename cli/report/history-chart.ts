/** One drill as the history chart plots it. */
export interface DrillPoint {
  startedAt: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  objectives?: { rtoSeconds?: number; rpoSeconds?: number };
  passed: boolean;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** One panel: a measure per drill, oldest first, against its objective (dashed); failed drills in red. */
function panel(points: DrillPoint[], measure: 'rtoSeconds' | 'rpoSeconds', label: string, y0: number, width: number): string {
  const height = 150;
  const left = 60;
  const chartWidth = width - left - 20;
  const objective = points.map((p) => p.objectives?.[measure]).find((v) => v !== undefined);
  const values = points.map((p) => p[measure]);
  const max = Math.max(1, objective ?? 0, ...values.filter((v): v is number => v !== undefined)) * 1.15;
  const x = (i: number) => left + (points.length === 1 ? chartWidth / 2 : (i / (points.length - 1)) * chartWidth);
  const y = (v: number) => y0 + height - (v / max) * height;
  const parts = [
    `<text x="${left}" y="${y0 - 8}" font-size="13" font-weight="bold">${label}</text>`,
    `<line x1="${left}" y1="${y0 + height}" x2="${left + chartWidth}" y2="${y0 + height}" stroke="#999"/>`,
    `<line x1="${left}" y1="${y0}" x2="${left}" y2="${y0 + height}" stroke="#999"/>`,
    `<text x="${left - 6}" y="${y0 + 10}" font-size="10" text-anchor="end">${+max.toFixed(1)}s</text>`,
    `<text x="${left - 6}" y="${y0 + height}" font-size="10" text-anchor="end">0s</text>`,
  ];
  if (objective !== undefined) {
    parts.push(
      `<line class="objective" x1="${left}" y1="${y(objective)}" x2="${left + chartWidth}" y2="${y(objective)}" stroke="#d9463b" stroke-dasharray="6,4"/>`,
    );
    parts.push(`<text x="${left + chartWidth}" y="${y(objective) - 4}" font-size="10" text-anchor="end" fill="#d9463b">objective ${objective}s</text>`);
  }
  const measured = points.map((p, i) => ({ p, i, v: p[measure] })).filter((m): m is { p: DrillPoint; i: number; v: number } => m.v !== undefined);
  if (measured.length > 1)
    parts.push(
      `<polyline fill="none" stroke="#2f6fde" stroke-width="2" points="${measured.map((m) => `${x(m.i).toFixed(1)},${y(m.v).toFixed(1)}`).join(' ')}"/>`,
    );
  for (const m of measured) {
    parts.push(
      `<circle class="point" cx="${x(m.i).toFixed(1)}" cy="${y(m.v).toFixed(1)}" r="5" fill="${m.p.passed ? '#2e9d4f' : '#d9463b'}"><title>${escape(`${m.p.startedAt}: ${m.v}s, ${m.p.passed ? 'pass' : 'fail'}`)}</title></circle>`,
    );
  }
  return parts.join('\n');
}

/** RTO and RPO across drills as one SVG, oldest drill on the left. */
export function drillHistorySvg(newestFirst: DrillPoint[], width = 800): string {
  const points = [...newestFirst].reverse();
  const height = 420;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="drill-history" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img" aria-label="RTO and RPO across drills">`,
    panel(points, 'rtoSeconds', 'RTO per drill', 30, width),
    panel(points, 'rpoSeconds', 'RPO per drill', 240, width),
    '</svg>',
  ].join('\n');
}

/** The same chart for a terminal: one bar per drill, `|` marks the objective. */
export function drillHistoryText(newestFirst: DrillPoint[], measure: 'rtoSeconds' | 'rpoSeconds', width = 40): string {
  const objective = newestFirst.map((p) => p.objectives?.[measure]).find((v) => v !== undefined);
  const max = Math.max(1, objective ?? 0, ...newestFirst.map((p) => p[measure] ?? 0));
  const scale = (v: number) => Math.round((v / max) * width);
  return newestFirst
    .map((p) => {
      const v = p[measure];
      const bar = v === undefined ? ''.padEnd(width) : '█'.repeat(scale(v)).padEnd(width);
      const marked = objective === undefined ? bar : `${bar.slice(0, scale(objective))}|${bar.slice(scale(objective) + 1)}`;
      return `  ${p.startedAt.slice(0, 16).replace('T', ' ')}  ${marked}  ${v === undefined ? '-' : `${v}s`} ${p.passed ? 'pass' : 'FAIL'}`;
    })
    .join('\n');
}
