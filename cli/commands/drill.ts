import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { drillSchedulePrefix, drillSchedules } from '../drill-schedules';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { runIdFor, type RunStatus } from '../../kit';
import { digestOf, drillProblems, MAX_SCHEDULE_AUTHORISATION_MS } from '../../kit/trust';
import { readinessBefore, type ReadinessAtRun } from '../readiness-at';
import { objectivesFromDetection } from '../report/path';
import type { DrillSpec } from '../../workflows/scheduled-drill';
import { findPlan, findRunbook } from '../catalog';
import { planMemberDrills, renderPlanDrill } from '../plan-drill';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, usageError } from '../errors';
import { buildInput, parseRunbookInput } from '../input';
import { table } from '../render';
import { drillHistorySvg, drillHistoryText } from '../report/history-chart';
import { writeFileSync } from 'node:fs';
import { drillFrom } from './run';
import { newStatement, printStatementIfAsked, signed, signingOptions } from '../signing';

const subcommands = ['schedule', 'list', 'pause', 'resume', 'trigger', 'delete', 'history'] as const;
type Subcommand = (typeof subcommands)[number];

export const drillCommand: Command = {
  name: 'drill',
  summary: 'Scheduled DR drills on Temporal Schedules: schedule, list, pause, resume, trigger, delete, history',
  usage: [
    'lifeboat drill schedule <runbook> (--cron "0 3 * * 1" | --every 24h) [--drill isolated|live] [--drill-approvals policy|people]',
    '                        [--set key=value]... [--input FILE] [--objective rto=SECONDS] [--objective rpo=SECONDS] [--jitter 10m] [--as USER]',
    '                        [--key FILE] [--authorise-for 90d] (the drills run on your signature until then)',
    'lifeboat drill list',
    'lifeboat drill pause|resume <schedule-id> [--reason TEXT]',
    'lifeboat drill trigger|delete <schedule-id>',
    'lifeboat drill history <runbook> [--limit N] [--format text|html|json] [--out FILE]',
  ].join('\n       '),
  options: {
    ...commonOptions,
    cron: { type: 'string' },
    every: { type: 'string' },
    jitter: { type: 'string' },
    drill: { type: 'string' },
    'drill-approvals': { type: 'string' },
    set: { type: 'string', multiple: true },
    input: { type: 'string' },
    objective: { type: 'string', multiple: true },
    as: { type: 'string' },
    ...signingOptions,
    'authorise-for': { type: 'string' },
    reason: { type: 'string' },
    limit: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const [sub, arg] = positionals as [Subcommand | undefined, string | undefined];
    if (!sub || !subcommands.includes(sub)) throw usageError(`drill needs a subcommand`, `one of: ${subcommands.join(', ')}`);
    if (sub === 'list') return listSchedules(ctx);
    if (!arg)
      throw usageError(
        `drill ${sub} needs ${sub === 'schedule' || sub === 'history' ? 'a runbook' : 'a schedule id'}`,
        sub === 'schedule' || sub === 'history' ? `lifeboat drill ${sub} paging-check` : 'see lifeboat drill list',
      );
    if (sub === 'schedule') return createSchedule(ctx, arg, values);
    if (sub === 'history') return history(ctx, arg, values);
    return manageSchedule(ctx, sub, arg, values.reason as string | undefined);
  },
};

function durationFlag(flag: string, value: unknown): Duration | undefined {
  if (value === undefined) return undefined;
  try {
    if (msToNumber(value as Duration) > 0) return value as Duration;
  } catch {
    // fall through to the usage error
  }
  throw usageError(`--${flag} ${String(value)} is not a duration`, `write it like --${flag} 24h, 30m or 90s`);
}

function objectivesFrom(flags: string[] | undefined): DrillSpec['objectives'] {
  if (!flags?.length) return undefined;
  const objectives: Record<string, number> = {};
  for (const flag of flags) {
    const match = /^(rto|rpo)=(\d+(?:\.\d+)?)$/.exec(flag);
    if (!match) throw usageError(`--objective ${flag} is not rto=SECONDS or rpo=SECONDS`, 'for example --objective rto=300 --objective rpo=0');
    objectives[`${match[1]}Seconds`] = Number(match[2]);
  }
  return objectives;
}

async function createSchedule(ctx: CliContext, runbookId: string, values: Record<string, unknown>): Promise<number> {
  const runbook = findRunbook(runbookId);
  const cron = values.cron as string | undefined;
  const every = durationFlag('every', values.every);
  if (!cron === !every)
    throw usageError('say when the drill runs with exactly one of --cron or --every', 'for example --cron "0 3 * * 1" (Mondays 03:00 UTC) or --every 24h');
  const jitter = durationFlag('jitter', values.jitter);
  const raw = buildInput(values.input as string | undefined, (values.set as string[] | undefined) ?? []);
  const parsedInput = parseRunbookInput(runbook, raw);
  const target = runbook.target(parsedInput);
  const drill = drillFrom(values.drill ?? 'isolated', values['drill-approvals'], runbook);
  // A plan's drill is its members' drills: say what each will do, as lifeboat run <plan> --drill does.
  const plan = findPlan(runbookId);
  const objectives = objectivesFrom(values.objective as string[] | undefined);
  const requestedBy = ctx.identity(values.as as string | undefined);
  const scheduleId = `${drillSchedulePrefix}${runbook.id}/${target}`;
  const authoriseFor = durationFlag('authorise-for', values['authorise-for'] ?? '90 days')!;
  if (msToNumber(authoriseFor) > MAX_SCHEDULE_AUTHORISATION_MS)
    throw usageError(`--authorise-for ${String(authoriseFor)} is too long`, 'at most 400 days; create the schedule again when it runs out');
  // The requester signs once for the schedule's drills: this runbook, input and drill kind, started by this schedule only.
  const statement = newStatement(
    'start',
    { namespace: ctx.settings().namespace, workflowId: runIdFor(runbook.id, target), runId: '', inputDigest: digestOf(raw) },
    requestedBy,
    { runbook: runbook.id, drill: drill!.kind, schedule: scheduleId },
    msToNumber(authoriseFor),
  );
  if (printStatementIfAsked(ctx, statement, values, `lifeboat drill schedule ${runbook.id} <the same flags>`)) return 0;
  const start = await signed(ctx, statement, values);
  const spec: DrillSpec = { runbook: runbook.id, input: raw, drill: drill!, requestedBy, ...(objectives ? { objectives } : {}), start };
  const client = await ctx.client();
  try {
    await client.schedule.create({
      scheduleId,
      spec: { ...(cron ? { cronExpressions: [cron] } : { intervals: [{ every: every! }] }), ...(jitter ? { jitter } : {}) },
      action: { type: 'startWorkflow', workflowType: 'scheduledDrill', taskQueue: ctx.taskQueue, workflowId: scheduleId, args: [spec] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      memo: { runbook: runbook.id, target, drill: spec.drill.kind },
      state: { note: `${spec.drill.kind} drill of ${runbook.id} on ${target}, scheduled by ${spec.requestedBy}` },
    });
  } catch (err) {
    if ((err as Error).name === 'ScheduleAlreadyRunning') {
      throw new CliError(`a drill schedule ${scheduleId} already exists`, {
        code: 'exists',
        suggestion: `delete it first with lifeboat drill delete ${scheduleId}`,
      });
    }
    throw err;
  }
  if (ctx.json)
    ctx.printJson({
      scheduleId,
      ...spec,
      ...(cron ? { cron } : { every }),
      ...(jitter ? { jitter } : {}),
      ...(plan ? { memberDrills: planMemberDrills(plan, parsedInput, spec.drill.kind) } : {}),
    });
  else {
    ctx.print(
      `scheduled ${scheduleId}: ${spec.drill.kind} drill ${cron ? `on cron "${cron}"` : `every ${every}`}${jitter ? ` with up to ${jitter} jitter` : ''}\n  run it now: lifeboat drill trigger ${scheduleId}`,
    );
    if (plan) ctx.print(renderPlanDrill(plan, parsedInput, spec.drill));
  }
  return 0;
}

async function listSchedules(ctx: CliContext): Promise<number> {
  const rows = await drillSchedules(await ctx.client());
  if (ctx.json) ctx.printJson(rows);
  else if (rows.length === 0) ctx.print('no drill schedules; create one with lifeboat drill schedule <runbook> --every 24h');
  else
    ctx.print(
      table([
        ['SCHEDULE', 'DRILL', 'PAUSED', 'NEXT RUN', 'LAST RUN'],
        ...rows.map((r) => [String(r.scheduleId), String(r.drill), r.paused ? 'yes' : 'no', String(r.nextRun ?? '-'), String(r.lastRun ?? '-')]),
      ]),
    );
  return 0;
}

async function manageSchedule(
  ctx: CliContext,
  sub: 'pause' | 'resume' | 'trigger' | 'delete',
  scheduleId: string,
  reason: string | undefined,
): Promise<number> {
  const client = await ctx.client();
  const handle = client.schedule.getHandle(scheduleId);
  try {
    if (sub === 'pause') await handle.pause(reason ?? 'paused from the lifeboat CLI');
    else if (sub === 'resume') await handle.unpause(reason ?? 'resumed from the lifeboat CLI');
    else if (sub === 'trigger') await handle.trigger();
    else await handle.delete();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError || /not found/i.test((err as Error).message)) {
      throw new CliError(`no drill schedule ${scheduleId}`, { code: 'not-found', suggestion: 'see lifeboat drill list' });
    }
    throw err;
  }
  const done = { pause: 'paused', resume: 'resumed', trigger: 'triggered', delete: 'deleted' }[sub];
  if (ctx.json) ctx.printJson({ scheduleId, [done]: true });
  else ctx.print(`${done} ${scheduleId}`);
  return 0;
}

/** One finished drill as `drill history` shows it. */
export interface DrillHistoryEntry {
  runId: string;
  temporalRunId: string;
  startedAt: string;
  state: string;
  drill?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  objectives: RunStatus['objectives'];
  passed: boolean;
  problems: string[];
  /** The scheduled readiness evaluation last made before the drill started, or that there was none. */
  readinessBeforeRun?: ReadinessAtRun;
}

export async function drillHistory(client: Client, runbookId: string, limit: number): Promise<DrillHistoryEntry[]> {
  const entries: DrillHistoryEntry[] = [];
  const query = `LifeboatRunbook = '${runbookId}' AND LifeboatDrill IS NOT NULL AND ExecutionStatus != 'Running'`;
  for await (const wf of client.workflow.list({ query })) {
    if (entries.length >= limit) break;
    const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
    const status = wf.status.name === 'COMPLETED' ? ((await handle.result()) as RunStatus) : undefined;
    const problems = status ? drillProblems(status) : [`the workflow ended ${wf.status.name.toLowerCase()} in Temporal`];
    entries.push({
      runId: wf.workflowId,
      temporalRunId: wf.runId,
      startedAt: wf.startTime.toISOString(),
      state: status?.state ?? wf.status.name.toLowerCase(),
      ...(status?.drill ? { drill: status.drill.kind } : {}),
      ...(status?.measurements?.rtoSeconds !== undefined ? { rtoSeconds: status.measurements.rtoSeconds } : {}),
      ...(status?.measurements?.rpoSeconds !== undefined ? { rpoSeconds: status.measurements.rpoSeconds } : {}),
      objectives: status?.objectives,
      passed: problems.length === 0 && (status ? objectivesFromDetection(status).every((c) => c.met || c.measuredSeconds === undefined) : false),
      problems,
      ...(status ? { readinessBeforeRun: await readinessBefore(client, status.runbook, status.target, status.startedAt) } : {}),
    });
  }
  return entries;
}

async function history(ctx: CliContext, runbookId: string, values: Record<string, unknown>): Promise<number> {
  const runbook = findRunbook(runbookId);
  const limit = Number(values.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit ${String(values.limit)} is not a positive whole number`, 'use --limit 50');
  const format = ctx.json ? 'json' : ((values.format as string | undefined) ?? 'text');
  if (!['text', 'html', 'json'].includes(format))
    throw usageError(`--format ${format} is not one of text, html, json`, `lifeboat drill history ${runbook.id} --format html --out drills.html`);
  const entries = await drillHistory(await ctx.client(), runbook.id, limit);
  const seconds = (v: number | undefined, objective: number | undefined) =>
    v === undefined ? '-' : `${v}s${objective !== undefined ? ` / ${objective}s` : ''}`;
  const rows = [
    ['STARTED', 'DRILL', 'STATE', 'RTO / OBJECTIVE', 'RPO / OBJECTIVE', 'RESULT', 'READINESS BEFORE'],
    ...entries.map((e) => [
      e.startedAt,
      e.drill ?? '-',
      e.state,
      seconds(e.rtoSeconds, e.objectives?.rtoSeconds),
      seconds(e.rpoSeconds, e.objectives?.rpoSeconds),
      e.passed ? 'pass' : `FAIL: ${e.problems.join('; ')}`,
      e.readinessBeforeRun?.summary ?? '-',
    ]),
  ];
  let text: string;
  if (format === 'json') text = `${JSON.stringify(entries, null, 2)}\n`;
  else if (format === 'html') text = drillHistoryHtml(runbook.id, rows, entries);
  else if (entries.length === 0) text = `no finished drills of ${runbook.id} yet\n`;
  else
    text = [
      table(rows),
      '',
      'RTO, newest first:',
      drillHistoryText(entries, 'rtoSeconds'),
      '',
      'RPO, newest first:',
      drillHistoryText(entries, 'rpoSeconds'),
      '',
    ].join('\n');
  const out = values.out as string | undefined;
  if (out) {
    writeFileSync(out, text);
    ctx.io.stderr(`wrote ${out}\n`);
  } else ctx.io.stdout(text);
  return 0;
}

function drillHistoryHtml(runbookId: string, rows: string[][], entries: DrillHistoryEntry[]): string {
  const esc = (t: string) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const [head, ...body] = rows;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drills of ${esc(runbookId)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 8px;font-size:14px}th{background:#f3f3f3}</style></head>
<body><h1>Drills of ${esc(runbookId)}</h1>
${entries.length ? drillHistorySvg(entries) : '<p>No finished drills yet.</p>'}
<table><thead><tr>${head!.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>
<script>document.body.dataset.drawnPoints=String([...document.querySelectorAll('svg.drill-history circle.point')].filter(function(p){var r=p.getBoundingClientRect();return r.width>0}).length)</script>
</body></html>
`;
}
