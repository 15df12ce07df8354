import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { ReadinessEvaluation } from '../../kit/trust';
import { FINDING_NUMBERS_ID, findingsWorkflowId } from '../../lib/findings/names';
import { EVIDENCE_ARCHIVER_ID } from '../../workflows/evidence-archiver';
import { lifeboatInProcess, temporalCli } from '../helpers/cli';
import { connectToTestServer, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';
import { drill, eventually, findingsArchive, findingsBundle, findingsWorker, listed } from './harness';

let ctx: TemporalTestContext;
let bundle: { code: string };
let archive: Awaited<ReturnType<typeof findingsArchive>>;

beforeAll(async () => {
  ctx = await connectToTestServer('findings-readiness');
  [bundle, archive] = await Promise.all([findingsBundle(), findingsArchive()]);
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  rmSync(archive.dir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const workflowId of [EVIDENCE_ARCHIVER_ID, FINDING_NUMBERS_ID])
    await ctx.client.workflow
      .getHandle(workflowId)
      .terminate('test over')
      .catch(() => undefined);
});

/** The findings check of `lifeboat readiness kit-exercise --target T`, and the command's exit code. */
async function findingsCheck(env: Record<string, string>, target: string) {
  const out = await lifeboatInProcess(['readiness', 'kit-exercise', '--target', target, '--json'], env);
  const evaluation = JSON.parse(out.stdout) as ReadinessEvaluation;
  return { code: out.code, check: evaluation.checks.find((c) => c.name === 'findings')! };
}

test('an open finding past its deadline makes the runbook not ready, naming it, until it is closed; the findings outlive their workflow', async () => {
  const taskQueue = testTaskQueue();
  const target = `deadline-${taskQueue}`;
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  // A deadline of zero: a finding is past it the moment it opens, so nothing here waits for a clock.
  const timing = { deadlineSeconds: 0, notReadySeconds: 24 * 3600 };
  const worker = await findingsWorker(ctx, taskQueue, bundle, archive.settings(env), timing);
  await worker.runUntil(async () => {
    expect((await findingsCheck(env, target)).check).toMatchObject({ ready: true, reason: 'no open findings' });

    await drill(ctx, taskQueue, target, 'fails');
    const opened = await eventually("the failed drill's findings", async () => {
      const found = await listed(env, target, '--open');
      return found.length >= 2 ? found : undefined;
    });
    const notReady = await findingsCheck(env, target);
    expect(notReady.code).toBe(1);
    expect(notReady.check.ready).toBe(false);
    for (const finding of opened) expect(notReady.check.reason).toContain(`${finding.id} (${finding.reason}`);
    expect(notReady.check.fix).toContain('lifeboat finding close');
    const shown = await lifeboatInProcess(['findings', '--runbook', 'kit-exercise', '--target', target], env);
    expect(shown.stdout).toContain('OVERDUE');

    // An insider ends the findings workflow and starts a fresh one with the stock CLI: it reads its findings back from the archive.
    const workflowId = findingsWorkflowId('kit-exercise', target);
    await ctx.client.workflow.getHandle(workflowId).terminate('an insider wipes the findings');
    const started = await temporalCli(
      [
        'workflow',
        'start',
        '--type',
        'runbookFindings',
        '--task-queue',
        taskQueue,
        '--workflow-id',
        workflowId,
        '--input',
        JSON.stringify({ runbook: 'kit-exercise', target }),
      ],
      ctx.address,
    );
    expect(started.code).toBe(0);
    expect((await listed(env, target, '--open')).map((f) => f.id).sort()).toEqual(opened.map((f) => f.id).sort());

    // erin operates kit-exercise but is in no risk acceptance group; bob (sre-leads, which the roster names for it) is.
    const [first, second] = opened as [(typeof opened)[0], (typeof opened)[0]];
    const erin = await lifeboatInProcess(['finding', 'close', first.id, '--as', 'erin', '--comment', 'we live with it', '--accept-risk'], env);
    expect(erin.code).toBe(1);
    expect(erin.stderr).toContain('erin may not accept a risk: only members of group sre-leads may');
    for (const finding of [first, second]) {
      const closed = await lifeboatInProcess(
        ['finding', 'close', finding.id, '--as', 'bob', '--comment', 'accepted until the Q3 rebuild', '--accept-risk'],
        env,
      );
      expect(closed.stderr).toBe('');
      expect(closed.stdout).toContain(`${finding.id} closed by bob: risk accepted as sre-leads`);
    }
    expect((await findingsCheck(env, target)).check).toMatchObject({ ready: true, reason: 'no open findings' });
  });
});

test('a runbook its readiness schedule keeps finding not ready opens a not-ready finding, once', async () => {
  const taskQueue = testTaskQueue();
  const target = `streak-${taskQueue}`;
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  // A streak of any length counts here: what is tested is that the schedule's own evaluations, not a claim, open it.
  const timing = { deadlineSeconds: 30 * 24 * 3600, notReadySeconds: 0 };
  const worker = await findingsWorker(ctx, taskQueue, bundle, archive.settings(env), timing);
  await worker.runUntil(async () => {
    // Without a worker that answers `lifeboat workers`, kit-exercise is never ready (its workers-agree check).
    const scheduled = await lifeboatInProcess(['readiness', 'schedule', 'kit-exercise', '--target', target, '--every', '1s', '--as', 'alice'], env);
    expect(scheduled.stderr).toBe('');
    try {
      const [finding] = await eventually('a not-ready finding', async () => {
        const found = (await listed(env, target)).filter((f) => f.reason === 'not-ready');
        return found.length > 0 ? found : undefined;
      });
      expect(finding!.what).toContain(`kit-exercise on ${target} has been not ready since`);
      expect(finding!.run).toBeUndefined();
      // Later evaluations of the same streak open no second one.
      const evaluations = async () => (await lifeboatInProcess(['readiness', 'history', 'kit-exercise', '--target', target, '--json'], env)).stdout;
      const seen = await evaluations();
      await eventually('another evaluation', async () => ((await evaluations()) !== seen ? true : undefined));
      expect((await listed(env, target)).filter((f) => f.reason === 'not-ready')).toHaveLength(1);
    } finally {
      await ctx.client.schedule
        .getHandle(`readiness/kit-exercise/${target}`)
        .delete()
        .catch(() => undefined);
    }
  });
});
