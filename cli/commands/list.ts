import { terminalSafeJson } from '../../lib/terminal-text';
import { planRunbookId } from '../../kit';
import { findPlan } from '../catalog';
import { commonOptions, type Command } from '../command';
import { usageError } from '../errors';
import { table } from '../render';
import { shownSummary, stateClause } from '../run-outcome';
import { runSummary } from '../runs';

const keyword = /^[A-Za-z0-9._/-]+$/;

export const listCommand: Command = {
  name: 'list',
  summary: 'List runs, newest first, by runbook, target and state',
  usage: 'lifeboat list [--runbook ID] [--target NAME] [--state STATE|terminated|timed-out|canceled] [--drill isolated|live] [--limit N] [--json]',
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
      // A recovery plan's runs are listed under its runbook id: --runbook evacuate-region means plan/evacuate-region.
      const plan = flag === 'runbook' ? findPlan(value) : undefined;
      // A run Temporal ended never recorded that state itself: ask Temporal's execution status instead.
      filters.push(flag === 'state' ? stateClause(value) : `${attribute} = '${plan ? planRunbookId(plan.id) : value}'`);
    }
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit ${String(values.limit)} is not a positive whole number`, 'use --limit 50');
    const client = await ctx.client();
    const runs: Record<string, string>[] = [];
    for await (const wf of client.workflow.list({ query: filters.join(' AND ') })) {
      runs.push(shownSummary(runSummary(wf)));
      if (runs.length >= limit) break;
    }
    if (ctx.json) ctx.print(terminalSafeJson(runs, 2));
    else if (runs.length === 0) ctx.print('no runs');
    else
      ctx.print(
        table([
          ['RUN', 'STATE', 'REQUESTED BY', 'STARTED'],
          ...runs.map((r) => [r.drill ? `${r.runId!} [drill: ${r.drill}]` : r.runId!, stateCell(r), r.requestedBy!, r.startedAt!]),
        ]),
      );
    return 0;
  },
};

/**
 * The STATE cell: the shown state, and for a run Temporal closed in another way with a state that is not final (an
 * earlier run of a chain that continued as new, a workflow failure), Temporal's word beside it.
 */
function stateCell(r: Record<string, string>): string {
  const closedOtherwise = !['RUNNING', 'COMPLETED'].includes(r.temporalStatus!) && !r.lastState && !['succeeded', 'failed', 'aborted'].includes(r.state!);
  return closedOtherwise ? `${r.state!} (${r.temporalStatus!.toLowerCase()} in Temporal)` : r.state!;
}
