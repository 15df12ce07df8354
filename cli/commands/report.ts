import { writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { inputError, usageError } from '../errors';
import { ganttSvg } from '../report/gantt-svg';
import { reportHtml } from '../report/html';
import { reportMarkdown } from '../report/markdown';
import { buildReport, type RunReport } from '../report/model';
import { planGanttSvg } from '../report/plan-gantt';
import { planReportHtml } from '../report/plan-html';
import { planReportMarkdown } from '../report/plan-markdown';
import { plannedMembers, readMemberStatuses } from '../report/plan-members';
import { buildPlanReport, isPlanRun, type PlanReport } from '../report/plan-model';
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
    // A plan's report reads every member's own status too: their waits for people are only there.
    const text = isPlanRun(status)
      ? planReportText(
          buildPlanReport(status, await readMemberStatuses(client, status, ctx.taskQueue), await plannedMembers(client, status)),
          format,
          chartPath,
        )
      : runReportText(
          buildReport(status, {
            readinessBeforeRun: await readinessBefore(client, status.runbook, status.target, status.startedAt),
            ...(await detectedAtOfRun(client, runId).then((detectedAt) => (detectedAt ? { detectedAt } : {}))),
          }),
          format,
          chartPath,
        );
    if (out) {
      writeFileSync(out, text);
      ctx.io.stderr(`wrote ${out}${chartPath ? ` and its chart ${chartPath}` : ''}\n`);
    } else ctx.io.stdout(text);
    return 0;
  },
};

type ReportFormat = z.infer<typeof ReportOptions>['format'];

/** A runbook run's report in the format asked for; Markdown's chart is written to `chartPath` when there is one. */
function runReportText(report: RunReport, format: ReportFormat, chartPath: string | undefined): string {
  if (format === 'json') return `${terminalSafeJson(report, 2)}\n`;
  if (format === 'html') return reportHtml(report);
  if (!chartPath) return reportMarkdown(report);
  // Markdown cannot carry the chart inline everywhere, so it goes beside the report as an SVG file.
  writeFileSync(chartPath, ganttSvg(report.timeline, { path: report.path }));
  return reportMarkdown(report, basename(chartPath));
}

/** A plan run's report in the format asked for, its chart across members beside the Markdown as for a runbook's. */
function planReportText(report: PlanReport, format: ReportFormat, chartPath: string | undefined): string {
  if (format === 'json') return `${terminalSafeJson(report, 2)}\n`;
  if (format === 'html') return planReportHtml(report);
  if (!chartPath) return planReportMarkdown(report);
  writeFileSync(chartPath, planGanttSvg(report));
  return planReportMarkdown(report, basename(chartPath));
}
