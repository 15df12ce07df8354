import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';

/**
 * A worker in its own process, so a test can SIGKILL it the way a host dies: the test workflow bundle and the
 * product's activities on the estate in LIFEBOAT_TARGETS. Prints "ready" once it polls. With
 * LIFEBOAT_TEST_STALL_AFTER naming an activity, that activity does its work, prints "stalled <name>" and never
 * returns, so the test can kill the worker after the change took effect and before Temporal heard of it.
 */
async function main(): Promise<void> {
  const env = (name: string) =>
    process.env[name] ??
    (() => {
      throw new Error(`${name} is not set`);
    })();
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: env('LIFEBOAT_TASK_QUEUE'),
    workflowBundle: { codePath: env('LIFEBOAT_TEST_BUNDLE') },
    ...(process.env.LIFEBOAT_WORKER_IDENTITY ? { identity: process.env.LIFEBOAT_WORKER_IDENTITY } : {}),
    activities: stallAfter(
      createActivities({ rosterPath: env('LIFEBOAT_ROSTER'), notify: { log: () => undefined }, targetsPath: env('LIFEBOAT_TARGETS') }),
      process.env.LIFEBOAT_TEST_STALL_AFTER,
    ),
  });
  await worker.runUntil(async () => {
    process.stdout.write('ready\n');
    await new Promise(() => undefined);
  });
}

function stallAfter<T extends object>(activities: T, name: string | undefined): T {
  if (!name) return activities;
  const real = (activities as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
  if (!real) throw new Error(`LIFEBOAT_TEST_STALL_AFTER names no activity: ${name}`);
  const stalled = async (...args: unknown[]): Promise<never> => {
    await real(...args);
    process.stdout.write(`stalled ${name}\n`);
    return new Promise<never>(() => undefined);
  };
  return { ...activities, [name]: stalled };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
