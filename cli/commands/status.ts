import { terminalSafeJson, visibleLine } from '../../lib/terminal-text';
import type { CliContext } from '../context';
import { terminalStates } from '../../kit';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { runbooks } from '../../runbooks';
import { actsThrough, providerNames } from '../providers-of';
import { renderStatus } from '../render';
import { readPlanRunView } from '../plan-members-live';
import { isPlanRun } from '../plan-run-view';
import { renderPlanRun } from '../render-plan-run';
import { readinessBefore, type ReadinessAtRun } from '../readiness-at';
import { incidentPath } from '../report/path';
import { detectedAtOfRun } from '../runs';
import { readShownStatus } from '../shown-status';

export const statusCommand: Command = {
  name: 'status',
  summary: "Show a run's state, steps, open gate and audit trail; --watch follows it live",
  usage: 'lifeboat status <run-id> [--watch] [--interval SECONDS] [--json]',
  options: { ...commonOptions, watch: { type: 'boolean' }, interval: { type: 'string' } },
  async run(ctx, { positionals, values }) {
    const runId = positionals[0];
    if (!runId) throw usageError('name the run', 'lifeboat status region-failover/booking (see lifeboat list)');
    const intervalMs = Number(values.interval ?? 1) * 1000;
    if (!(intervalMs > 0)) throw usageError(`--interval ${String(values.interval)} is not a positive number of seconds`, 'use --interval 2');
    const client = await ctx.client();
    let last = '';
    let before: { readiness: ReadinessAtRun; detectedAt: string | undefined; trigger: AlertTrigger | undefined } | undefined;
    for (;;) {
      // Temporal's word on how the run ended, over the run's last answer: a terminated run still says `running`.
      const status = await readShownStatus(client, runId, ctx.taskQueue);
      // What was known before the run does not change while it runs: look it up once, the three questions at once.
      if (!before) {
        const [readiness, detectedAt, trigger] = await Promise.all([
          readinessBefore(client, status.runbook, status.target, status.startedAt),
          detectedAtOfRun(client, runId),
          alertTriggerOf(client, runId),
        ]);
        before = { readiness, detectedAt, trigger };
      }
      const readiness = before.readiness;
      // A recovery plan's run: its members (read live where one is running or held), critical path and decision.
      const plan = isPlanRun(status) ? await readPlanRunView(client, status, ctx.taskQueue) : undefined;
      const shown = {
        ...status,
        path: incidentPath(status, before.detectedAt ? { detectedAt: before.detectedAt } : {}),
        readinessBeforeRun: readiness,
        ...(before.trigger ? { triggeredBy: before.trigger } : {}),
        ...(plan ? { plan } : {}),
      };
      const stepProviders = await providersOfSteps(status.runbook, status.target, ctx.env);
      const rendered = renderStatus(plan ? withoutPlanDetails(status) : status, undefined, {
        path: shown.path,
        readinessBeforeRun: readiness,
        ...(stepProviders ? { stepProviders } : {}),
        ...(plan ? { sections: [renderPlanRun(plan)] } : {}),
      });
      const text = ctx.json ? terminalSafeJson(shown) : before.trigger ? withTrigger(rendered, before.trigger) : rendered;
      if (text !== last) {
        if (values.watch && !ctx.json && process.stdout.isTTY) ctx.io.stdout('\x1b[2J\x1b[H');
        if (ctx.json && !values.watch) ctx.print(terminalSafeJson(shown, 2));
        else ctx.print(values.watch && !ctx.json ? `${text}\n` : text);
        last = text;
      }
      if (!values.watch || status.endedByTemporal || terminalStates.includes(status.state as (typeof terminalStates)[number])) return 0;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  },
};

/** A plan run's status without the details its plan section shows as tables and lines (members, forecast). */
function withoutPlanDetails<S extends { details: Record<string, unknown> }>(status: S): S {
  const { members: _members, forecast: _forecast, ...rest } = status.details;
  return { ...status, details: rest };
}

/** The alert rule that started a run, as the alert receiver records it in the run's memo. */
interface AlertTrigger {
  rule: string;
  fingerprint?: string;
  detectedAt?: string;
}

async function alertTriggerOf(client: Awaited<ReturnType<CliContext['client']>>, runId: string): Promise<AlertTrigger | undefined> {
  try {
    const trigger = (await client.workflow.getHandle(runId).describe()).memo?.trigger as Partial<AlertTrigger> | undefined;
    return typeof trigger?.rule === 'string'
      ? {
          rule: trigger.rule,
          ...(trigger.fingerprint ? { fingerprint: trigger.fingerprint } : {}),
          ...(trigger.detectedAt ? { detectedAt: trigger.detectedAt } : {}),
        }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Status with a line under its heading saying which alert rule started the run (it can start runs, never approve). */
function withTrigger(rendered: string, trigger: AlertTrigger): string {
  const [heading, ...rest] = rendered.split('\n');
  const line = visibleLine(
    `triggered by alert rule ${trigger.rule}${trigger.fingerprint ? ` (alert ${trigger.fingerprint})` : ''}${trigger.detectedAt ? `, detected ${trigger.detectedAt}` : ''}`,
  );
  return [heading, line, ...rest].join('\n');
}

/**
 * What each step of the run acts through, by the targets file this CLI sees; nothing when it sees none (a CLI on
 * another machine than the workers), since the status must still show.
 */
async function providersOfSteps(runbookId: string, target: string, env: NodeJS.ProcessEnv): Promise<Record<string, string> | undefined> {
  const runbook = runbooks[runbookId];
  if (!runbook) return undefined;
  let names;
  try {
    names = await providerNames({ service: target, env });
  } catch {
    return undefined;
  }
  if (!names) return undefined;
  const steps = [...Object.values(runbook.procedure), ...Object.values(runbook.drills ?? {}).flatMap((d) => (d && 'steps' in d ? Object.values(d.steps) : []))];
  const out: Record<string, string> = {};
  for (const entry of steps) {
    const line = entry.kind === 'step' ? actsThrough(entry.uses, names) : undefined;
    if (line) out[entry.name] = line;
  }
  return out;
}
