import { afterAll, beforeAll, expect, test } from 'vitest';
import { interveneUpdate, type RunResult } from '../../kit';
import { signedStart } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

function startKitBefore(taskQueue: string, input: { target: string; failures?: number; nonRetryable?: boolean }) {
  const workflowId = `kit-before/${input.target}`;
  const start = signedStart({ namespace: ctx.namespace, workflowId, workflowType: 'kit-before', input, by: 'alice' });
  return ctx.client.workflow.start('kitBeforeWorkflow', { taskQueue, workflowId, args: [{ input, requestedBy: 'alice', start }] });
}

const abort = { action: 'abort', by: 'bob', reason: 'test' } as const;

test('a step reads the state before its first attempt once, however often it is retried, and its undo gets that and the result', async () => {
  const taskQueue = testTaskQueue();
  const target = `retried-${taskQueue}`;
  const { worker, effects, flakyCalls } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startKitBefore(taskQueue, { target, failures: 2 });
    const waiting = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    expect(waiting.steps.find((s) => s.name === 'change')).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(waiting.audit).toContainEqual(expect.objectContaining({ action: 'state-before', detail: 'change: "ok after 1 calls"' }));
    await handle.executeUpdate(interveneUpdate, { args: [abort] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.compensation).toEqual([{ step: 'change', status: 'succeeded' }]);
  });
  expect(flakyCalls.get(`${target}:before`)).toBe(1);
  expect(effects).toEqual([{ target, action: 'restore ok after 1 calls (result: ok after 3 calls)' }]);
});

test('an abort while the step waits for an operator still restores what was there before it', async () => {
  const taskQueue = testTaskQueue();
  const target = `failing-${taskQueue}`;
  const { worker, effects, flakyCalls } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startKitBefore(taskQueue, { target, failures: 10, nonRetryable: true });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await handle.executeUpdate(interveneUpdate, { args: [abort] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.compensation).toEqual([{ step: 'change', status: 'succeeded' }]);
  });
  expect(flakyCalls.get(`${target}:before`)).toBe(1);
  expect(effects).toEqual([{ target, action: 'restore ok after 1 calls (result: none)' }]);
});
