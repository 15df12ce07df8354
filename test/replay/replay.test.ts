import { resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { expect, inject, test } from 'vitest';
import { workflowInterceptorModules } from '../../lib/workflow-bundle';
import { runbooks } from '../../runbooks';
import { plans } from '../../plans';
import { loadRecordedHistories, replayRecorded } from '../helpers/histories';
import { installQuietRuntime } from '../helpers/temporal';

const histories = loadRecordedHistories();

test('every runbook and every plan has at least one recorded history to replay', () => {
  // A plan's histories are named plan-<id>-…: its run ID has a slash, which a file name cannot.
  const ids = [...Object.keys(runbooks), ...Object.keys(plans).map((id) => `plan-${id}`)];
  const missing = ids.filter((id) => !histories.some((h) => h.name.startsWith(`${id}-`)));
  expect(missing, 'record one with LIFEBOAT_RECORD_HISTORIES=1 (see test/helpers/histories.ts)').toEqual([]);
});

// A change to workflow code that would make a run in flight take a different path fails here with a
// DeterminismViolationError: guard it with patched() instead of re-recording the history.
test('every recorded history replays through the current workflow code', { timeout: 180_000 }, async () => {
  installQuietRuntime();
  expect(histories.length).toBeGreaterThan(0);
  // Runs recorded by the product's worker (a test that kills a worker process) replay through a bundle made like its
  // own, with the tracing interceptors; the rest through the tests' bundle, as the tests' workers ran them.
  const traced = histories.filter((h) => h.traced);
  const plain = await replayRecorded(
    { workflowBundle: { codePath: inject('testBundlePath') } },
    histories.filter((h) => !h.traced),
  );
  const product = traced.length
    ? await replayRecorded(
        { workflowBundle: await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows'), workflowInterceptorModules, logger: quiet }) },
        traced,
      )
    : { replayed: 0, failures: [] };
  expect([...plain.failures, ...product.failures]).toEqual([]);
  expect(plain.replayed + product.replayed).toBe(histories.length);
});

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };
