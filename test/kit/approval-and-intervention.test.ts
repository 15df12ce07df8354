import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { approveSignal, approveUpdate, interveneUpdate, rejectUpdate, statusQuery, type RunResult } from '../../kit';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import type { ExerciseInput } from '../workflows/kit-exercise';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

async function startExercise(taskQueue: string, input: Partial<ExerciseInput> & { target: string }, requestedBy = 'alice') {
  return ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: `kit-exercise/${input.target}`,
    args: [{ input, requestedBy }],
  });
}

test('a quorum of two distinct leads approves the gate and the run succeeds', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startExercise(taskQueue, { target: `quorum-${taskQueue}` });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const first = await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'lag is zero' }] });
    expect(first).toEqual({ gate: 'approve', status: 'open', approvals: 1, quorum: 2 });
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    const result = (await handle.result()) as RunResult<{ applied: boolean }>;
    expect(result.state).toBe('succeeded');
    expect(result.output).toEqual({ applied: true });
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ['prepare', 'succeeded'],
      ['flaky', 'succeeded'],
      ['approve:approvers', 'succeeded'],
      ['apply', 'succeeded'],
      ['verify', 'succeeded'],
    ]);
    expect(result.gates[0]).toMatchObject({ status: 'approved', votes: [{ by: 'bob', comment: 'lag is zero' }, { by: 'carol' }] });
    expect(result.audit.filter((a) => a.action === 'approved').map((a) => a.actor)).toEqual(['bob', 'carol']);
    expect(effects.map((e) => e.action)).toEqual(['prepare', 'apply', 'verify']);
  });
});

test('invalid approvals are refused with a reason and never counted; a refused signal leaves one audit line, a refused update none', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startExercise(taskQueue, { target: `refusals-${taskQueue}`, quorum: 1 }, 'bob');
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const refusal = async (by: string, gate?: string) => {
      const err = await handle.executeUpdate(approveUpdate, { args: [{ by, ...(gate ? { gate } : {}) }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      return ((err as WorkflowUpdateFailedError).cause as Error).message;
    };
    expect(await refusal('bob')).toMatch(/bob started this run and may not approve/);
    expect(await refusal('alice')).toMatch(/alice may not approve gate "approve": it needs 1 approval from group sre-leads \(carol\)/);
    expect(await refusal('carol', 'promote')).toMatch(/gate "promote" is not open/);
    // Refused updates never reached history; the signal path applies the same rules, and a refused signal is audited.
    await handle.signal(approveSignal, { by: 'dave' });
    const status = await waitForStatus(handle, (s) => s.audit.some((a) => a.actor === 'dave'));
    expect(status.gates[0]!.votes).toEqual([]);
    expect(status.gates[0]!.eligible).toEqual(['carol']); // the requester bob is never eligible
    expect(status.audit.filter((a) => a.action === 'approve-refused').map((a) => a.actor)).toEqual(['dave']);
    expect(status.refused).toMatchObject({ count: 1, lastBy: 'dave' });
    expect(status.state).toBe('waiting-approval');
    await handle.signal(approveSignal, { by: 'carol' });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    expect(result.audit.filter((a) => a.action === 'approve-refused')).toHaveLength(1);
    expect(result.gates[0]!.votes[0]).toMatchObject({ by: 'carol', verified: { keyType: 'ssh-ed25519', fingerprint: expect.stringMatching(/^SHA256:/) } });
  });
});

test('gate quorum that the roster cannot meet asks an operator instead of waiting for nobody', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    // bob requests, so only carol is left among sre-leads: a quorum of 2 can never be met.
    const handle = await startExercise(taskQueue, { target: `impossible-${taskQueue}` }, 'bob');
    const status = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    expect(status.intervention).toMatchObject({ step: 'approve:approvers', options: ['retry', 'abort'] });
    expect(status.intervention!.error).toMatch(/needs 2 approver\(s\) but only 1 eligible person\(s\) besides the requester.*carol/);
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'bob', reason: 'fix roster first' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
  });
});

test('one valid rejection rejects the gate, and the undos run in reverse', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startExercise(taskQueue, { target: `reject-${taskQueue}` });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const receipt = await handle.executeUpdate(rejectUpdate, { args: [{ by: 'carol', comment: 'standby is behind' }] });
    expect(receipt.status).toBe('rejected');
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toBe('gate "approve" rejected by carol: standby is behind');
    expect(result.compensation).toEqual([{ step: 'prepare', status: 'succeeded' }]);
    expect(effects.map((e) => e.action)).toEqual(['prepare', 'unprepare']);
  });
});

test('a step that keeps failing waits for an operator; retry runs it again and the choice is audited', async () => {
  const taskQueue = testTaskQueue();
  const { worker, flakyCalls } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `retry-${taskQueue}`;
    const handle = await startExercise(taskQueue, { target, flakyFailures: 3, quorum: 1 });
    const waiting = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    expect(waiting.intervention).toMatchObject({ step: 'flaky', error: 'flaky failure 2 of 3', options: ['retry', 'skip', 'abort'] });
    expect(waiting.steps.find((s) => s.name === 'flaky')).toMatchObject({ status: 'needs-intervention', attempts: 2 });
    const receipt = await handle.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'alice', reason: 'restarted the service' }] });
    expect(receipt).toEqual({ action: 'retry', step: 'flaky', state: 'needs-intervention' });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    expect(result.steps.find((s) => s.name === 'flaky')).toMatchObject({ status: 'succeeded', attempts: 4 });
    expect(flakyCalls.get(target)).toBe(4);
    expect(result.audit).toContainEqual(expect.objectContaining({ actor: 'alice', action: 'retry', comment: 'restarted the service' }));
  });
});

test('a non-retryable failure goes straight to intervention; skip moves on where the step allows it', async () => {
  const taskQueue = testTaskQueue();
  const { worker, flakyCalls } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `skip-${taskQueue}`;
    const handle = await startExercise(taskQueue, { target, flakyFailures: 5, nonRetryable: true, quorum: 1 });
    const waiting = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    expect(waiting.steps.find((s) => s.name === 'flaky')!.attempts).toBe(1);
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'erin', reason: 'checked by hand' }] });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const status = await handle.query(statusQuery);
    expect(status.steps.find((s) => s.name === 'flaky')!.status).toBe('skipped');
    expect(flakyCalls.get(target)).toBe(1);
    await handle.terminate('test done');
  });
});

test('a step that may not be skipped refuses skip and says what may be chosen', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startExercise(taskQueue, { target: `noskip-${taskQueue}` }, 'bob');
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    const err = await handle.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'bob' }] }).catch((e: unknown) => e);
    expect(((err as WorkflowUpdateFailedError).cause as Error).message).toBe('step "approve:approvers" may not be skipped; choose retry or abort');
    await handle.terminate('test done');
  });
});

test('abort during a gate runs the undos of the steps done so far, in reverse', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await startExercise(taskQueue, { target: `abort-${taskQueue}`, quorum: 1 });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const done = (await handle.result()) as RunResult;
    expect(done.state).toBe('succeeded');
    // The same pair may run again once the first run has finished; this time abort at the gate.
    const second = await startExercise(taskQueue, { target: `abort-${taskQueue}`, quorum: 1 });
    await waitForStatus(second, (s) => s.state === 'waiting-approval');
    await second.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'wrong region' }] });
    const aborted = (await second.result()) as RunResult;
    expect(aborted.state).toBe('aborted');
    expect(aborted.outcome).toBe('aborted by alice: wrong region');
    expect(aborted.steps.at(-1)).toMatchObject({ name: 'undo:prepare', kind: 'undo', status: 'succeeded' });
    expect(effects.filter((e) => e.target === `abort-${taskQueue}`).map((e) => e.action)).toEqual(['prepare', 'apply', 'verify', 'prepare', 'unprepare']);
  });
});

test('a failed undo waits for an operator: retry runs it again, skip leaves it reported as failed, and the other undos still run', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `undo-fails-${taskQueue}`;
    const handle = await startExercise(taskQueue, { target, quorum: 1, failUndo: true, failVerify: true });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'verification failed' }] });
    const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention' && s.intervention?.step === 'undo:apply');
    expect(stuck.intervention).toMatchObject({ error: 'revert refused by the test', options: ['retry', 'skip'] });
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'erin', reason: 'try the revert once more' }] });
    await waitForStatus(
      handle,
      (s) =>
        s.state === 'needs-intervention' && s.steps.find((x) => x.name === 'undo:apply')!.attempts > stuck.steps.find((x) => x.name === 'undo:apply')!.attempts,
    );
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'erin', reason: 'reverted by hand' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.compensation).toEqual([
      { step: 'apply', status: 'failed', error: 'revert refused by the test' },
      { step: 'prepare', status: 'succeeded' },
    ]);
    expect(result.audit).toContainEqual(expect.objectContaining({ action: 'undo-failed', detail: 'apply: revert refused by the test' }));
    expect(effects.filter((e) => e.target === target).map((e) => e.action)).toEqual(['prepare', 'apply', 'unprepare']);
  });
});

test('an unsigned Temporal cancellation is recorded and ignored; a signed cancel runs the undos and ends the run as aborted', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `cancel-${taskQueue}`;
    const handle = await startExercise(taskQueue, { target, quorum: 1 });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.cancel();
    const ignored = await waitForStatus(handle, (s) => s.audit.some((a) => a.action === 'cancel-refused'));
    expect(ignored.state).toBe('waiting-approval');
    expect(effects.filter((e) => e.target === target).map((e) => e.action)).toEqual(['prepare']);
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'cancel', by: 'erin', reason: 'wrong target' }] });
    const result = (await handle.result()) as RunResult;
    const status = await handle.query(statusQuery);
    expect(result.state).toBe('aborted');
    expect(status.outcome).toBe('aborted by erin: wrong target');
    expect(status.audit).toContainEqual(
      expect.objectContaining({ actor: 'erin', action: 'cancel', verified: expect.objectContaining({ keyType: 'ssh-ed25519' }) }),
    );
    expect(status.compensation).toEqual([{ step: 'prepare', status: 'succeeded' }]);
    expect(effects.filter((e) => e.target === target).map((e) => e.action)).toEqual(['prepare', 'unprepare']);
  });
});

test('bad input from any client fails the run at once with the field and the fix', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/bad-${taskQueue}`,
      args: [{ input: { target: '', flakyFailures: -1 }, requestedBy: 'alice' }],
    });
    const err = (await handle.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause?.message).toMatch(/^Invalid input for kit-exercise:/);
    expect(err.cause?.message).toMatch(/at target/);
    expect(err.cause?.message).toMatch(/at flakyFailures/);
  });
});

test('after the point of no return an abort undoes nothing and names the way back', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `no-return-${taskQueue}`;
    const handle = await startExercise(taskQueue, { target, quorum: 1, failVerify: true, noReturnAfterApply: true });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    expect(stuck.pointOfNoReturn).toMatchObject({ step: 'apply', undoInstead: 'run kit-exercise-back to revert' });
    expect(stuck.details).toEqual({ applied: { target } });
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'carol', reason: 'verification is broken' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toBe(
      'aborted by carol: verification is broken; past the point of no return (apply), so nothing was undone: run kit-exercise-back to revert',
    );
    expect(result.compensation).toEqual([]);
    expect(effects.filter((e) => e.target === target).map((e) => e.action)).toEqual(['prepare', 'apply']);
  });
});

test('a drill whose policy approves passes its gates without people, and says so everywhere', async () => {
  const taskQueue = testTaskQueue();
  const { worker, notifications } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `drill-${taskQueue}`;
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
    });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    expect(result.drill).toEqual({ kind: 'isolated', approvals: 'policy' });
    expect(result.gates[0]).toMatchObject({ status: 'approved', votes: [{ by: 'drill-policy', decision: 'approve' }] });
    expect(result.audit).toContainEqual(expect.objectContaining({ actor: 'drill-policy', action: 'approved' }));
    const mine = notifications.filter((n) => n.runId === handle.workflowId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((n) => n.title.startsWith('[DRILL isolated] '))).toBe(true);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.getAll().find((p) => p.key.name === 'LifeboatDrill')?.value).toBe('isolated');
  });
});

test('a drill that does not pass sends a drill-failed notification naming what went wrong', async () => {
  const taskQueue = testTaskQueue();
  const { worker, notifications } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `drill-fails-${taskQueue}`;
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target, failVerify: true }, requestedBy: 'alice', drill: { kind: 'isolated' } }],
    });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'erin', reason: 'verification keeps failing' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.details.drillResult).toEqual({
      failed: expect.arrayContaining(['the run ended aborted: aborted by erin: verification keeps failing', 'step verify failed']),
    });
    const failed = notifications.filter((n) => n.runId === handle.workflowId && n.kind === 'drill-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.title).toBe(`[DRILL isolated] Drill did not pass: kit-exercise on ${target}`);
    expect(failed[0]!.text).toContain('step verify failed');
  });
});
