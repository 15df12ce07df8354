import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import { createActivities } from '../../activities';
import { activityGuard } from '../../lib/activity-guard';
import { createWorkerFactsWorker } from '../../lib/worker-facts-worker';
import { statusQuery, type RunStatus } from '../../kit';
import { createExerciseActivities } from './exercise-activities';
import { testTrustRoot } from './roster-seal';
import type { TestNamespace } from './namespaces';
import { signingInterceptor } from './signing';

let runtimeInstalled = false;

/** Quiet SDK logs: tests read status, not log lines. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

/** A task queue named after the running test, so tests never steal each other's tasks. */
export function testTaskQueue(): string {
  const name = expect.getState().currentTestName ?? 'test';
  return `${name.replace(/[^a-zA-Z0-9]+/g, '-').slice(0, 60)}-${randomUUID().slice(0, 8)}`;
}

export interface TemporalTestContext {
  address: string;
  namespace: string;
  /** Signs starts and decisions sent in the old unsigned shape with the named person's test key. */
  client: Client;
  /** Sends exactly what it is given: for tests of what the runs refuse. */
  rawClient: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

let fileNamespace = 'default';

/** The namespace this test file connected to; the `lifeboat` helper points the CLI at it. */
export function testNamespace(): string {
  return fileNamespace;
}

/**
 * Connects to the dev server that the global setup started, in `default` or one of the test namespaces; a test with
 * a server of its own (test/cluster restarts one) passes its address.
 */
export async function connectToTestServer(namespace: TestNamespace | 'default' = 'default', address = inject('temporalAddress')): Promise<TemporalTestContext> {
  installQuietRuntime();
  fileNamespace = namespace;
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const rawClient = new Client({ connection, namespace });
  return {
    address,
    namespace,
    client: new Client({ connection, namespace, interceptors: { workflow: [signingInterceptor(() => rawClient, namespace)] } }),
    rawClient,
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/**
 * A worker on the test bundle with the product's activities plus recording test activities. Runbook tests pass
 * the catalog of the estate they started; without one, estate activities fail as they would with no estate up.
 */
export async function createTestWorker(
  ctx: TemporalTestContext,
  taskQueue: string,
  overrides: object = {},
  targetsPath = '/nonexistent/catalog.json',
  /**
   * Worker options of the test's own, such as `maxCachedWorkflows: 0` to replay every run at every task; and
   * `factsWorker: true` to also answer `lifeboat workers` and readiness's workers-agree check on the worker's own queue,
   * as every `lifeboat worker` does.
   */
  options: Partial<WorkerOptions> & { factsWorker?: boolean } = {},
) {
  const { factsWorker: withFacts, ...workerOptions } = options;
  const exercise = createExerciseActivities();
  const kit = createActivities({ rosterPath: inject('testRosterPath'), trustRoot: testTrustRoot(), notify: { log: () => undefined }, targetsPath });
  const identity = workerOptions.identity ?? `test-worker-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    workflowBundle: { codePath: inject('testBundlePath') },
    activities: { ...kit, ...exercise.activities, ...overrides },
    interceptors: { activity: [activityGuard()] },
    ...workerOptions,
    identity,
  });
  if (withFacts) {
    const facts = await createWorkerFactsWorker({
      connection: ctx.nativeConnection,
      namespace: ctx.namespace,
      identity,
      rosterPath: inject('testRosterPath'),
      trustRoot: testTrustRoot(),
      targetsPath,
    });
    // The facts worker runs and stops with the main one, whether the test calls run() or runUntil() (which calls run()).
    const runMain = worker.run.bind(worker);
    Object.assign(worker, {
      run: async () => {
        const answering = facts.run();
        try {
          await runMain();
        } finally {
          if (facts.getState() === 'RUNNING') facts.shutdown();
          await answering;
        }
      },
    });
  }
  return { worker, ...exercise };
}

/** Polls the status query until `predicate` holds; fails with the last status seen. */
export async function waitForStatus(handle: WorkflowHandle, predicate: (status: RunStatus) => boolean, timeoutMs = 30_000): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: RunStatus | undefined;
  for (;;) {
    try {
      last = await handle.query(statusQuery);
      if (predicate(last)) return last;
    } catch {
      // the first workflow task may not have run yet
    }
    if (Date.now() > deadline) throw new Error(`status never matched; last seen: ${JSON.stringify(last, null, 2)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
