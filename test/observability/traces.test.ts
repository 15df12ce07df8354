import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { approveUpdate, interveneUpdate, type RunResult } from '../../kit';
import { createTracing } from '../../lib/telemetry';
import { createLifeboatWorker } from '../../worker';
import { createExerciseActivities } from '../helpers/exercise-activities';
import { startReceiver } from '../helpers/http-receiver';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}
interface OtlpTraces {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

let ctx: TemporalTestContext;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  ctx = await connectToTestServer();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await ctx?.close();
});

test("a run's trace, sent over OTLP/HTTP, holds its steps' activities, its wait for an operator and its wait at the gate under the run's span", async () => {
  const taskQueue = testTaskQueue();
  const tracing = createTracing({ otlpEndpoint: receiver.url.replace(/\/hook$/, ''), serviceName: 'lifeboat-test' });
  const exercise = createExerciseActivities();
  // The product's worker, bundling the test workflows with the interceptors every bundle carries.
  const worker = await createLifeboatWorker({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    rosterPath: inject('testRosterPath'),
    targetsPath: '/nonexistent/catalog.json',
    workflowsPath: resolve(__dirname, '../workflows'),
    activities: exercise.activities,
    tracing: tracing.options,
  });
  const workflowId = `kit-exercise/traces-${taskQueue}`;
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId,
      // Two failures use up the flaky step's two attempts: it stops for an operator, who retries it.
      args: [{ input: { target: `traces-${taskQueue}`, flakyFailures: 2 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'alice', reason: 'fixed it' }] });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    expect(((await handle.result()) as RunResult).state).toBe('succeeded');
  });
  await tracing.shutdown();

  const batches = receiver.received.filter((r) => r.path === '/v1/traces').map((r) => r.body as OtlpTraces);
  expect(batches.length).toBeGreaterThan(0);
  const service = batches[0]!.resourceSpans[0]!.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
  expect(service).toBe('lifeboat-test');
  const spans = batches.flatMap((b) => b.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;
  const run = spans.find((s) => s.name === 'RunWorkflow:kitExercise' && attribute(s, 'workflowId')?.stringValue === workflowId);
  expect(run, `spans seen: ${[...new Set(spans.map((s) => s.name))].join(', ')}`).toBeDefined();
  const ofRun = spans.filter((s) => s.traceId === run!.traceId);

  // Every step's activity, scheduled by the run and run by the worker; the flaky one twice.
  const names = ofRun.map((s) => s.name);
  for (const activity of ['record', 'flaky', 'loadRoster']) {
    expect(names).toContain(`StartActivity:${activity}`);
    expect(names).toContain(`RunActivity:${activity}`);
  }
  expect(names.filter((n) => n === 'RunActivity:flaky')).toHaveLength(3);

  // The wait for an operator, from the step's stop to the decision, under the run's span.
  const intervention = ofRun.find((s) => s.name === 'intervention:flaky');
  expect(intervention).toBeDefined();
  expect(intervention!.parentSpanId).toBe(run!.spanId);
  expect(attribute(intervention!, 'lifeboat.intervention.decision')?.stringValue).toBe('retry');
  expect(BigInt(intervention!.endTimeUnixNano)).toBeGreaterThan(BigInt(intervention!.startTimeUnixNano));

  // The wait for people, from the gate's opening to the quorum, as a child of the run's span.
  const gate = ofRun.find((s) => s.name === 'gate:approve');
  expect(gate).toBeDefined();
  expect(gate!.parentSpanId).toBe(run!.spanId);
  expect(attribute(gate!, 'lifeboat.gate.outcome')?.stringValue).toBe('approved');
  expect(Number(attribute(gate!, 'lifeboat.gate.approvals')?.intValue)).toBe(2);
  expect(BigInt(gate!.endTimeUnixNano)).toBeGreaterThan(BigInt(gate!.startTimeUnixNano));
  // Each decision has a span of the run's update handler too: a trace of its own, as this client sends no trace context.
  expect(spans.filter((s) => s.name === 'HandleUpdate:approve-update' && attribute(s, 'workflowId')?.stringValue === workflowId)).toHaveLength(2);
});
