import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { expect, inject, test } from 'vitest';
import { runbooks } from '../../runbooks';
import { historiesDir, recordedWorkflowIds, workflowIdsFile } from '../helpers/histories';
import { installQuietRuntime } from '../helpers/temporal';

const files = readdirSync(historiesDir)
  .filter((f) => f.endsWith('.json') && f !== basename(workflowIdsFile))
  .sort();

test('every runbook has at least one recorded history to replay', () => {
  const missing = Object.keys(runbooks).filter((id) => !files.some((f) => f.startsWith(`${id}-`)));
  expect(missing, 'record one with LIFEBOAT_RECORD_HISTORIES=1 (see test/helpers/histories.ts)').toEqual([]);
});

// A change to workflow code that would make a run in flight take a different path fails here with a
// DeterminismViolationError: guard it with patched() instead of re-recording the history.
test('every recorded history replays through the current workflow code', async () => {
  installQuietRuntime();
  expect(files.length).toBeGreaterThan(0);
  const ids = recordedWorkflowIds();
  const histories = files.map((file) => ({
    workflowId: ids[file.replace(/\.json$/, '')] ?? file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(historiesDir, file), 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: inject('testBundlePath') }, replayName: 'lifeboat-replay' }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(files.length);
});
