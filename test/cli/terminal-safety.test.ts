import { resolve } from 'node:path';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunReport } from '../../cli/report/model';
import { type RunStatus } from '../../kit';
import { requestedByAttribute, runbookAttribute, stateAttribute, targetAttribute } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';
import { expectInert, hostile, hostileStatus } from '../helpers/hostile-status';
import { connectToTestServer, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

test('status, list and report through the real CLI send no control character from a run to the terminal; --json keeps the data', async () => {
  const taskQueue = testTaskQueue();
  const target = `tx-${taskQueue}`;
  const runId = `kit-exercise/${target}`;
  const status = hostileStatus(runId);
  const worker = await Worker.create({ connection: ctx.nativeConnection, taskQueue, workflowsPath: resolve(__dirname, 'fixtures/status-echo-workflow.ts') });
  await worker.runUntil(async () => {
    await ctx.client.workflow.execute('statusEcho', {
      taskQueue,
      workflowId: runId,
      args: [status],
      typedSearchAttributes: [
        { key: runbookAttribute, value: 'kit-exercise' },
        { key: targetAttribute, value: target },
        { key: stateAttribute, value: 'needs-intervention' },
        { key: requestedByAttribute, value: `mallory${hostile}` },
      ],
    });
  });
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };

  const text = await lifeboatInProcess(['status', runId], env);
  expect(text.stderr).toBe('');
  expectInert(text.stdout);
  expect(text.stdout).toContain('requested by mallory\\x1b]0;pwned\\x07\\x1b[2J');

  // JSON.stringify escapes C0 controls but not DEL, C1 or bidi overrides; those are escaped too, and the data survives.
  const json = await lifeboatInProcess(['status', runId, '--json'], env);
  expectInert(json.stdout, { shown: false });
  // Status adds the incident's path and the readiness before the run to the run's own status.
  const { path, readinessBeforeRun, ...shown } = JSON.parse(json.stdout) as Record<string, unknown>;
  expect(shown).toEqual(JSON.parse(JSON.stringify(status)));
  expect(path).toEqual([expect.objectContaining({ milestone: 'run started' }), expect.objectContaining({ milestone: 'gate opened' })]);
  expect(readinessBeforeRun).toMatchObject({ summary: 'no readiness evaluation before this run' });

  // The visibility store catches up with a finished run within a moment.
  await expect.poll(async () => (await lifeboatInProcess(['list', '--target', target], env)).stdout, { timeout: 20_000 }).toContain(runId);
  const listed = await lifeboatInProcess(['list', '--target', target], env);
  expectInert(listed.stdout);
  const listedJson = await lifeboatInProcess(['list', '--target', target, '--json'], env);
  expectInert(listedJson.stdout, { shown: false });
  expect((JSON.parse(listedJson.stdout) as { requestedBy: string }[])[0]!.requestedBy).toBe(`mallory${hostile}`);

  const markdown = await lifeboatInProcess(['report', runId], env);
  expect(markdown.stderr).toBe('');
  expectInert(markdown.stdout);
  const reportJson = await lifeboatInProcess(['report', runId, '--format', 'json'], env);
  expectInert(reportJson.stdout, { shown: false });
  expect((JSON.parse(reportJson.stdout) as RunReport).approvals[0]!.comment).toBe(`lgtm ${hostile}`);
  expect((JSON.parse(json.stdout) as RunStatus).requestedBy).toBe(`mallory${hostile}`);
});
