import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { approveUpdate, type RunResult, type RunStatus } from '../../kit';
import { lifeboatInProcess } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

// A run waiting at a gate is flooded with forged decisions: 2,000 signals (a few as large as the server accepts)
// and 500 updates. None may count, the status must stay small and readable, and a real approval must still finish it.
let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

const FORGED_SIGNALS = 2_000;
const LARGE_SIGNALS = 10;
const FORGED_UPDATES = 500;
/** Just under the embedded server's payload limit (512 KiB), once encoded. */
const LARGEST_ACCEPTED = 500 * 1024;

test('a flood of forged signals and updates counts nothing, keeps status small, and a valid approval still finishes the run', async () => {
  const taskQueue = testTaskQueue();
  const { worker, effects } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const target = `flood-${taskQueue}`;
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const raw = ctx.rawClient.workflow.getHandle(handle.workflowId);

    const junk = 'x'.repeat(200);
    for (let i = 0; i < FORGED_SIGNALS; i++) {
      const large = i < LARGE_SIGNALS;
      const by = large ? 'b'.repeat(LARGEST_ACCEPTED) : `bob${junk}`;
      await raw.signal('approve', i % 2 === 0 ? { by } : { statement: large ? 's'.repeat(LARGEST_ACCEPTED) : `{"by":"bob"}${junk}`, signature: 'forged' });
    }
    let refusedUpdates = 0;
    for (let i = 0; i < FORGED_UPDATES; i++) {
      const err = await raw.executeUpdate('approve-update', { args: [{ statement: `{"by":"carol","n":${i}}`, signature: 'forged' }] }).catch((e: unknown) => e);
      if (err instanceof WorkflowUpdateFailedError) refusedUpdates++;
    }
    expect(refusedUpdates).toBe(FORGED_UPDATES);

    const flooded = await waitForStatus(handle, (s) => (s.refused?.count ?? 0) >= FORGED_SIGNALS && s.state === 'waiting-approval', 120_000);
    // The flood pushed the history past Temporal's suggestion, so the run carried itself over at its gate.
    expect(flooded.carriedOver).toBeGreaterThanOrEqual(1);
    expect(flooded.audit.filter((a) => a.action === 'continued-as-new').length).toBe(flooded.carriedOver);
    expect(flooded.gates[0]!.votes).toEqual([]);
    expect(flooded.refused).toMatchObject({ count: FORGED_SIGNALS });
    // Only the first refusals are audited one by one, each line bounded; the rest are counted.
    const refusalLines = flooded.audit.filter((a) => a.action.endsWith('-refused'));
    expect(refusalLines.length).toBeLessThanOrEqual(20);
    expect(Math.max(...flooded.audit.map((a) => JSON.stringify(a).length))).toBeLessThan(1_000);
    expect(JSON.stringify(flooded).length).toBeLessThan(64 * 1024);

    // The person on call can still read the run.
    const shown = await lifeboatInProcess(['status', handle.workflowId, '--json'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
    expect(shown.code).toBe(0);
    expect((JSON.parse(shown.stdout) as RunStatus).refused?.count).toBe(FORGED_SIGNALS);

    // And a real approval still counts and finishes the run.
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol', comment: 'after the flood' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    expect(result.gates[0]!.votes).toMatchObject([{ by: 'carol', verified: { keyType: 'ssh-ed25519' } }]);
    expect(JSON.stringify(result).length).toBeLessThan(64 * 1024);
    // Nothing ran twice across the carry-over: the steps done before it were recalled, not repeated.
    expect(effects.filter((e) => e.target === target).map((e) => e.action)).toEqual(['prepare', 'apply', 'verify']);
    expect(result.steps.filter((s) => s.name === 'prepare')).toHaveLength(1);
    // Every decision still verifies from the histories of the whole chain of runs.
    const verified = await lifeboatInProcess(['verify', handle.workflowId, '--json'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
    expect(verified.code, verified.stderr).toBe(0);
    await recordHistory(handle, 'kit-exercise-carried-over-signed');
    const described = await handle.describe();
    process.stdout.write(
      `flood: ${result.carriedOver ?? 0} carry-over(s); the last run has ${described.historyLength} events, ${(Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0) / 1048576).toFixed(1)} MiB of history\n`,
    );
  });
}, 300_000);
