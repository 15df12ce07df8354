import type { Client } from '@temporalio/client';
import { approveUpdate, type RunStatus, statusQuery } from '../kit';
import { decisionStatement } from '../test/helpers/signing-core';
import type { BenchContext } from './section';

/**
 * One signed approval, timed from the approver having read the run to the start of the step after the gate: sign, send
 * the update (what the CLI does), verify in the workflow. Starts a `kitExercise` run with a quorum of one, approves it
 * as bob and waits for it to finish; the clock is the server's time of the step, on the same machine.
 */
export async function approvalLatency(ctx: BenchContext, clients: { signing: Client; raw: Client }, taskQueue: string, target: string): Promise<number> {
  const handle = await clients.signing.workflow.start('kitExercise', {
    taskQueue,
    workflowId: `kit-exercise/${target}`,
    args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
  });
  // The approver has read the run (its status names what the statement must); timed from there.
  const open = await waitFor(
    () => handle.query(statusQuery),
    (s) => s.state === 'waiting-approval',
  );
  const sent = Date.now();
  const signed = ctx.signing.keys.sign(decisionStatement(open, 'approve', 'bob', { gate: 'approve' }));
  await clients.raw.workflow.getHandle(handle.workflowId).executeUpdate(approveUpdate, { args: [signed] });
  const status = await waitFor(
    () => handle.query(statusQuery),
    (s) => s.steps.some((x) => x.name === 'apply'),
  );
  await handle.result();
  return Date.parse(status.steps.find((x) => x.name === 'apply')!.startedAt) - sent;
}

/** Queries a run's status every 5 ms until it matches; a run not yet started counts as not matching. */
export async function waitFor(query: () => Promise<RunStatus>, predicate: (s: RunStatus) => boolean): Promise<RunStatus> {
  for (let i = 0; ; i++) {
    try {
      const status = await query();
      if (predicate(status)) return status;
    } catch {
      // not started yet
    }
    if (i > 2000) throw new Error('status never matched');
    await new Promise((r) => setTimeout(r, 5));
  }
}
