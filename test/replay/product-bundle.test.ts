import { resolve } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { expect, inject, test } from 'vitest';
import { createTracing } from '../../lib/telemetry';
import { workflowInterceptorModules } from '../../lib/workflow-bundle';
import { approveUpdate, type RunResult } from '../../kit';
import { createLifeboatWorker } from '../../worker';
import { createExerciseActivities } from '../helpers/exercise-activities';
import { testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, installQuietRuntime, testTaskQueue, waitForStatus } from '../helpers/temporal';

// test/replay/replay.test.ts replays histories recorded in the past. This one records a fresh run with the product's
// worker, whose bundle carries the workflow interceptors, sinks and the kit's carry-over and patches, then replays it
// through a bundle made the same way, as a worker does after a restart or a cache eviction. It runs in the `default`
// namespace because replay does: a run's signed start names its namespace, and under another one it would take the
// refused-start path and fail for that reason alone.
test("a run recorded by the product's worker replays through a bundle made the same way", async () => {
  installQuietRuntime();
  const ctx = await connectToTestServer();
  const taskQueue = testTaskQueue();
  const workflowsPath = resolve(__dirname, '../workflows');
  const tracing = createTracing({ serviceName: 'lifeboat-replay' });
  const exercise = createExerciseActivities();
  const worker = await createLifeboatWorker({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    rosterPath: inject('testRosterPath'),
    trustRoot: testTrustRoot(),
    targetsPath: '/nonexistent/lifeboat.targets.json',
    workflowsPath,
    activities: exercise.activities,
    tracing: tracing.options,
    env: {},
  });
  const workflowId = `kit-exercise/product-replay-${taskQueue}`;
  try {
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('kitExercise', {
        taskQueue,
        workflowId,
        args: [{ input: { target: `product-replay-${taskQueue}`, flakyFailures: 1 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
      expect(((await handle.result()) as RunResult).state).toBe('succeeded');
    });
    const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
    const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: quiet });
    await expect(Worker.runReplayHistory({ workflowBundle: { code }, ...tracing.options }, history, workflowId)).resolves.toBeUndefined();
  } finally {
    await ctx.close();
  }
}, 180_000);

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };
