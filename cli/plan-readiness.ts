import type { z } from 'zod';
import type { RecoveryPlanDefinition } from '../kit';
import { durationText, forecastPlan, type PlanForecastReport } from '../lib/plan-forecast';
import type { CliContext } from './context';
import { ExitCode, inputError, usageError } from './errors';
import { buildInput } from './input';
import { table } from './render';

/**
 * `lifeboat readiness <plan>`: whether the plan would meet its RTO objective, forecast from its members' recent runs
 * and drills, before anyone is asked to sign it. Exit 1 when the forecast is over the objective or unknown.
 */
export async function checkPlanNow(ctx: CliContext, plan: RecoveryPlanDefinition, sets: string[]): Promise<number> {
  const input = planInputOf(plan, sets);
  const report = await forecastPlan(await ctx.client(), plan, input);
  if (ctx.json) ctx.printJson(report);
  else ctx.print(reportText(report, input));
  return report.ready ? ExitCode.ok : ExitCode.refused;
}

/** The plan's input from `--set`, checked by the plan's schema; with none, the plan's first example. */
function planInputOf(plan: RecoveryPlanDefinition, sets: string[]): z.output<RecoveryPlanDefinition['input']> {
  const raw = sets.length > 0 ? buildInput(undefined, sets) : (plan.examples[0] as Record<string, unknown>);
  const known = Object.keys((plan.input as unknown as { shape?: Record<string, unknown> }).shape ?? {});
  const unknown = known.length > 0 ? Object.keys(raw).filter((key) => !known.includes(key)) : [];
  if (unknown.length > 0) {
    throw usageError(`plan ${plan.id} has no input field ${unknown.join(', ')}`, `its fields are: ${known.join(', ')}`);
  }
  const parsed = plan.input.safeParse(raw);
  if (!parsed.success) {
    throw inputError(`invalid input for plan ${plan.id}`, parsed.error, `fix the fields above with --set key=value, for example ${exampleSets(plan)}`);
  }
  return parsed.data;
}

/** The plan's first example as `--set` flags, for the fix of a refused input. */
function exampleSets(plan: RecoveryPlanDefinition): string {
  return Object.entries(plan.examples[0] as Record<string, unknown>)
    .map(([key, value]) => `--set ${key}=${String(value)}`)
    .join(' ');
}

function reportText(report: PlanForecastReport, input: unknown): string {
  const { forecast } = report;
  const inputText = Object.entries(input as Record<string, unknown>)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  const predicted = forecast.forecast
    ? `${durationText(forecast.forecast.median.seconds)} (range ${durationText(forecast.forecast.min.seconds)}–${durationText(forecast.forecast.max.seconds)})`
    : `unknown (no history for ${report.noHistory.join(', ')})`;
  const runs = report.members.reduce((sum, m) => sum + m.runs.length, 0);
  const rangeOf = new Map(forecast.ranges.map((r) => [r.member, r]));
  const rows = [
    ['MEMBER', 'RUNS OF', 'RUNS', 'MEDIAN', 'RANGE', 'DRILLS', 'LATEST'],
    ...report.members.map((m) => {
      const range = rangeOf.get(m.member);
      return [
        m.member,
        m.workflowId,
        String(m.runs.length),
        range ? durationText(range.medianSeconds) : '-',
        range ? `${durationText(range.minSeconds)}–${durationText(range.maxSeconds)}` : 'no history',
        String(m.runs.filter((r) => r.drill !== 'none').length),
        m.runs[0]?.finishedAt ?? '-',
      ];
    }),
  ];
  return [
    `plan ${report.plan} (${inputText})`,
    `objective:     ${durationText(report.objectiveSeconds)}`,
    `forecast:      ${predicted}`,
    `based on:      ${runs} succeeded run${runs === 1 ? '' : 's'} in the last ${report.basis.lookbackDays} days (at most ${report.basis.runsPerMember} per member)`,
    `critical path: ${report.criticalPath.join(' → ')}${forecast.forecast ? '' : ' (by dependencies; durations unknown)'}`,
    '',
    table(rows),
    '',
    table([
      ['MEMBER', 'TEMPORAL RUN', 'WORK', 'DRILL', 'FINISHED'],
      ...report.members.flatMap((m) => m.runs.map((r) => [m.member, r.temporalRunId, durationText(r.seconds), r.drill, r.finishedAt])),
    ]),
    '',
    ...report.notes.map((n) => `note: ${n}`),
    '',
    report.ready ? 'ready' : `NOT READY: ${report.reasons.join('; ')}`,
  ].join('\n');
}
