import { planRunbookId } from '../../kit';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { commonOptions, type Command } from '../command';
import { table } from '../render';

export const runbooksCommand: Command = {
  name: 'runbooks',
  summary: 'List the runbooks Lifeboat can run',
  usage: 'lifeboat runbooks [--json]',
  options: commonOptions,
  async run(ctx) {
    const list = Object.values(runbooks).map((r) => ({ id: r.id, title: r.title, description: r.description, objectives: r.objectives ?? {} }));
    // Plans follow the runbooks, marked as plans: `lifeboat run` and `lifeboat plan` take either id.
    const planList = Object.values(plans).map((p) => ({
      id: p.id,
      kind: 'plan' as const,
      runbook: planRunbookId(p.id),
      title: p.title,
      description: p.description,
      objectives: p.objectives,
      members: Object.entries(p.members).map(([name, m]) => ({ name, runbook: m.runbook.id, after: [...(m.after ?? [])] })),
    }));
    if (ctx.json) ctx.printJson([...list, ...planList]);
    else {
      ctx.print(table([['RUNBOOK', 'TITLE', 'WHAT IT DOES'], ...list.map((r) => [r.id, r.title, r.description])]));
      if (planList.length > 0) {
        ctx.print('');
        ctx.print(table([['RECOVERY PLAN', 'TITLE', 'MEMBERS (RUNBOOK)'], ...planList.map((p) => [p.id, p.title, membersCell(p.members)])]));
        ctx.print(
          'A recovery plan runs several runbooks in dependency order under one decision: lifeboat plan <plan> shows it, lifeboat run <plan> starts it.',
        );
      }
    }
    return 0;
  },
};

/** `booking, checkin, crew (region-failover)`: the members, grouped by the runbook they run. */
function membersCell(members: { name: string; runbook: string }[]): string {
  const byRunbook = new Map<string, string[]>();
  for (const m of members) byRunbook.set(m.runbook, [...(byRunbook.get(m.runbook) ?? []), m.name]);
  return [...byRunbook].map(([runbook, names]) => `${names.join(', ')} (${runbook})`).join('; ');
}
