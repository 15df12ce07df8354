import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { workerFactsQueue, type WorkerFacts } from '../workflows/worker-facts';
import { workflowPollers } from './task-queue-pollers';
import { compareWorkers, type WorkerRow } from './worker-facts-compare';

/** A poller not seen for this long has stopped (a live worker polls again within about a minute). */
const STOPPED_AFTER_MS = 2 * 60_000;

/** What the workers on a task queue say about their build and files, compared; and those that stopped polling. */
export interface WorkerSurvey {
  rows: WorkerRow[];
  /** True when every live worker answered and none differs. */
  agreed: boolean;
  stopped: { identity: string; lastSeen: string }[];
}

/**
 * Asks every worker polling `taskQueue` (on any partition) for its facts on its own queue, and compares the answers.
 * `lifeboat workers` prints this; readiness's `workers-agree` check judges by it, so the two never disagree.
 */
export async function surveyWorkers(client: Client, taskQueue: string): Promise<WorkerSurvey> {
  const live: string[] = [];
  const stopped: { identity: string; lastSeen: string }[] = [];
  for (const p of await workflowPollers(client, taskQueue)) {
    if (p.lastAccess.getTime() < Date.now() - STOPPED_AFTER_MS) stopped.push({ identity: p.identity, lastSeen: p.lastAccess.toISOString() });
    else live.push(p.identity);
  }
  const rows = compareWorkers(await Promise.all(live.map((identity) => ask(client, taskQueue, identity))));
  return { rows, agreed: rows.every((r) => r.problems.length === 0), stopped };
}

/** Asks one worker, through the `workerFacts` workflow, on its own task queue; a worker that cannot say, says why. */
async function ask(client: Client, taskQueue: string, identity: string): Promise<{ identity: string; facts?: WorkerFacts; unanswered?: string }> {
  try {
    const facts = await client.workflow.execute('workerFacts', {
      taskQueue,
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
