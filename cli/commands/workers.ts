import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { workflowPollers } from '../../lib/task-queue-pollers';
import { compareWorkers, short, type WorkerRow } from '../../lib/worker-facts-compare';
import { workerFactsQueue, type DigestOrError, type WorkerFacts } from '../../workflows/worker-facts';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, ExitCode } from '../errors';
import { table } from '../render';

/** A poller not seen for this long has stopped (a live worker polls again within about a minute). */
const STOPPED_AFTER_MS = 2 * 60_000;

export const workersCommand: Command = {
  name: 'workers',
  summary: 'List the workers on the task queue with their build and roster, targets and trust root digests; flag any that differ',
  usage: 'lifeboat workers [--json]      (exit 1 when a worker differs, cannot load its roster or does not answer)',
  options: { ...commonOptions },
  async run(ctx) {
    const client = await ctx.client();
    const { live, stopped } = await pollers(ctx, client);
    if (live.length === 0)
      throw new CliError(`no worker is polling task queue ${ctx.taskQueue}`, {
        code: 'no-worker',
        suggestion: 'start one (lifeboat worker, or npm start), or set LIFEBOAT_TASK_QUEUE to the queue your workers poll',
      });
    const rows = compareWorkers(await Promise.all(live.map((identity) => ask(ctx, client, identity))));
    const agreed = rows.every((r) => r.problems.length === 0);
    if (ctx.json) ctx.printJson({ taskQueue: ctx.taskQueue, agreed, workers: rows, stopped });
    else ctx.print(render(ctx.taskQueue, rows, stopped, agreed));
    return agreed ? ExitCode.ok : ExitCode.refused;
  },
};

/** The identities polling the main task queue for workflow tasks (every Lifeboat worker does), on every partition. */
async function pollers(ctx: CliContext, client: Client): Promise<{ live: string[]; stopped: { identity: string; lastSeen: string }[] }> {
  const live: string[] = [];
  const stopped: { identity: string; lastSeen: string }[] = [];
  for (const p of await workflowPollers(client, ctx.taskQueue)) {
    if (p.lastAccess.getTime() < Date.now() - STOPPED_AFTER_MS) stopped.push({ identity: p.identity, lastSeen: p.lastAccess.toISOString() });
    else live.push(p.identity);
  }
  return { live, stopped };
}

/** Asks one worker, through the `workerFacts` workflow, on its own task queue; a worker that cannot say, says why. */
async function ask(ctx: CliContext, client: Client, identity: string): Promise<{ identity: string; facts?: WorkerFacts; unanswered?: string }> {
  try {
    const facts = await client.workflow.execute('workerFacts', {
      taskQueue: ctx.taskQueue,
      workflowId: `lifeboat-workers/${identity}/${randomUUID().slice(0, 8)}`,
      args: [workerFactsQueue(identity)],
      workflowExecutionTimeout: '30 seconds',
    });
    return { identity, facts: facts as WorkerFacts };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const inner = err.cause;
    const cause = (inner?.cause instanceof Error ? inner.cause.message : undefined) ?? inner?.message ?? err.message;
    return {
      identity,
      unanswered: `${cause} (a worker older than this command does not serve ${workerFactsQueue(identity)}; restart it on this build)`,
    };
  }
}

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
