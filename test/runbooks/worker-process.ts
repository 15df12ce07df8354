import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';

/**
 * A worker in its own process, so a test can SIGKILL it the way a host dies: the test workflow bundle and the
 * product's activities on the estate in LIFEBOAT_ESTATE_CATALOG. Prints "ready" once it polls.
 */
async function main(): Promise<void> {
  const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const worker = await Worker.create({
    connection,
    taskQueue: env('LIFEBOAT_TASK_QUEUE'),
    workflowBundle: { codePath: env('LIFEBOAT_TEST_BUNDLE') },
    activities: createActivities({ rosterPath: env('LIFEBOAT_ROSTER'), notify: { log: () => undefined }, catalogPath: env('LIFEBOAT_ESTATE_CATALOG') }),
  });
  await worker.runUntil(async () => {
    process.stdout.write('ready\n');
    await new Promise(() => undefined);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
