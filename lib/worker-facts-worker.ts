import { hostname } from 'node:os';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createWorkerFactsActivities } from '../activities/worker-facts';
import { workerFactsQueue } from '../workflows/worker-facts';
import { dataConverterFromEnv } from './codec';
import type { TrustRoot } from './roster-seal';
import { sourceHash } from './workflow-bundle';

/**
 * The identity a worker polls with: the one it was given, else the SDK's own default (pid@host), computed here so the
 * worker's own task queue carries the same name `lifeboat workers` reads from the main queue's pollers.
 */
export function workerIdentity(given: string | undefined): string {
  return given ?? `${process.pid}@${hostname()}`;
}

/** The build a worker runs: the package version and the hash of the workflow sources it serves. */
export function workerBuild(): string {
  const version = (require('../package.json') as { version: string }).version;
  return `${version}+${sourceHash().slice(0, 12)}`;
}

/**
 * A second worker in the same process, on the task queue only this worker polls (`lifeboat-worker/<identity>`),
 * serving one read-only activity, `describeWorker`. It has no workflows and shares the main worker's connection. It
 * has no activity guard: that guard admits only activities scheduled on the main queue, and this one reads digests.
 */
export function createWorkerFactsWorker(options: {
  connection: NativeConnection;
  namespace: string;
  identity: string;
  rosterPath: string;
  trustRoot: TrustRoot;
  targetsPath: string;
  env?: NodeJS.ProcessEnv;
}): Promise<Worker> {
  const dataConverter = dataConverterFromEnv(options.env ?? process.env);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: workerFactsQueue(options.identity),
    identity: options.identity,
    activities: createWorkerFactsActivities({
      identity: options.identity,
      build: workerBuild(),
      rosterPath: options.rosterPath,
      trustRoot: options.trustRoot,
      targetsPath: options.targetsPath,
    }),
    ...(dataConverter ? { dataConverter } : {}),
  });
}

/**
 * Runs the main worker and its facts worker until both stop. Signals stop both (the SDK's runtime shuts down every
 * worker it runs); when one fails, the other is shut down too, so a process never keeps half a worker.
 */
export async function runWithFactsWorker(main: Worker, facts: Worker): Promise<void> {
  const stopOther = (other: Worker) => (err: unknown) => {
    if (other.getState() === 'RUNNING') other.shutdown();
    throw err;
  };
  const results = await Promise.allSettled([main.run().catch(stopOther(facts)), facts.run().catch(stopOther(main))]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
