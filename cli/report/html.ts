import { visibleFields } from '../../lib/terminal-text';
import { ganttSvg } from './gantt-svg';
import { reportMarkdown } from './markdown';
import type { RunReport } from './model';

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Inline Markdown that the report uses: bold, images are dropped (the chart is inline here). */
function inline(text: string): string {
  return escape(text).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
}

/** Turns the report's Markdown (headings, paragraphs, pipe tables) into HTML, so both formats say the same. */
function markdownToHtml(md: string, chart: string): string {
  const html: string[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('# ')) html.push(`<h1>${inline(line.slice(2))}</h1>`);
    else if (line.startsWith('## ')) {
      html.push(`<h2>${inline(line.slice(3))}</h2>`);
      if (line === '## Timeline') html.push(`<figure>${chart}</figure>`);
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) {
        rows.push(
          lines[i]!.slice(2, -2)
            .split(/(?<!\\) \| /)
            .map((c) => c.replace(/\\\|/g, '|')),
        );
      }
      i--;
      const [head, , ...body] = rows;
      html.push(
        `<table><thead><tr>${head!.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
      );
    } else if (line.trim() && !line.startsWith('![')) html.push(`<p>${inline(line)}</p>`);
  }
  return html.join('\n');
}

const style = `body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:14px}
th{background:#f3f3f3}figure{margin:0;overflow-x:auto}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}`;

/**
 * One self-contained HTML file: styles and the SVG chart inline, nothing fetched. The small script records how
 * many bars the browser laid out with a visible size, so a headless browser can confirm the chart is drawn.
 * Text is HTML-escaped, and control characters are shown as escapes, as in the other formats.
 */
export function reportHtml(report: RunReport): string {
  const r = visibleFields(report);
  const body = markdownToHtml(reportMarkdown(r, undefined, { asSource: true }), ganttSvg(r.timeline, { path: r.path }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(`${r.title}: ${r.runId}`)}</title><style>${style}</style></head>
<body>
${body}
<script>document.body.dataset.drawnBars=String([...document.querySelectorAll('svg.gantt rect.bar')].filter(function(b){var r=b.getBoundingClientRect();return r.width>0&&r.height>0}).length)</script>
</body></html>
`;
}
