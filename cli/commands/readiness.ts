import { randomUUID } from 'node:crypto';
import { ScheduleOverlapPolicy, WorkflowFailedError, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { type RunbookDefinition } from '../../kit';
import { loadTargets, targetsPath } from '../../providers/targets/load';
import { type ReadinessCheckSpec, type ReadinessEvaluation, readinessOf, readinessScheduleId, readinessSummary, readinessTargetOf } from '../../kit/trust';
import type { ReadinessRequest } from '../../workflows/readiness-check';
import { findRunbook } from '../catalog';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { orchestratorReadiness } from '../orchestrator/readiness';
import { checkPlanNow } from '../plan-readiness';
import { table } from '../render';

const HISTORY_LIMIT = 100;

export const readinessCommand: Command = {
  name: 'readiness',
  summary: 'Check now whether runbooks could run (estate, approvers, last drill, pager); schedule the check; its history',
  usage: [
    'lifeboat readiness [<runbook>] [--target T] [--as USER] [--json]      (exit 1 when anything is not ready)',
    'lifeboat readiness schedule <runbook> [--target T] [--every 15m] [--as USER]',
    'lifeboat readiness history <runbook> [--target T] [--json]',
    'lifeboat readiness <plan> [--set key=value]... [--json]             (RTO forecast; exit 1 when over the objective or unknown)',
  ].join('\n       '),
  options: { ...commonOptions, target: { type: 'string' }, every: { type: 'string' }, as: { type: 'string' }, set: { type: 'string', multiple: true } },
  async run(ctx, { positionals, values }) {
    const [first, second] = positionals;
    const target = values.target as string | undefined;
    if (first === 'schedule') return schedule(ctx, findRunbook(second), target, values);
    if (first === 'history') return history(ctx, findRunbook(second), target);
    if (!first && target) throw usageError('--target needs a runbook', 'lifeboat readiness region-failover --target booking');
    const sets = (values.set as string[] | undefined) ?? [];
    if (first && Object.hasOwn(plans, first)) {
      if (target) throw usageError(`--target is for a runbook; plan ${first} takes its input with --set`, `lifeboat readiness ${first} --set key=value`);
      return checkPlanNow(ctx, plans[first]!, sets);
    }
    if (sets.length > 0) throw usageError('--set is for a recovery plan', `one of: ${Object.keys(plans).join(', ')}`);
    const chosen = first ? [findRunbook(first)] : Object.values(runbooks);
    return checkNow(ctx, chosen, target, requesterOf(ctx, values));
  },
};

/** The person who would start the run; without one the approvers check counts everyone. */
function requesterOf(ctx: CliContext, values: Record<string, unknown>): string | undefined {
  try {
    return ctx.identity(values.as as string | undefined);
  } catch {
    return undefined;
  }
}

/** The probes that look at one service of the targets file: a runbook with one of them is checked for each service. */
const serviceProbes: ReadonlySet<ReadinessCheckSpec['probe']['kind']> = new Set([
  'standby-streaming',
  'load-balancer-reaches-target',
  'target-service-healthy',
  'dependencies-ready',
]);

/**
 * The services of the targets file this CLI reads (`LIFEBOAT_TARGETS`, else the working directory's, else the sample
 * estate's), or undefined when there is none to read: the worker may have its own, and each runbook is then checked
 * on its usual target as before.
 */
function servicesOfTargetsFile(env: NodeJS.ProcessEnv): string[] | undefined {
  try {
    return Object.keys(loadTargets(targetsPath(undefined, env)).services);
  } catch {
    return undefined;
  }
}

/**
 * What a runbook is checked on when no --target is given: every service of the targets file where its checks look at a
 * service (a failover of checkin is as much a question as one of booking), its usual target first; else its usual one.
 */
function targetsToCheck(runbook: RunbookDefinition, services: string[] | undefined): string[] {
  const usual = readinessTargetOf(runbook);
  const perService = readinessOf(runbook).some((c) => serviceProbes.has(c.probe.kind));
  if (!perService || !services?.includes(usual)) return [usual];
  return [usual, ...services.filter((s) => s !== usual)];
}

async function checkNow(ctx: CliContext, chosen: RunbookDefinition[], target: string | undefined, requester: string | undefined): Promise<number> {
  const client = await ctx.client();
  const services = target ? undefined : servicesOfTargetsFile(ctx.env);
  const requests = chosen.flatMap((runbook) => (target ? [target] : targetsToCheck(runbook, services)).map((t) => ({ runbook: runbook.id, target: t })));
  const evaluations = await Promise.all(requests.map((r) => evaluate(ctx, client, { ...r, ...(requester ? { requester } : {}) })));
  // With LIFEBOAT_CLUSTERS, whether the orchestrator would survive its own region's loss counts for every runbook.
  const orchestrator = await orchestratorReadiness(ctx.env, ctx.settings(), ctx.taskQueue);
  if (orchestrator) for (const e of evaluations) Object.assign(e, { checks: [...e.checks, orchestrator], ready: e.ready && orchestrator.ready });
  const ready = evaluations.every((e) => e.ready);
  if (ctx.json) ctx.printJson(evaluations.length === 1 ? evaluations[0] : { ready, runbooks: evaluations });
  else {
    const rows = [['RUNBOOK', 'TARGET', 'CHECK', 'RESULT', 'REASON', 'FIX']];
    for (const e of evaluations)
      for (const c of e.checks) rows.push([e.runbook, e.target, c.name, c.ready ? 'ready' : 'NOT READY', c.reason, c.ready ? '-' : c.fix]);
    ctx.print(
      `${table(rows)}\n\n${
        ready
          ? 'ready'
          : `NOT READY: ${evaluations
              .filter((e) => !e.ready)
              .map((e) => `${e.runbook} on ${e.target}`)
              .join(', ')}`
      }`,
    );
  }
  return ready ? ExitCode.ok : ExitCode.refused;
}

/** Runs the `readinessCheck` workflow on the worker, where the estate adapters and the roster are, and waits for it. */
async function evaluate(ctx: CliContext, client: Client, request: ReadinessRequest & { target: string }): Promise<ReadinessEvaluation> {
  try {
    return await client.workflow.execute('readinessCheck', {
      taskQueue: ctx.taskQueue,
      workflowId: `${readinessScheduleId(request.runbook, request.target)}/now-${randomUUID().slice(0, 8)}`,
      args: [request],
      // With no worker polling, say so within a minute instead of waiting for ever.
      workflowExecutionTimeout: '1 minute',
    });
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      throw new CliError(`the readiness check of ${request.runbook} on ${request.target} did not finish: ${err.cause?.message ?? err.message}`, {
        code: 'no-result',
        suggestion: `is a worker running on task queue ${ctx.taskQueue}? (lifeboat worker, or npm start)`,
      });
    }
    throw err;
  }
}

async function schedule(ctx: CliContext, runbook: RunbookDefinition, flagTarget: string | undefined, values: Record<string, unknown>): Promise<number> {
  const target = flagTarget ?? readinessTargetOf(runbook);
  const every = (values.every as string | undefined) ?? '15m';
  try {
    if (!(msToNumber(every as Duration) > 0)) throw new Error('not positive');
  } catch {
    throw usageError(`--every ${every} is not a duration`, 'write it like --every 15m, 1h or 30s');
  }
  const scheduleId = readinessScheduleId(runbook.id, target);
  const requester = requesterOf(ctx, values);
  const request: ReadinessRequest = { runbook: runbook.id, target, schedule: scheduleId, ...(requester ? { requester } : {}) };
  const client = await ctx.client();
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: every as Duration }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'readinessCheck',
        taskQueue: ctx.taskQueue,
        workflowId: scheduleId,
        args: [request],
        workflowExecutionTimeout: '5 minutes',
      },
      // One evaluation at a time, so each compares itself with a finished one.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { runbook: runbook.id, target, kind: 'readiness' },
      state: { note: `readiness of ${runbook.id} on ${target}, every ${every}`, triggerImmediately: true },
    });
  } catch (err) {
    if ((err as Error).name === 'ScheduleAlreadyRunning') {
      throw new CliError(`a readiness schedule ${scheduleId} already exists`, {
        code: 'exists',
        suggestion: `delete it with temporal schedule delete --schedule-id ${scheduleId}, then schedule again`,
      });
    }
    throw err;
  }
  if (ctx.json) ctx.printJson({ scheduleId, runbook: runbook.id, target, every });
  else
    ctx.print(
      `scheduled ${scheduleId}: readiness of ${runbook.id} on ${target} every ${every}, starting now\n  see it with: lifeboat readiness history ${runbook.id} --target ${target}`,
    );
  return ExitCode.ok;
}

/** The schedule's last evaluations, newest first, read from the memos of the workflows it started. */
export async function readinessHistory(client: Client, scheduleId: string, limit = HISTORY_LIMIT): Promise<ReadinessEvaluation[]> {
  const found: { startedAt: number; evaluation: ReadinessEvaluation }[] = [];
  const query = `TemporalScheduledById = '${scheduleId.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Completed'`;
  for await (const wf of client.workflow.list({ query })) {
    const evaluation = wf.memo?.readiness as ReadinessEvaluation | undefined;
    if (evaluation) found.push({ startedAt: wf.startTime.getTime(), evaluation });
    if (found.length >= limit) break;
  }
  return found.sort((a, b) => b.startedAt - a.startedAt).map((f) => f.evaluation);
}

async function history(ctx: CliContext, runbook: RunbookDefinition, flagTarget: string | undefined): Promise<number> {
  const target = flagTarget ?? readinessTargetOf(runbook);
  const evaluations = await readinessHistory(await ctx.client(), readinessScheduleId(runbook.id, target));
  if (ctx.json) ctx.printJson(evaluations);
  else if (evaluations.length === 0)
    ctx.print(`no scheduled readiness evaluations of ${runbook.id} on ${target}; start them with lifeboat readiness schedule ${runbook.id} --target ${target}`);
  else {
    const change = (e: ReadinessEvaluation) =>
      e.changed
        ? `${e.changed.from ? 'ready' : 'not ready'} -> ${e.changed.to ? 'ready' : 'not ready'}${e.changed.notified ? ' (notified)' : ' (notify failed)'}`
        : '-';
    ctx.print(
      table([
        ['CHECKED AT', 'RESULT', 'CHANGE', 'REASON'],
        ...evaluations.map((e) => [e.checkedAt, e.ready ? 'ready' : 'NOT READY', change(e), readinessSummary(e)]),
      ]),
    );
  }
  return ExitCode.ok;
}
