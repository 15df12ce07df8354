import { short, type WorkerRow } from '../../lib/worker-facts-compare';
import { surveyWorkers } from '../../lib/worker-survey';
import type { DigestOrError } from '../../workflows/worker-facts';
import { commonOptions, type Command } from '../command';
import { CliError, ExitCode } from '../errors';
import { table } from '../render';

export const workersCommand: Command = {
  name: 'workers',
  summary: 'List the workers on the task queue with their build and roster, targets and trust root digests; flag any that differ',
  usage: 'lifeboat workers [--json]      (exit 1 when a worker differs, cannot load its roster or does not answer)',
  options: { ...commonOptions },
  async run(ctx) {
    const client = await ctx.client();
    const { rows, agreed, stopped } = await surveyWorkers(client, ctx.taskQueue);
    if (rows.length === 0)
      throw new CliError(`no worker is polling task queue ${ctx.taskQueue}`, {
        code: 'no-worker',
        suggestion: 'start one (lifeboat worker, or npm start), or set LIFEBOAT_TASK_QUEUE to the queue your workers poll',
      });
    if (ctx.json) ctx.printJson({ taskQueue: ctx.taskQueue, agreed, workers: rows, stopped });
    else ctx.print(render(ctx.taskQueue, rows, stopped, agreed));
    return agreed ? ExitCode.ok : ExitCode.refused;
  },
};

const cell = (value: DigestOrError | undefined) => (!value ? '-' : 'digest' in value ? short(value.digest) : 'CANNOT LOAD');

function render(taskQueue: string, rows: WorkerRow[], stopped: { identity: string; lastSeen: string }[], agreed: boolean): string {
  const cells = [['WORKER', 'BUILD', 'ROSTER', 'TARGETS', 'TRUST ROOT', 'STATE']];
  for (const r of rows)
    cells.push([
      r.identity,
      r.facts?.build ?? '-',
      cell(r.facts?.roster),
      cell(r.facts?.targets),
      cell(r.facts?.trustRoot),
      r.problems.length ? 'DIFFERS' : 'ok',
    ]);
  const lines = [table(cells)];
  const flagged = rows.filter((r) => r.problems.length > 0);
  if (flagged.length) lines.push('', ...flagged.flatMap((r) => r.problems.map((p) => `${r.identity}: ${p}`)));
  if (stopped.length) lines.push('', ...stopped.map((s) => `${s.identity}: last polled ${s.lastSeen}, counted as stopped`));
  lines.push(
    '',
    agreed
      ? `all ${rows.length} worker(s) on ${taskQueue} run the same build, roster, targets file and trust root`
      : 'WORKERS DIFFER: deploy the same reviewed roster, seal, targets file and trust root to every region (docs/production.md, "The roster and targets file in two regions")',
  );
  return lines.join('\n');
}
