import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { allFindings } from '../../lib/findings/read-findings';
import { renderFindings, renderRefusals } from '../findings/render';
import { findingsSquatters, renderSquatters } from '../findings/squatters';
import { CliError, ExitCode } from '../errors';

/** `lifeboat findings`: the audit findings drills and readiness opened, from each runbook and target's findings workflow. */
export const findingsCommand: Command = {
  name: 'findings',
  summary: 'List audit findings (failed drills, missed objectives, long not-ready spells) and whether they are open, overdue or closed',
  usage: 'lifeboat findings [--runbook RUNBOOK] [--target TARGET] [--open] [--json]',
  options: { ...commonOptions, runbook: { type: 'string' }, target: { type: 'string' }, open: { type: 'boolean' } },
  async run(ctx, { values }) {
    const client = await ctx.client();
    const filter = {
      ...(values.runbook ? { runbook: values.runbook as string } : {}),
      ...(values.target ? { target: values.target as string } : {}),
    };
    const views = await allFindings(client, ctx.taskQueue, filter);
    // A findings ID held by another workflow keeps findings from opening at all, which the list alone would never show.
    const squatted = await findingsSquatters(client, ctx.taskQueue, filter);
    const findings = views.flatMap((v) => v.findings).filter((f) => !values.open || f.state === 'open');
    if (ctx.json) ctx.print(terminalSafeJson({ findings, ...(squatted.length > 0 ? { squatted } : {}) }, 2));
    else ctx.print([renderFindings(findings, Date.now()), ...renderRefusals(views), ...renderSquatters(squatted, ctx.taskQueue)].join('\n'));
    if (squatted.length === 0) return 0;
    if (ctx.json) return ExitCode.refused;
    const first = squatted[0]!;
    throw new CliError(
      `${squatted.length} findings ID(s) held by a workflow Lifeboat did not start there; first: ${first.workflowId} (a ${first.type} on ${first.taskQueue})`,
      {
        code: 'findings-squatted',
        suggestion: `see who started it (temporal workflow describe --workflow-id ${first.workflowId}), then terminate it (temporal workflow terminate --workflow-id ${first.workflowId}); the next drill's end starts the real one again`,
      },
    );
  },
};
