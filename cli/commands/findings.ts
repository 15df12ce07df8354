import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { allFindings } from '../../lib/findings/read-findings';
import { renderFindings, renderRefusals } from '../findings/render';

/** `lifeboat findings`: the audit findings drills and readiness opened, from each runbook and target's findings workflow. */
export const findingsCommand: Command = {
  name: 'findings',
  summary: 'List audit findings (failed drills, missed objectives, long not-ready spells) and whether they are open, overdue or closed',
  usage: 'lifeboat findings [--runbook RUNBOOK] [--target TARGET] [--open] [--json]',
  options: { ...commonOptions, runbook: { type: 'string' }, target: { type: 'string' }, open: { type: 'boolean' } },
  async run(ctx, { values }) {
    const client = await ctx.client();
    const views = await allFindings(client, ctx.taskQueue, {
      ...(values.runbook ? { runbook: values.runbook as string } : {}),
      ...(values.target ? { target: values.target as string } : {}),
    });
    const findings = views.flatMap((v) => v.findings).filter((f) => !values.open || f.state === 'open');
    if (ctx.json) ctx.print(terminalSafeJson({ findings }, 2));
    else ctx.print([renderFindings(findings, Date.now()), ...renderRefusals(views)].join('\n'));
    return 0;
  },
};
