import { isolatedDrillPlanOf, planOf } from '../../workflows/kit/plan';
import { readinessOf } from '../../workflows/kit/readiness';
import { findRunbook } from '../catalog';
import { commonOptions, type Command } from '../command';
import { renderPlan } from '../render';

export const planCommand: Command = {
  name: 'plan',
  summary: 'Show a runbook\'s steps, gates and undos without running anything',
  usage: 'lifeboat plan <runbook> [--json]',
  options: commonOptions,
  async run(ctx, { positionals }) {
    const runbook = findRunbook(positionals[0]);
    if (ctx.json) ctx.printJson({ runbook: runbook.id, title: runbook.title, objectives: runbook.objectives ?? {}, plan: planOf(runbook), isolatedDrill: isolatedDrillPlanOf(runbook), readiness: readinessOf(runbook) });
    else ctx.print(renderPlan(runbook));
    return 0;
  },
};
