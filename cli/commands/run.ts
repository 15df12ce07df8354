import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { z } from 'zod';
import { type DrillMode, runIdFor, type RunbookDefinition, statusQuery } from '../../kit';
import { digestOf } from '../../kit/trust';
import { findPlan, findRunbook } from '../catalog';
import { commonOptions, type Command } from '../command';
import { CliError, inputError, usageError } from '../errors';
import { buildInput, parseRunbookInput } from '../input';
import { renderPlan } from '../render';
import { previewPlan } from '../recovery-plan-preview';
import { renderRecoveryPlan } from '../render-recovery-plan';
import { planDrillRefusal, planMemberDrills, planDrillDecision, renderPlanDrill } from '../plan-drill';
import { planWithHeartbeats } from './plan';
import { runHandle } from '../runs';
import { newStatement, printStatementIfAsked, signed, signingOptions } from '../signing';
import { startRun } from '../start-run';
import { awaitStartCheck, START_CHECK_WAIT_MS } from '../start-check';

export const runCommand: Command = {
  name: 'run',
  summary: 'Start a runbook, wait for a worker to check its start, and print its run id',
  usage:
    'lifeboat run <runbook> [--input FILE.json] [--set key=value]... [--as USER] [--key FILE] [--drill isolated|live] [--drill-approvals policy|people] [--dry-run] [--print-statement | --statement FILE --signature FILE] [--json]',
  options: {
    ...commonOptions,
    ...signingOptions,
    drill: { type: 'string' },
    'drill-approvals': { type: 'string' },
    'dry-run': { type: 'boolean' },
    input: { type: 'string' },
    set: { type: 'string', multiple: true },
    as: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const runbook = findRunbook(positionals[0]);
    // A recovery plan runs as its runbook (plan/<id>); its dry run shows the members and the decision, not just steps.
    const plan = findPlan(positionals[0]);
    const raw = buildInput(values.input as string | undefined, (values.set as string[] | undefined) ?? []);
    const parsed = { data: parseRunbookInput(runbook, raw) };
    const target = runbook.target(parsed.data);
    const runId = runIdFor(runbook.id, target);
    const requestedBy = ctx.identity(values.as as string | undefined);
    const drill = drillFrom(values.drill, values['drill-approvals'], runbook);
    if (values['dry-run']) {
      if (ctx.json)
        ctx.printJson({
          runId,
          runbook: runbook.id,
          target,
          requestedBy,
          ...(drill ? { drill } : {}),
          input: parsed.data,
          plan: planWithHeartbeats(runbook, drill?.kind),
          ...(plan ? { recoveryPlan: previewPlan(plan, raw) } : {}),
          ...(plan && drill ? { memberDrills: planMemberDrills(plan, parsed.data, drill.kind), decision: planDrillDecision(plan, drill) } : {}),
        });
      else
        ctx.print(
          `would start ${runId} as ${requestedBy} with input ${JSON.stringify(parsed.data)}\n\n${plan ? renderRecoveryPlan(previewPlan(plan, raw)) : renderPlan(runbook, drill?.kind)}` +
            (plan && drill ? `\n\n${renderPlanDrill(plan, parsed.data, drill)}` : ''),
        );
      return 0;
    }
    const statement = newStatement('start', { namespace: ctx.settings().namespace, workflowId: runId, runId: '', inputDigest: digestOf(raw) }, requestedBy, {
      runbook: runbook.id,
      drill: drill?.kind ?? 'none',
    });
    if (printStatementIfAsked(ctx, statement, values, `lifeboat run ${runbook.id} <the same --set/--input>`)) return 0;
    const start = await signed(ctx, statement, values);
    const client = await ctx.client();
    try {
      await startRun(client, {
        runbook,
        runId,
        target,
        taskQueue: ctx.taskQueue,
        input: raw,
        requestedBy,
        start,
        ...(drill ? { drill } : {}),
        ...(ctx.env.LIFEBOAT_CONSOLE_URL ? { consoleUrl: ctx.env.LIFEBOAT_CONSOLE_URL } : {}),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        const who = await runHandle(client, runId)
          .query(statusQuery)
          .then((s) => ` (${s.drill ? `a ${s.drill.kind} DRILL, ` : ''}started by ${s.requestedBy} at ${s.startedAt}, now ${s.state})`)
          .catch(() => '');
        throw new CliError(`${runId} is already running${who}; one run per runbook and target at a time`, {
          code: 'already-running',
          suggestion: `watch it with lifeboat status ${runId} --watch, or stop it with lifeboat abort ${runId} --reason "..."`,
        });
      }
      throw err;
    }
    // The README promises exit 1 for a refused run: a worker checks the start (roster, signature, claim) after Temporal
    // has taken it, so wait for that check before saying "started".
    const check = await awaitStartCheck(client, runId);
    if (check.outcome === 'refused') {
      throw new CliError(`${runId} was refused at start: ${check.reason}`, {
        code: 'start-refused',
        suggestion: `fix what the reason names and run it again; the refused run stays listed as failed (lifeboat status ${runId})`,
      });
    }
    const startCheck = check.outcome === 'accepted' ? 'passed' : 'pending';
    if (ctx.json)
      ctx.printJson({
        runId,
        runbook: runbook.id,
        target,
        requestedBy,
        ...(drill ? { drill } : {}),
        startCheck,
        ...(plan && drill ? { memberDrills: planMemberDrills(plan, parsed.data, drill.kind) } : {}),
      });
    else {
      ctx.print(`started ${drill ? `${drill.kind} drill ` : ''}${runId}`);
      if (plan && drill) ctx.print(renderPlanDrill(plan, parsed.data, drill));
      if (check.outcome === 'unchecked') {
        ctx.print(
          `  no worker has checked its start yet (${START_CHECK_WAIT_MS / 1000}s): it runs once a worker polls task queue ${ctx.taskQueue}; ` +
            `lifeboat status ${runId} says whether it was accepted`,
        );
      }
      // A drill approved by policy decides itself: nobody is asked to sign.
      if (plan && drill?.approvals !== 'policy')
        ctx.print(`  decide: lifeboat approve ${runId} --as <you>   (the plan's one decision: lifeboat plan ${plan.id} says who signs it)`);
      ctx.print(`  watch:  lifeboat status ${runId} --watch`);
      ctx.print(`  stop:   lifeboat abort ${runId} --reason "..."`);
    }
    return 0;
  },
};

const DrillFlags = z
  .object({
    kind: z.enum(['isolated', 'live'], { error: 'use --drill isolated (a throwaway copy) or --drill live (a game day)' }),
    approvals: z.enum(['policy', 'people'], { error: 'use --drill-approvals policy (gates approve themselves) or people' }).optional(),
  })
  .refine((d) => !(d.kind === 'live' && d.approvals === 'policy'), {
    message: 'a live drill moves production, so its gates need people: drop --drill-approvals policy, or use --drill isolated',
    path: ['approvals'],
  })
  .transform((d) => ({ kind: d.kind, approvals: d.approvals ?? (d.kind === 'isolated' ? 'policy' : 'people') }));

/**
 * `--drill` and `--drill-approvals`, or undefined for a real run. A drill kind the runbook refuses (region-failback has
 * no isolated drill) is refused here, before anything starts, with the runbook's reason; the workflow refuses it too.
 */
export function drillFrom(kind: unknown, approvals: unknown, runbook?: RunbookDefinition): DrillMode | undefined {
  if (kind === undefined) {
    if (approvals !== undefined)
      throw inputError('--drill-approvals needs --drill', new z.ZodError([{ code: 'custom', path: ['drill'], message: 'missing', input: undefined }]));
    return undefined;
  }
  const parsed = DrillFlags.safeParse({ kind, ...(approvals !== undefined ? { approvals } : {}) });
  if (!parsed.success) throw inputError('invalid drill flags', parsed.error);
  const drill = runbook?.drills?.[parsed.data.kind];
  if (runbook && drill && 'refused' in drill)
    throw usageError(`${runbook.id} has no ${parsed.data.kind} drill: ${drill.refused}`, `see lifeboat plan ${runbook.id}`);
  // A plan hands its drill to every member: a member that refuses this kind would stop the plan after its decision.
  const plan = runbook ? findPlan(runbook.id) : undefined;
  const refusal = plan ? planDrillRefusal(plan, parsed.data.kind) : undefined;
  if (plan && refusal)
    throw usageError(
      `${plan.id} has no ${parsed.data.kind} drill: its member ${refusal.member} runs ${refusal.runbook}, which has none: ${refusal.reason}`,
      `see lifeboat plan ${refusal.runbook}`,
    );
  return parsed.data;
}
