import { resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { expect, test } from 'vitest';
import { createTracing } from '../../lib/telemetry';
import { workflowInterceptorModules } from '../../lib/workflow-bundle';
import { loadRecordedHistories, replayRecorded } from '../helpers/histories';
import { installQuietRuntime } from '../helpers/temporal';

// The product's bundle carries the tracing interceptors (and the kit its metrics and wait spans): runs recorded before
// either existed must replay through it as they do through the plain test bundle (test/replay).
test('every recorded history replays through a bundle that carries the tracing interceptors', { timeout: 180_000 }, async () => {
  installQuietRuntime();
  const histories = loadRecordedHistories();
  const { code } = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows'), workflowInterceptorModules, logger: quiet });
  const { sinks } = createTracing({ serviceName: 'lifeboat-replay' }).options;
  const { replayed, failures } = await replayRecorded({ workflowBundle: { code }, ...(sinks ? { sinks } : {}) }, histories);
  expect(failures).toEqual([]);
  expect(replayed).toBe(histories.length);
});

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };
