import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { inputError, usageError } from '../errors';
import { ganttSvg } from '../report/gantt-svg';
import { reportHtml } from '../report/html';
import { reportMarkdown } from '../report/markdown';
import { buildReport } from '../report/model';
import { readinessBefore } from '../readiness-at';
import { detectedAtOfRun } from '../runs';
import { readShownStatus } from '../shown-status';

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
    // Markdown's chart goes beside the report as FILE-without-extension.svg: never onto the report itself.
    const chartPath = format === 'md' && out ? join(dirname(out), `${basename(out, extname(out))}.svg`) : undefined;
    if (chartPath && resolve(chartPath) === resolve(out!)) {
      throw usageError(
        `--out ${out} is also where the Markdown report's chart goes (${chartPath}): one would overwrite the other`,
        `name the report with another extension, such as --out ${join(dirname(out!), `${basename(out!, extname(out!))}.md`)}, or use --format html for one file with the chart inline`,
      );
    }
    const client = await ctx.client();
    const status = await readShownStatus(client, runId, ctx.taskQueue);
    const detectedAt = await detectedAtOfRun(client, runId);
    const report = buildReport(status, {
      readinessBeforeRun: await readinessBefore(client, status.runbook, status.target, status.startedAt),
      ...(detectedAt ? { detectedAt } : {}),
    });
    let text: string;
    if (format === 'json') text = `${terminalSafeJson(report, 2)}\n`;
    else if (format === 'html') text = reportHtml(report);
    else if (chartPath) {
      // Markdown cannot carry the chart inline everywhere, so it goes beside the report as an SVG file.
      writeFileSync(chartPath, ganttSvg(report.timeline, { path: report.path }));
      text = reportMarkdown(report, basename(chartPath));
    } else text = reportMarkdown(report);
    if (out) {
      writeFileSync(out, text);
      ctx.io.stderr(`wrote ${out}${chartPath ? ` and its chart ${chartPath}` : ''}\n`);
    } else ctx.io.stdout(text);
    return 0;
  },
};
