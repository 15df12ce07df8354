import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';

/**
 * What one worker says about the files it acts on, so `lifeboat workers` can show that both regions run the same
 * roster, targets file and trust root. A field that could not be read carries `error` (why) instead of `digest`.
 */
export interface WorkerFacts {
  identity: string;
  /** The package version and the hash of the workflow sources it serves (lib/workflow-bundle.ts sourceHash). */
  build: string;
  /** The digest of the roster it would use now, only when its roster admins sealed it; else why not. */
  roster: DigestOrError;
  /** sha256 of the targets file's bytes; else why it cannot be read. */
  targets: DigestOrError;
  /** sha256 of the trust root it was given at start. */
  trustRoot: DigestOrError;
}

/** A digest (`sha256:…`) or the reason there is none. */
export type DigestOrError = { digest: string } | { error: string };

/** The activity each worker serves on its own task queue. */
export interface WorkerFactsActivities {
  describeWorker(): Promise<WorkerFacts>;
}

/** The prefix of each worker's own task queue: `lifeboat-worker/<identity>`. */
export const WORKER_FACTS_QUEUE_PREFIX = 'lifeboat-worker/';

/** The task queue only the worker named `identity` polls, where it answers `describeWorker`. */
export function workerFactsQueue(identity: string): string {
  return `${WORKER_FACTS_QUEUE_PREFIX}${identity}`;
}

/**
 * Asks one worker for its facts. A workflow because the CLI cannot schedule an activity by itself; the activity goes to
 * the worker's own queue, so the answer comes from that worker and no other. A worker that does not pick it up within
 * 10 seconds is reported as not answering (one attempt, no retry: `lifeboat workers` is run by a person, who retries).
 */
export async function workerFacts(queue: string): Promise<WorkerFacts> {
  if (!queue.startsWith(WORKER_FACTS_QUEUE_PREFIX))
    throw ApplicationFailure.nonRetryable(`the task queue ${queue} is no worker's own queue: it must start with ${WORKER_FACTS_QUEUE_PREFIX}`, 'InvalidInput');
  const { describeWorker } = proxyActivities<WorkerFactsActivities>({
    taskQueue: queue,
    scheduleToStartTimeout: '10 seconds',
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  return describeWorker();
}
