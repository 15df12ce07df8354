import { terminalSafeJson } from '../../lib/terminal-text';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { table } from '../render';
import { runSummary } from '../runs';

const keyword = /^[A-Za-z0-9._/-]+$/;

export const listCommand: Command = {
  name: 'list',
  summary: 'List runs, newest first, by runbook, target and state',
  usage: 'lifeboat list [--runbook ID] [--target NAME] [--state STATE] [--drill isolated|live] [--limit N] [--json]',
  options: {
    ...commonOptions,
    runbook: { type: 'string' },
    target: { type: 'string' },
    state: { type: 'string' },
    limit: { type: 'string' },
    drill: { type: 'string' },
  },
  async run(ctx, { values }) {
    const filters: string[] = ['LifeboatRunbook IS NOT NULL'];
    for (const [flag, attribute] of [
      ['runbook', 'LifeboatRunbook'],
      ['target', 'LifeboatTarget'],
      ['state', 'LifeboatState'],
      ['drill', 'LifeboatDrill'],
    ] as const) {
      const value = values[flag] as string | undefined;
      if (value === undefined) continue;
      if (!keyword.test(value)) throw usageError(`--${flag} "${value}" has characters a run's ${flag} never has`, `use a plain name such as --${flag} booking`);
      filters.push(`${attribute} = '${value}'`);
    }
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit ${String(values.limit)} is not a positive whole number`, 'use --limit 50');
    const client = await ctx.client();
    const runs: Record<string, string>[] = [];
    for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) {
      runs.push(runSummary(wf));
      if (runs.length >= limit) break;
    }
    if (ctx.json) ctx.print(terminalSafeJson(runs, 2));
    else if (runs.length === 0) ctx.print('no runs');
    else
      ctx.print(
        table([
          ['RUN', 'STATE', 'REQUESTED BY', 'STARTED'],
          ...runs.map((r) => [r.drill ? `${r.runId!} [drill: ${r.drill}]` : r.runId!, shownState(r.state!, r.temporalStatus!), r.requestedBy!, r.startedAt!]),
        ]),
      );
    return 0;
  },
};

/** A run terminated or timed out by Temporal never set its final state; say so rather than show a stale one. */
function shownState(state: string, temporalStatus: string): string {
  const closedByTemporal = temporalStatus !== 'RUNNING' && temporalStatus !== 'COMPLETED' && !['aborted', 'failed'].includes(state);
  return closedByTemporal ? `${state} (${temporalStatus.toLowerCase()} in Temporal)` : state;
}
