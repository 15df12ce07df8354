import { afterAll, beforeAll, expect, test } from 'vitest';
import { runbooks } from '../../runbooks';
import { type RunStatus } from '../../kit';
import { planOf } from '../../kit/trust';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { recordHistory } from '../helpers/histories';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

const envFor = (taskQueue: string) => ({ TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });

test('runbooks and plan print the catalog; plan --json is the definition the workflow runs', async () => {
  const list = await lifeboatInProcess(['runbooks', '--json']);
  expect(list.code).toBe(0);
  // Recovery plans follow the runbooks, marked kind: plan (test/cli/recovery-plan-cli.test.ts).
  expect(
    JSON.parse(list.stdout)
      .filter((r: { kind?: string }) => r.kind !== 'plan')
      .map((r: { id: string }) => r.id),
  ).toEqual(Object.keys(runbooks));
  const plan = await lifeboatInProcess(['plan', 'paging-check', '--json']);
  expect(plan.code).toBe(0);
  expect(JSON.parse(plan.stdout).plan).toEqual(JSON.parse(JSON.stringify(planOf(runbooks['paging-check']!))));
  const text = await lifeboatInProcess(['plan', 'paging-check']);
  expect(text.stdout).toContain('[gate] acknowledge');
  expect(text.stdout).toContain('Nothing was executed.');
  // A runbook whose isolated drill works on a scratch copy shows the steps that build and remove it.
  const drill = JSON.parse((await lifeboatInProcess(['plan', 'manual-booking-mode', '--drill', 'isolated', '--json'])).stdout) as {
    plan: { name: string; undo: string | null; drillOnly?: true }[];
  };
  expect(drill.plan.filter((e) => e.drillOnly).map((e) => e.name)).toEqual(['drillBuild', 'drillSeedLedger', 'drillCleanup']);
  expect(drill.plan.find((e) => e.name === 'drillBuild')!.undo).toMatch(/drop its database/);
  const manualPlan = (await lifeboatInProcess(['plan', 'manual-booking-mode'])).stdout;
  expect(manualPlan).toContain('  - isolated: runs the procedure on a scratch booking service');
  expect(manualPlan).not.toMatch(/^ *\d+\. .*drillBuild/m);
  expect(manualPlan).toMatch(/reconcile — .*\n {4}3 attempts, 2h each; Temporal runs each attempt up to 5 times, resuming from its last heartbeat; no undo/);
});

test('bad usage and bad input exit 2 with the field and the fix on stderr', async () => {
  const badInput = await lifeboatInProcess(['run', 'paging-check', '--set', 'team=', '--as', 'alice']);
  expect(badInput.code).toBe(2);
  expect(badInput.stdout).toBe('');
  expect(badInput.stderr).toMatchInlineSnapshot(`
    "error: invalid input for paging-check:
    ✖ Too small: expected string to have >=1 characters
      → at team
      fix: fix the fields above with --set key=value or --input FILE.json; see lifeboat plan paging-check
    "
  `);
  const unknownRunbook = await lifeboatInProcess(['run', 'region-failovr']);
  expect(unknownRunbook.code).toBe(2);
  expect(unknownRunbook.stderr).toContain('unknown runbook "region-failovr"');
  const unknownFlag = await lifeboatInProcess(['approve', 'x/y', '--quorum', '3']);
  expect(unknownFlag.code).toBe(2);
  expect(unknownFlag.stderr).toContain("Unknown option '--quorum'");
  const typo = await lifeboatInProcess(['run', 'manual-booking-mode', '--set', 'reason=db down', '--set', 'incidentId=INC-42', '--as', 'alice']);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toMatch(
    /^error: manual-booking-mode has no input field incidentId \(did you mean incident\?\)\n  fix: its fields are: service, reason, incident, /,
  );
  const badSet = await lifeboatInProcess(['run', 'paging-check', '--set', 'team']);
  expect(badSet.code).toBe(2);
  expect(badSet.stderr).toContain('--set team is not key=value');
  const json = await lifeboatInProcess(['status', '--json']);
  expect(json.code).toBe(2);
  expect(JSON.parse(json.stderr)).toEqual({
    error: { code: 'usage', message: 'name the run', suggestion: 'lifeboat status region-failover/booking (see lifeboat list)' },
  });
});

test('an unreachable Temporal is a refusal (exit 1) that says what to check', async () => {
  const result = await lifeboatInProcess(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1 \(TEMPORAL_ADDRESS\)/);
  expect(result.stderr).toContain('fix: check TEMPORAL_ADDRESS');
});

test('an on-call engineer runs a runbook, a second start is refused, and only an eligible person approves', async () => {
  const taskQueue = testTaskQueue();
  const env = envFor(taskQueue);
  const team = `sre-oncall`;
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(
      ['run', 'paging-check', '--set', `team=${team}`, '--set', `message=cli test ${taskQueue}`, '--as', 'alice', '--json'],
      env,
    );
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    expect(runId).toBe('paging-check/sre-oncall');
    try {
      const again = await lifeboatInProcess(['run', 'paging-check', '--as', 'erin'], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^error: paging-check\/sre-oncall is already running \(started by alice at .*\); one run per runbook and target at a time/);

      const handle = ctx.client.workflow.getHandle(runId);
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      const status = await lifeboatInProcess(['status', runId], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('state: waiting-approval');
      expect(status.stdout).toContain('may approve: erin');
      expect(status.stdout).toContain(`next: lifeboat approve ${runId}`);

      const self = await lifeboatInProcess(['approve', runId, '--as', 'alice'], env);
      expect(self.code).toBe(1);
      expect(self.stderr).toBe('error: refused: alice started this run and may not approve its gates; ask erin\n');
      const outsider = await lifeboatInProcess(['approve', runId], { ...env, LIFEBOAT_USER: 'dave' });
      expect(outsider.code).toBe(1);
      expect(outsider.stderr).toContain('dave may not approve gate "acknowledge"');

      const approved = await lifeboatInProcess(['approve', runId, '--as', 'erin', '--comment', 'paged and awake', '--json'], env);
      expect(approved.code).toBe(0);
      expect(JSON.parse(approved.stdout)).toMatchObject({ runId, by: 'erin', gate: 'acknowledge', status: 'approved', approvals: 1, quorum: 1 });

      // --watch polls until the run ends, as a terminal would show it: kept in a real process.
      const watched = await lifeboat(['status', runId, '--watch', '--interval', '0.2'], env);
      expect(watched.code).toBe(0);
      expect(watched.stdout).toContain('state: succeeded');

      const final = JSON.parse((await lifeboatInProcess(['status', runId, '--json'], env)).stdout) as RunStatus;
      expect(final.state).toBe('succeeded');
      // Refused updates never entered history: the trail holds the one approval that counted, with its key.
      expect(final.audit.filter((a) => a.action.startsWith('approve')).map((a) => [a.actor, a.action])).toEqual([['erin', 'approved']]);
      expect(final.audit.find((a) => a.action === 'approved')?.verified).toMatchObject({
        keyType: 'ssh-ed25519',
        fingerprint: expect.stringMatching(/^SHA256:/),
      });
      expect(final.audit.find((a) => a.action === 'approved')?.comment).toBe('paged and awake');
      await recordHistory(handle, 'paging-check-acknowledged-signed');
      await recordHistory(handle, 'paging-check-acknowledged-lifecycle');

      const listed = await lifeboatInProcess(['list', '--runbook', 'paging-check', '--json'], env);
      expect(listed.code).toBe(0);
      const finished = await waitForList(env, runId, 'succeeded');
      expect(finished).toMatchObject({ runId, runbook: 'paging-check', target: 'sre-oncall', state: 'succeeded', requestedBy: 'alice' });
    } finally {
      await ctx.client.workflow
        .getHandle(runId)
        .terminate('test cleanup')
        .catch(() => undefined);
    }
  });
});

/** Visibility is eventually consistent; poll until the run shows the expected state. */
async function waitForList(env: Record<string, string>, runId: string, state: string) {
  for (let i = 0; i < 50; i++) {
    const listed = await lifeboatInProcess(['list', '--state', state, '--json'], env);
    const run = (JSON.parse(listed.stdout) as { runId: string }[]).find((r) => r.runId === runId);
    if (run) return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${runId} never listed as ${state}`);
}

test('retry, skip and abort from the CLI steer a run that needs intervention', async () => {
  const taskQueue = testTaskQueue();
  const env = envFor(taskQueue);
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const runId = `kit-exercise/cli-${taskQueue}`;
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { target: `cli-${taskQueue}`, flakyFailures: 10, nonRetryable: true, quorum: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    const status = await lifeboatInProcess(['status', runId], env);
    expect(status.stdout).toContain('step flaky needs an operator');
    expect(status.stdout).toContain(`lifeboat skip ${runId}`);

    const retried = await lifeboatInProcess(['retry', runId, '--as', 'erin', '--reason', 'one more go'], env);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toBe(`erin chose retry for step flaky of ${runId}\n`);
    await waitForStatus(handle, (s) => s.state === 'needs-intervention' && s.steps.find((x) => x.name === 'flaky')!.attempts === 2);

    const skipped = await lifeboatInProcess(['skip', runId, '--as', 'erin', '--reason', 'verified by hand'], env);
    expect(skipped.code).toBe(0);
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const skipNothing = await lifeboatInProcess(['skip', runId, '--as', 'erin'], env);
    expect(skipNothing.code).toBe(1);
    expect(skipNothing.stderr).toBe('error: refused: no step is waiting for an operator; the run is waiting-approval\n');

    const aborted = await lifeboatInProcess(['abort', runId, '--as', 'erin', '--reason', 'wrong target'], env);
    expect(aborted.code).toBe(0);
    const result = (await handle.result()) as RunStatus;
    expect(result.state).toBe('aborted');
    expect(result.outcome).toBe('aborted by erin: wrong target');
    expect(result.audit.filter((a) => a.actor === 'erin').map((a) => [a.action, a.comment])).toEqual([
      ['retry', 'one more go'],
      ['skip', 'verified by hand'],
      ['abort', 'wrong target'],
    ]);
    const late = await lifeboatInProcess(['approve', runId, '--as', 'bob'], env);
    expect(late.code).toBe(1);
    await recordHistory(handle, 'kit-exercise-retry-skip-abort-signed');
  });
});

test('run --dry-run validates the input and prints the run id and plan without starting anything', async () => {
  const result = await lifeboatInProcess(['run', 'paging-check', '--set', 'team=sre-leads', '--as', 'bob', '--dry-run', '--json'], {
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  });
  expect(result.code).toBe(0);
  const dry = JSON.parse(result.stdout);
  expect(dry).toMatchObject({ runId: 'paging-check/sre-leads', requestedBy: 'bob', input: { team: 'sre-leads' } });
  expect(dry.plan.map((e: { name: string }) => e.name)).toEqual(['page', 'acknowledge', 'allClear']);
});

test("a finished run's status still shows when no worker is running", async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  const runId = `kit-exercise/finished-${taskQueue}`;
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { target: `finished-${taskQueue}`, quorum: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await lifeboatInProcess(['reject', runId, '--as', 'carol', '--comment', 'not now'], envFor(taskQueue));
    await handle.result();
  });
  const status = await lifeboatInProcess(['status', runId], envFor(taskQueue));
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('state: aborted');
  expect(status.stdout).toContain('outcome: gate "approve" rejected by carol: not now');
  expect(status.stdout).toContain('✓ undo prepare');
});
