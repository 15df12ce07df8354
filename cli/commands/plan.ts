import { z } from 'zod';
import { type DrillKind, type RunbookDefinition } from '../../kit';
import { drillProcedureOf, drillsOf, type PlanEntry, planOf, readinessOf } from '../../kit/trust';
import { findPlan, findRunbook } from '../catalog';
import { commonOptions, type Command } from '../command';
import { inputError, usageError } from '../errors';
import { buildInput } from '../input';
import { howServiceMoves, providerNames } from '../providers-of';
import { renderPlan } from '../render';
import { previewPlan } from '../recovery-plan-preview';
import { renderRecoveryPlan } from '../render-recovery-plan';

export const planCommand: Command = {
  name: 'plan',
  summary: "Show a runbook's steps, gates and undos without running anything",
  usage:
    'lifeboat plan <runbook> [--drill isolated|live] [--targets FILE] [--service NAME] [--json]\n       lifeboat plan <recovery-plan> [--set key=value]... [--input FILE.json] [--json]',
  options: {
    ...commonOptions,
    drill: { type: 'string' },
    targets: { type: 'string' },
    service: { type: 'string' },
    set: { type: 'string', multiple: true },
    input: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const plan = findPlan(positionals[0]);
    if (plan) {
      const other = (['drill', 'targets', 'service'] as const).find((flag) => values[flag] !== undefined);
      if (other)
        throw usageError(`--${other} is for a runbook, and ${plan.id} is a recovery plan`, `see a member's runbook with lifeboat plan <runbook> --${other} …`);
      const sets = (values.set as string[] | undefined) ?? [];
      const given = values.input !== undefined || sets.length > 0;
      const preview = previewPlan(plan, given ? buildInput(values.input as string | undefined, sets) : undefined);
      if (ctx.json) ctx.printJson(preview);
      else ctx.print(renderRecoveryPlan(preview));
      return 0;
    }
    if (values.set !== undefined || values.input !== undefined) {
      throw usageError(
        '--set and --input are for a recovery plan',
        `a runbook's plan is the same for every input; drop them (recovery plans: see lifeboat runbooks)`,
      );
    }
    const runbook = findRunbook(positionals[0]);
    const drill = drillKindFrom(values.drill);
    const where = { targets: values.targets as string | undefined, service: values.service as string | undefined, env: ctx.env };
    const providers = await providerNames(where);
    const moves = howServiceMoves(where);
    if (ctx.json) {
      ctx.printJson({
        runbook: runbook.id,
        title: runbook.title,
        objectives: runbook.objectives ?? {},
        ...(drill ? { drill } : {}),
        plan: planWithHeartbeats(runbook, drill),
        drills: drillsOf(runbook),
        readiness: readinessOf(runbook),
        ...(providers ? { providers } : {}),
        ...(moves.length ? { service: { name: where.service, moves } } : {}),
      });
    } else ctx.print([renderPlan(runbook, drill, providers), ...(moves.length ? ['', `${where.service}:`, ...moves.map((m) => `  ${m}`)] : [])].join('\n'));
    return 0;
  },
};

const DrillKindOption = z.enum(['isolated', 'live'], { error: 'use --drill isolated (a throwaway copy) or --drill live (a game day)' }).optional();

function drillKindFrom(value: unknown): z.output<typeof DrillKindOption> {
  const parsed = DrillKindOption.safeParse(value);
  if (!parsed.success) throw inputError('invalid drill flag', parsed.error);
  return parsed.data;
}

/**
 * The kit's plan, each step that heartbeats carrying its `heartbeatTimeout` as the definition gives it: how soon a
 * worker that dies in the step is noticed. `lifeboat plan --json` and `lifeboat run --dry-run --json` print it.
 */
export function planWithHeartbeats(runbook: RunbookDefinition, drill?: DrillKind): (PlanEntry & { heartbeatTimeout?: string | number })[] {
  return planOf(runbook, drill).map((entry) => {
    const spec = entry.kind === 'step' && entry.drillOnly && drill ? drillProcedureOf(runbook, drill)?.steps[entry.name] : runbook.procedure[entry.name];
    return spec?.kind === 'step' && spec.heartbeatTimeout !== undefined ? { ...entry, heartbeatTimeout: spec.heartbeatTimeout } : entry;
  });
}
