import { expect, test } from 'vitest';
import { bundleKey, parseBundleKey } from '../../lib/evidence/layout';

test('a bundle key reads back as the runbook, target, finish time and run it was made from, slashes and odd characters included', () => {
  const run = { runbook: 'evacuate-region', target: 'A b/ü', finishedAt: '2026-12-05T04:15:00+01:00', runId: 'plan/evacuate-region/A b/ü' };
  const key = bundleKey(run);
  expect(key.split('/')).toHaveLength(3);
  expect(parseBundleKey(key)).toEqual({ key, runbook: run.runbook, target: run.target, finishedAt: '2026-12-05T03:15:00.000Z', runId: run.runId });
});

test('a key cannot climb out of the archive: a target named ".." is written as %2E%2E', () => {
  const key = bundleKey({ runbook: '..', target: '.', finishedAt: '2026-01-01T00:00:00Z', runId: 'x' });
  expect(key.startsWith('%2E%2E/%2E/')).toBe(true);
  expect(parseBundleKey(key)?.runbook).toBe('..');
});
