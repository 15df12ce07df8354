import { TestWorkflowEnvironment } from '@temporalio/testing';
import { resolve } from 'node:path';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import webpack from 'webpack';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createActivities } from '../../activities';
import { findTestServer, installHint } from '../../dev/temporal-binaries';
import type { RunResult } from '../../kit';
import { createExerciseActivities } from '../helpers/exercise-activities';
import { signedStart } from '../helpers/signing';
import { installQuietRuntime, testTaskQueue } from '../helpers/temporal';
import type { ExerciseInput } from '../workflows/kit-exercise';

// Gates wait for minutes and hours; the Java time-skipping server jumps over those waits. Its skipped
// time is shared by the whole environment, so these tests run one after another in this file. It has
// no custom search attributes, so this bundle swaps the kit's publisher for a no-op.
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  installQuietRuntime();
  const server = findTestServer();
  if (!server) throw new Error(`the Temporal time-skipping test server was not found; ${installHint}`);
  const noop = resolve(__dirname, '../helpers/publish-search-attributes.noop.ts');
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server.path } } }),
    bundleWorkflowCode({
      workflowsPath: resolve(__dirname, '../workflows'),
      webpackConfigHook: (config) => ({
        ...config,
        plugins: [...(config.plugins ?? []), new webpack.NormalModuleReplacementPlugin(/^\.\/publish-search-attributes$/, noop)],
      }),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
    }),
  ]);
});
afterAll(async () => env?.teardown());

async function runUnanswered(input: Partial<ExerciseInput>) {
  const taskQueue = testTaskQueue();
  const exercise = createExerciseActivities();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: {
      ...createActivities({ rosterPath: inject('testRosterPath'), notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
      ...exercise.activities,
    },
  });
  const result = await worker.runUntil(async () => {
    const runInput = { target: `timers-${taskQueue}`, quorum: 1, ...input };
    const workflowId = `kit-exercise/${runInput.target}`;
    const handle = await env.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId,
      args: [
        {
          input: runInput,
          requestedBy: 'alice',
          start: signedStart({ workflowId, workflowType: 'kitExercise', input: runInput, by: 'alice', now: await env.currentTimeMs() }),
        },
      ],
    });
    return (await handle.result()) as RunResult<{ applied: boolean }>;
  });
  return { result, exercise };
}

test('an unanswered gate escalates after 10 minutes, again every 5, and expires after an hour, which aborts and undoes', async () => {
  const { result, exercise } = await runUnanswered({});
  const gate = result.gates[0]!;
  // escalateAfter 10 min, escalateEvery 5 min, expireAfter 1 h: escalations at 10, 15, ..., 55 minutes.
  expect(gate).toMatchObject({ status: 'expired', escalations: 10, onExpiry: 'abort' });
  const escalations = exercise.notifications.filter((n) => n.kind === 'escalation');
  expect(escalations).toHaveLength(10);
  expect(escalations[0]!.audience).toEqual(['bob', 'carol']);
  const minutesAfterOpen = result.audit
    .filter((a) => a.action === 'gate-escalated' || a.action === 'gate-expired')
    .map((a) => Math.round((Date.parse(a.at) - Date.parse(gate.openedAt)) / 60_000));
  expect(minutesAfterOpen).toEqual([10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
  expect(result.state).toBe('aborted');
  expect(result.outcome).toMatch(/gate "approve" expired without 1 approval from group sre-leads/);
  expect(exercise.effects.map((e) => e.action)).toEqual(['prepare', 'unprepare']);
});

test('a gate whose policy says proceed on expiry lets the run go on after the deadline, and the audit says so', async () => {
  const { result, exercise } = await runUnanswered({ onExpiry: 'proceed' });
  expect(result.gates[0]).toMatchObject({ status: 'expired', onExpiry: 'proceed' });
  expect(result.state).toBe('succeeded');
  expect(result.audit.find((a) => a.action === 'gate-expired')?.detail).toMatch(/0\/1 approvals; policy says proceed/);
  expect(exercise.effects.map((e) => e.action)).toEqual(['prepare', 'apply', 'verify']);
});
