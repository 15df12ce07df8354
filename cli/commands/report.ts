import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { inputError, usageError } from '../errors';
import { ganttSvg } from '../report/gantt-svg';
import { reportHtml } from '../report/html';
import { reportMarkdown } from '../report/markdown';
import { buildReport } from '../report/model';
import { readinessBefore } from '../readiness-at';
import { detectedAtOfRun, readStatus } from '../runs';

const ReportOptions = z.object({
  format: z.enum(['md', 'html', 'json'], { error: 'choose md, html or json' }).default('md'),
  out: z.string().min(1).optional(),
});

export const reportCommand: Command = {
  name: 'report',
  summary: "A run's report: timeline chart (gate and operator waits apart from work), RTO and RPO against objectives, approvals, interventions",
  usage: 'lifeboat report <run-id> [--format md|html|json] [--out FILE]',
  options: { ...commonOptions, format: { type: 'string' }, out: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const runId = positionals[0];
    if (!runId) throw usageError('name the run', 'lifeboat report region-failover/booking --format html --out failover.html');
    const parsed = ReportOptions.safeParse({ format: ctx.json ? 'json' : values.format, out: values.out });
    if (!parsed.success) throw inputError('bad report options', parsed.error, 'lifeboat report <run-id> --format md|html|json [--out FILE]');
    const { format, out } = parsed.data;
    const client = await ctx.client();
    const status = await readStatus(client, runId, ctx.taskQueue);
    const detectedAt = await detectedAtOfRun(client, runId);
    const report = buildReport(status, {
      readinessBeforeRun: await readinessBefore(client, status.runbook, status.target, status.startedAt),
      ...(detectedAt ? { detectedAt } : {}),
    });
    let text: string;
    if (format === 'json') text = `${terminalSafeJson(report, 2)}\n`;
    else if (format === 'html') text = reportHtml(report);
    else if (out) {
      // Markdown cannot carry the chart inline everywhere, so it goes beside the report as an SVG file.
      const chart = `${basename(out, extname(out))}.svg`;
      writeFileSync(join(dirname(out), chart), ganttSvg(report.timeline, { path: report.path }));
      text = reportMarkdown(report, chart);
    } else text = reportMarkdown(report);
    if (out) {
      writeFileSync(out, text);
      ctx.io.stderr(`wrote ${out}${format === 'md' ? ` and its chart ${join(dirname(out), `${basename(out, extname(out))}.svg`)}` : ''}\n`);
    } else ctx.io.stdout(text);
    return 0;
  },
};
