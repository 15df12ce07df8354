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
    if (ctx.json) ctx.printJson(list);
    else ctx.print(table([['RUNBOOK', 'TITLE', 'WHAT IT DOES'], ...list.map((r) => [r.id, r.title, r.description])]));
    return 0;
  },
};
