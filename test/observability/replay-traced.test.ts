import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { expect, test } from 'vitest';
import { createTracing } from '../../lib/telemetry';
import { workflowInterceptorModules } from '../../lib/workflow-bundle';
import { historiesDir, recordedWorkflowIds, workflowIdsFile } from '../helpers/histories';
import { installQuietRuntime } from '../helpers/temporal';

// The product's bundle carries the tracing interceptors (and the kit its metrics and wait spans): runs recorded before
// either existed must replay through it as they do through the plain test bundle (test/replay).
test('every recorded history replays through a bundle that carries the tracing interceptors', { timeout: 180_000 }, async () => {
  installQuietRuntime();
  const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json') && f !== basename(workflowIdsFile));
  const ids = recordedWorkflowIds();
  const histories = files.map((file) => ({
    workflowId: ids[file.replace(/\.json$/, '')] ?? file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(historiesDir, file), 'utf8'))),
  }));
  const { code } = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows'), workflowInterceptorModules, logger: quiet });
  const failures: string[] = [];
  let replayed = 0;
  const { sinks } = createTracing({ serviceName: 'lifeboat-replay' }).options;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { code }, replayName: 'lifeboat-replay-traced', ...(sinks ? { sinks } : {}) },
    histories,
  )) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(files.length);
});

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };
