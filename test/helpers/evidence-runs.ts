import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { expect } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import { lifeboatInProcess } from './cli';
import { testTrustRoot } from './roster-seal';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from './temporal';

/**
 * Real finished runs for test bundles: `evidence verify` checks every decision again from a bundle's history, so a
 * bundle that should verify must hold the history of a real run, signed by the test people, and the verify result
 * `lifeboat verify` gave it.
 */
export interface RecordedRun {
  runId: string;
  temporalRunId: string;
  /** The history as `temporal workflow show -o json` prints it. */
  history: string;
  /** `lifeboat verify <run> --json`. */
  verify: string;
}

/**
 * Runs kit-exercise to its end on each target (alice asks, bob approves) and, given a region, the evacuate-region plan
 * from it, aborted at its gate; returns each run by workflow ID. The runs load `rosterPath`, as a worker loads the
 * roster it also puts in its bundles.
 */
export async function recordRuns(
  ctx: TemporalTestContext,
  opts: { rosterPath: string; targets: string[]; planFrom?: 'A' | 'B' },
): Promise<Record<string, RecordedRun>> {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue, createRosterActivities({ rosterPath: opts.rosterPath, trustRoot: testTrustRoot() }));
  const runs: Record<string, RecordedRun> = {};
  const record = async (runId: string) => {
    runs[runId] = await recordRun(ctx, runId, env);
  };
  await worker.runUntil(async () => {
    for (const target of opts.targets) {
      const runId = `kit-exercise/${target}`;
      const handle = await ctx.client.workflow.start('kitExercise', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      const approved = await lifeboatInProcess(['approve', runId, '--as', 'bob', '--comment', 'recorded for the evidence tests'], env);
      expect(approved.code, approved.stderr).toBe(0);
      await handle.result();
      await record(runId);
    }
    if (opts.planFrom) {
      const to = opts.planFrom === 'A' ? 'B' : 'A';
      const runId = `plan/evacuate-region/${opts.planFrom}`;
      const started = await lifeboatInProcess(
        ['run', 'evacuate-region', '--set', `from=${opts.planFrom}`, '--set', `to=${to}`, '--set', 'mode=planned', '--as', 'alice'],
        env,
      );
      expect(started.code, started.stderr).toBe(0);
      await waitForStatus(ctx.client.workflow.getHandle(runId), (s) => s.state === 'waiting-approval');
      const aborted = await lifeboatInProcess(['abort', runId, '--as', 'alice', '--reason', 'recorded for the evidence tests'], env);
      expect(aborted.code, aborted.stderr).toBe(0);
      await ctx.client.workflow
        .getHandle(runId)
        .result()
        .catch(() => undefined);
      await record(runId);
    }
  });
  return runs;
}

/** A finished run's history and `lifeboat verify --json`, read as the archiver reads them; verify must pass. */
export async function recordRun(ctx: TemporalTestContext, runId: string, env: Record<string, string>): Promise<RecordedRun> {
  const handle = ctx.client.workflow.getHandle(runId);
  const { runId: temporalRunId } = await handle.describe();
  const history = `${JSON.stringify(JSON.parse(historyToJSON(await handle.fetchHistory())), null, 2)}\n`;
  const verified = await lifeboatInProcess(['verify', runId, '--json'], env);
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  return { runId, temporalRunId, history, verify: verified.stdout };
}
