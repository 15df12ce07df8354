import { createInterface } from 'node:readline';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createReadinessActivities } from '../../activities/readiness';
import { targetsAccess } from '../../activities/targets';
import { publishRunMetrics } from '../../lib/run-metrics';
import { installRuntime } from '../../lib/telemetry';
import { createWorkerFactsWorker } from '../../lib/worker-facts-worker';
import { readTrustRoot } from '../../lib/trust-root';

/**
 * A worker in its own process with its own Prometheus endpoint (LIFEBOAT_METRICS_ADDRESS), as `lifeboat worker
 * --metrics-address` runs one: the test bundle, the product's activities, and the gauges read from Temporal. Its
 * readiness checks read LIFEBOAT_READINESS_ROSTER, a roster the test edits. Prints "ready" once it polls. A line
 * "stop polling" on stdin shuts the Temporal worker down while the endpoint keeps serving (it prints "stopped"), so the
 * test knows which worker runs the next evaluation.
 */
async function main(): Promise<void> {
  const env = (name: string) =>
    process.env[name] ??
    (() => {
      throw new Error(`${name} is not set`);
    })();
  installRuntime({ metricsAddress: env('LIFEBOAT_METRICS_ADDRESS') }, { LIFEBOAT_LOG_LEVEL: 'WARN' });
  const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
  const namespace = env('TEMPORAL_NAMESPACE');
  const taskQueue = env('LIFEBOAT_TASK_QUEUE');
  const targetsPath = env('LIFEBOAT_TARGETS');
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    identity: env('LIFEBOAT_WORKER_IDENTITY'),
    workflowBundle: { codePath: env('LIFEBOAT_TEST_BUNDLE') },
    activities: {
      ...createActivities({
        rosterPath: env('LIFEBOAT_ROSTER'),
        trustRoot: readTrustRoot(env('LIFEBOAT_TRUST_ROOT')),
        notify: { log: () => undefined },
        targetsPath,
      }),
      ...createReadinessActivities({ access: targetsAccess(targetsPath), rosterPath: env('LIFEBOAT_READINESS_ROSTER') }),
    },
  });
  // As `lifeboat worker` does: it answers readiness's workers-agree check on its own queue, and keeps answering after
  // "stop polling" (the process lives on), as a region whose worker is draining would.
  const facts = await createWorkerFactsWorker({
    connection,
    namespace,
    identity: env('LIFEBOAT_WORKER_IDENTITY'),
    rosterPath: env('LIFEBOAT_ROSTER'),
    trustRoot: readTrustRoot(env('LIFEBOAT_TRUST_ROOT')),
    targetsPath,
  });
  facts.run().catch((err: unknown) => console.error(err));
  publishRunMetrics({ connection, namespace, taskQueue, intervalMs: 300 });
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'stop polling') worker.shutdown();
  });
  // The endpoint and the gauges outlive the worker's polling; the test ends the process.
  setInterval(() => undefined, 1 << 30);
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().then(
  () => process.stdout.write('stopped\n'),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
