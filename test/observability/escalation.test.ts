import { resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import webpack from 'webpack';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createActivities } from '../../activities';
import { freePort } from '../../lib/free-port';
import { installRuntime } from '../../lib/telemetry';
import { findTestServer, installHint } from '../../dev/temporal-binaries';
import type { RunResult } from '../../kit';
import { createExerciseActivities } from '../helpers/exercise-activities';
import { signedStart } from '../helpers/signing';
import { testTaskQueue } from '../helpers/temporal';

// The alert "a gate has waited longer than its escalation" reads lifeboat_gate_escalations_total: checked here over an
// hour of gate waiting on the time-skipping server (no custom search attributes there, so the kit's publisher is a no-op).
let env: TestWorkflowEnvironment;
let metricsUrl: string;
beforeAll(async () => {
  const address = `127.0.0.1:${await freePort()}`;
  installRuntime({ metricsAddress: address }, { LIFEBOAT_LOG_LEVEL: 'WARN' });
  metricsUrl = `http://${address}/metrics`;
  const server = findTestServer();
  if (!server) throw new Error(`the Temporal time-skipping test server was not found; ${installHint}`);
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server.path } } });
});
afterAll(async () => env?.teardown());

test('an unanswered gate counts each escalation, and its hour of waiting lands in the gate wait histogram as expired', async () => {
  const noop = resolve(__dirname, '../helpers/publish-search-attributes.noop.ts');
  const bundle = await bundleWorkflowCode({
    workflowsPath: resolve(__dirname, '../workflows'),
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [...(config.plugins ?? []), new webpack.NormalModuleReplacementPlugin(/^\.\/publish-search-attributes$/, noop)],
    }),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
  });
  const taskQueue = testTaskQueue();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: {
      ...createActivities({ rosterPath: inject('testRosterPath'), notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
      ...createExerciseActivities().activities,
    },
  });
  const result = await worker.runUntil(async () => {
    const input = { target: `escalation-${taskQueue}`, quorum: 1 };
    const workflowId = `kit-exercise/${input.target}`;
    const start = signedStart({ workflowId, workflowType: 'kitExercise', input, by: 'alice', now: await env.currentTimeMs() });
    const handle = await env.client.workflow.start('kitExercise', { taskQueue, workflowId, args: [{ input, requestedBy: 'alice', start }] });
    return (await handle.result()) as RunResult;
  });
  expect(result.gates[0]).toMatchObject({ status: 'expired', escalations: 10 });

  const lines = (await (await fetch(metricsUrl)).text()).split('\n').filter((l) => l.includes(`taskQueue="${taskQueue}"`));
  const value = (name: string, ...labels: string[]) => {
    const line = lines.find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  expect(value('lifeboat_gate_escalations_total', 'gate="approve"', 'runbook="kit-exercise"')).toBe(10);
  expect(value('lifeboat_gate_wait_seconds_count', 'gate="approve"', 'outcome="expired"')).toBe(1);
  expect(value('lifeboat_gate_wait_seconds_sum', 'gate="approve"', 'outcome="expired"')).toBeCloseTo(3600, 0);
  expect(value('lifeboat_gate_wait_seconds_bucket', 'outcome="expired"', 'le="7200"')).toBe(1);
  expect(value('lifeboat_gate_wait_seconds_bucket', 'outcome="expired"', 'le="1800"')).toBe(0);
  expect(value('lifeboat_run_transitions_total', 'state="aborted"')).toBe(1);
});
