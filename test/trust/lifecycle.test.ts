import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { statusQuery } from '../../kit';
import { digestOf, type SignedDecision } from '../../kit/trust';
import { lifeboatInProcess, temporalCli, type CliResult } from '../helpers/cli';
import { recordHistory } from '../helpers/histories';
import { decisionStatement, signAs, signedStart, statementOf } from '../helpers/signing';
import { connectToTestServer, createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * Issue 19: an insider with namespace access and a worker of their own uses Temporal's own lifecycle (start, parent,
 * continue-as-new, reset) to move a run without a current signed decision. Each attempt goes through the stock
 * `temporal` CLI or the attacker's workflows on a task queue of their own, and each must run no step of ours: the
 * recording activities (the "estate" of the test runbook) are checked, not only the run's state.
 */

let ctx: TemporalTestContext;
let ours: Awaited<ReturnType<typeof createTestWorker>>;
let evilWorker: Worker;
let running: Promise<unknown>;
const suffix = randomUUID().slice(0, 8);
const taskQueue = `lifecycle-${suffix}`;
const evilQueue = `evil-${suffix}`;

beforeAll(async () => {
  ctx = await connectToTestServer();
  // No workflow cache: every task of every run here replays its whole history first, as a restarted worker does, so a
  // reset run must take notice of its reset at the same place each time.
  ours = await createTestWorker(ctx, taskQueue, {}, undefined, { maxCachedWorkflows: 0 });
  const attacker = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, 'attacker/workflows.ts'), logger: quiet });
  evilWorker = await Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue: evilQueue,
    workflowBundle: { code: attacker.code },
  });
  running = Promise.all([ours.worker.run(), evilWorker.run()]);
}, 120_000);

afterAll(async () => {
  ours?.worker.shutdown();
  evilWorker?.shutdown();
  await running;
  await ctx?.close();
});

const exerciseInput = (target: string) => ({ target, quorum: 2 });

/** What the test runbook did to its target: its recording activities are the estate here. */
function actionsOn(target: string): string[] {
  return ours.effects.filter((e) => e.target === target).map((e) => e.action);
}

function temporal(args: string[]): Promise<CliResult> {
  return temporalCli(args, ctx.address);
}

/** alice's signed start of kit-exercise on `target`, as `lifeboat run` makes it. */
function alicesStart(target: string): SignedDecision {
  return signedStart({ workflowId: `kit-exercise/${target}`, workflowType: 'kitExercise', input: exerciseInput(target), by: 'alice' });
}

async function failureOf(workflowId: string): Promise<string> {
  const err = await ctx.rawClient.workflow
    .getHandle(workflowId)
    .result()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return String((err as WorkflowFailedError).cause?.message);
}

/** The first argument a run was started with, read from its history as anyone with namespace access can. */
async function startArgumentOf(workflowId: string): Promise<{ start: SignedDecision }> {
  const history = await ctx.rawClient.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { start: SignedDecision };
}

async function signalDecision(workflowId: string, kind: 'approve', by: string): Promise<void> {
  const status = await ctx.rawClient.workflow.getHandle(workflowId).query(statusQuery);
  const gate = status.gates.find((g) => g.status === 'open')?.name;
  const signed = signAs(decisionStatement(status, kind, by, { gate: gate! }));
  const sent = await temporal(['workflow', 'signal', '--workflow-id', workflowId, '--name', kind, '--input', JSON.stringify(signed)]);
  expect(sent.stderr).toBe('');
}

test('a drill launcher started by hand under a borrowed ID, with an old start statement for another runbook, starts nothing', async () => {
  const target = `old-${suffix}`;
  const old = ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: `kit-exercise/${target}`,
    args: [{ input: exerciseInput(target), requestedBy: 'alice' }],
  });
  const handle = await old;
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  const { start } = await startArgumentOf(`kit-exercise/${target}`);
  const team = `borrowed-${suffix}`;
  const spec = { runbook: 'paging-check', input: { team }, drill: { kind: 'live' }, requestedBy: 'alice', start };
  const launched = await temporal([
    'workflow',
    'start',
    '--type',
    'scheduledDrill',
    '--task-queue',
    taskQueue,
    '--workflow-id',
    `paging-check/${team}`,
    '--input',
    JSON.stringify(spec),
  ]);
  expect(launched.code).toBe(0);
  expect(await failureOf(`paging-check/${team}`)).toMatch(/^start refused: the statement is for kit-exercise\/old-.*, not paging-check\/borrowed-/);
  const history = await ctx.rawClient.workflow.getHandle(`paging-check/${team}`).fetchHistory();
  expect(history.events!.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
  expect(ours.notifications.filter((n) => n.target === team)).toEqual([]);
  await handle.terminate('test done');
});

test("a drill launcher started by hand with a real schedule's authorisation is refused: no schedule started it", async () => {
  const team = `sched-${suffix}`;
  const input = { team };
  const scheduleId = `drill/paging-check/${team}`;
  const start = signAs(
    statementOf({
      kind: 'start',
      namespace: 'default',
      workflowId: `paging-check/${team}`,
      runId: '',
      inputDigest: digestOf(input),
      by: 'alice',
      body: { runbook: 'paging-check', drill: 'isolated', schedule: scheduleId },
    }),
  );
  const launcherId = `${scheduleId}-2026-12-05T03:00:00Z`;
  await ctx.rawClient.workflow.start('scheduledDrill', {
    taskQueue,
    workflowId: launcherId,
    args: [{ runbook: 'paging-check', input, drill: { kind: 'isolated', approvals: 'policy' }, requestedBy: 'alice', start }],
  });
  expect(await failureOf(launcherId)).toBe(`start refused: no drill schedule ${scheduleId} exists, so it cannot have started this run`);
  expect(ours.notifications.filter((n) => n.target === team)).toEqual([]);
});

test("an attacker's workflow on another task queue that starts our runbook as its child, with alice's start, moves nothing", async () => {
  const target = `child-${suffix}`;
  const evil = await ctx.rawClient.workflow.start('evilParent', {
    taskQueue: evilQueue,
    workflowId: `evil-parent-${suffix}`,
    args: [
      {
        workflowType: 'kitExercise',
        taskQueue,
        workflowId: `kit-exercise/${target}`,
        request: { input: exerciseInput(target), requestedBy: 'alice', start: alicesStart(target) },
      },
    ],
  });
  const outcome = await evil.result();
  expect(outcome).toContain('start refused: its parent evil-parent-');
  expect(outcome).toContain(`(evilParent on task queue ${evilQueue}) does not run on this run's task queue ${taskQueue}, so it is not a Lifeboat run`);
  expect(actionsOn(target)).toEqual([]);
});

test("a continue-as-new from an attacker's workflow into our runbook, carrying approved gates, runs nothing", async () => {
  const target = `carry-${suffix}`;
  const workflowId = `kit-exercise/${target}`;
  const at = new Date().toISOString();
  const forged = {
    status: {
      runId: workflowId,
      runbook: 'kit-exercise',
      title: 'Kit exercise',
      target,
      state: 'waiting-approval',
      requestedBy: 'alice',
      startedAt: at,
      updatedAt: at,
      steps: [],
      gates: [
        {
          name: 'approve',
          title: 'Leads approve',
          status: 'approved',
          openedAt: at,
          quorum: 2,
          approvers: { groups: ['sre-leads'] },
          eligible: ['bob', 'carol'],
          votes: [
            { by: 'bob', decision: 'approve', at },
            { by: 'carol', decision: 'approve', at },
          ],
          escalations: 0,
          expiresAt: at,
          onExpiry: 'abort',
        },
      ],
      compensation: [],
      details: {},
      audit: [{ at, actor: 'bob', action: 'approved' }],
    },
    steps: { 'prepare#1': { result: null }, 'flaky#1': { result: 'ok' }, 'gate:approve#1': { result: 'passed' } },
    usedNonces: [],
    roster: { groups: { 'sre-leads': 'leads' }, people: [{ id: 'bob', name: 'Bob', groups: ['sre-leads'], keys: [] }] },
    count: 1,
  };
  await ctx.rawClient.workflow.start('evilCarry', {
    taskQueue: evilQueue,
    workflowId,
    args: [
      { workflowType: 'kitExercise', taskQueue, request: { input: exerciseInput(target), requestedBy: 'alice', start: alicesStart(target), carried: forged } },
    ],
  });
  expect(await failureOf(workflowId)).toBe(
    `start refused: this run continued from evilCarry on task queue ${evilQueue}, not from kitExercise on ${taskQueue}: carried-over state from another workflow is not evidence`,
  );
  expect(actionsOn(target)).toEqual([]);
});

test('one signed start starts one run: sent again after the first run ended, it is refused and runs nothing', async () => {
  const target = `replay-${suffix}`;
  const workflowId = `kit-exercise/${target}`;
  const start = alicesStart(target);
  const request = { input: exerciseInput(target), requestedBy: 'alice', start };
  const first = await ctx.rawClient.workflow.start('kitExercise', { taskQueue, workflowId, args: [request] });
  await waitForStatus(first, (s) => s.state === 'waiting-approval');
  await first.terminate('the attacker ends the first run to free the ID');
  await ctx.rawClient.workflow.start('kitExercise', { taskQueue, workflowId, args: [request] });
  expect(await failureOf(workflowId)).toBe(
    `start refused: this signed start already started ${workflowId}@${first.firstExecutionRunId}; each signed start starts one run, so sign a new one`,
  );
  expect(actionsOn(target)).toEqual(['prepare']);
});

test("our activities scheduled by an attacker's workflow onto our task queue are refused by the worker", async () => {
  const target = `activity-${suffix}`;
  const outcome = await ctx.rawClient.workflow.execute('evilActivity', {
    taskQueue: evilQueue,
    workflowId: `evil-activity-${suffix}`,
    args: [{ taskQueue, target }],
  });
  expect(outcome).toContain('activity record refused: it was scheduled by evilActivity on task queue');
  expect(actionsOn(target)).toEqual([]);
});

/** Starts the test runbook on `target` and has bob and carol approve it with the stock CLI, until it succeeds. */
async function approvedRun(target: string) {
  const workflowId = `kit-exercise/${target}`;
  const handle = await ctx.client.workflow.start('kitExercise', { taskQueue, workflowId, args: [{ input: exerciseInput(target), requestedBy: 'alice' }] });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  await signalDecision(workflowId, 'approve', 'bob');
  await waitForStatus(handle, (s) => s.gates[0]!.votes.length === 1);
  await signalDecision(workflowId, 'approve', 'carol');
  await waitForStatus(handle, (s) => s.state === 'succeeded');
  expect(actionsOn(target)).toEqual(['prepare', 'apply', 'verify']);
  return { workflowId, events: (await handle.fetchHistory()).events! };
}

async function resetTo(workflowId: string, eventId: number): Promise<void> {
  const reset = await temporal([
    'workflow',
    'reset',
    '--workflow-id',
    workflowId,
    '--event-id',
    String(eventId),
    '--reason',
    'an insider replays the approvals',
  ]);
  expect(reset.stderr).toBe('');
}

/** The workflow task completed first after event `after`: a point `temporal workflow reset --event-id` takes. */
function taskCompletedAfter(events: { eventId?: unknown; workflowTaskCompletedEventAttributes?: unknown }[], after: number): number {
  return Number(events.find((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) > after)!.eventId);
}

/**
 * The reset run's whole history replays through the workflow code: the run takes notice of the reset at the same
 * place on every replay (a worker restart, a cache eviction), so it never fails with a determinism error.
 */
async function expectReplays(workflowId: string): Promise<void> {
  const history = await ctx.rawClient.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: { codePath: inject('testBundlePath') }, replayName: 'lifecycle-reset' }, history, workflowId);
}

/** bob and carol approve again, signing now; the run goes on. */
async function approveAgain(workflowId: string) {
  const latest = ctx.rawClient.workflow.getHandle(workflowId);
  await signalDecision(workflowId, 'approve', 'bob');
  await waitForStatus(latest, (s) => s.gates.at(-1)!.votes.length === 1);
  await signalDecision(workflowId, 'approve', 'carol');
  const done = await waitForStatus(latest, (s) => s.state === 'succeeded');
  expect(done.gates.at(-1)!.votes.map((v) => v.by)).toEqual(['bob', 'carol']);
  return done;
}

test('temporal workflow reset to the task of the last approval counts none of them again: the signals Temporal reapplies are refused', async () => {
  const target = `reset-${suffix}`;
  const { workflowId, events } = await approvedRun(target);
  const lastSignal = Math.max(...events.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => Number(e.eventId)));
  await resetTo(workflowId, taskCompletedAfter(events, lastSignal));
  const asked = await waitForStatus(ctx.rawClient.workflow.getHandle(workflowId), (s) => s.reset !== undefined && s.state === 'waiting-approval');
  expect(asked.reset).toMatchObject({ votesVoided: 1, next: 'gate approve waits for fresh signatures', stepsRun: ['prepare', 'flaky'] });
  expect([asked.gates[0]!.status, asked.gates[0]!.votes.length]).toEqual(['open', 0]);
  // carol's signal came back with the reset; it was signed before the reset, so it is refused.
  expect(asked.refused).toMatchObject({ count: 1, lastBy: 'carol' });
  expect(asked.refused!.lastReason).toMatch(/before Temporal reset the run at .*; a reset run counts no decision made before the reset, so sign a new one/);
  const shown = await lifeboatInProcess(['status', workflowId], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
  expect(shown.stdout).toMatch(
    /^reset: Temporal reset this run \(asked by .+: an insider replays the approvals\); noticed at .*; steps already run: prepare, flaky; gate approve waits for fresh signatures$/m,
  );
  await new Promise((r) => setTimeout(r, 1500));
  expect(actionsOn(target)).toEqual(['prepare', 'apply', 'verify']);
  await approveAgain(workflowId);
  expect(actionsOn(target)).toEqual(['prepare', 'apply', 'verify', 'apply', 'verify']);
  await expectReplays(workflowId);
});

test('temporal workflow reset after a step the approvals allowed reopens their gate before the next step acts', async () => {
  const target = `reset-late-${suffix}`;
  const { workflowId, events } = await approvedRun(target);
  const records = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'record').map((e) => Number(e.eventId));
  const applyDone = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === records[1])!;
  await resetTo(workflowId, taskCompletedAfter(events, Number(applyDone.eventId)));
  const asked = await waitForStatus(ctx.rawClient.workflow.getHandle(workflowId), (s) => s.reset !== undefined && s.state === 'waiting-approval');
  expect(asked.reset).toMatchObject({
    votesVoided: 0,
    next: 'gate approve opens again and waits for fresh signatures before the next step',
    stepsRun: ['prepare', 'flaky', 'apply'],
  });
  expect(asked.audit.find((a) => a.action === 'gate-reopened')?.detail).toBe('approve: Temporal reset the run, so step verify waits for fresh approvals');
  expect(asked.gates.map((g) => [g.name, g.status, g.votes.length])).toEqual([
    ['approve', 'approved', 2],
    ['approve', 'open', 0],
  ]);
  await new Promise((r) => setTimeout(r, 1500));
  expect(actionsOn(target)).toEqual(['prepare', 'apply', 'verify']);
  await approveAgain(workflowId);
  expect(actionsOn(target)).toEqual(['prepare', 'apply', 'verify', 'verify']);
  await expectReplays(workflowId);

  // A second reset, to the task that scheduled the last step after the fresh approvals, is noticed too: those
  // approvals count no more either.
  const afterFresh = (await ctx.rawClient.workflow.getHandle(workflowId).fetchHistory()).events!;
  const lastFreshSignal = Math.max(...afterFresh.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => Number(e.eventId)));
  const verifyAgain = afterFresh.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'record').at(-1)!;
  const schedulingVerify = afterFresh.filter((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) < Number(verifyAgain.eventId)).at(-1)!;
  expect(Number(schedulingVerify.eventId)).toBeGreaterThan(lastFreshSignal);
  await resetTo(workflowId, Number(schedulingVerify.eventId));
  const again = await waitForStatus(
    ctx.rawClient.workflow.getHandle(workflowId),
    (s) => s.state === 'waiting-approval' && s.audit.filter((a) => a.action === 'reset').length === 2,
  );
  expect(again.gates.at(-1)).toMatchObject({ name: 'approve', status: 'open', votes: [] });
  await new Promise((r) => setTimeout(r, 1500));
  expect(actionsOn(target)).toEqual(['prepare', 'apply', 'verify', 'verify']);
  await expectReplays(workflowId);
  await recordHistory(ctx.rawClient.workflow.getHandle(workflowId), 'kit-exercise-reset-twice-lifecycle');
});

test('temporal workflow reset to the first workflow task starts nothing again: the start was already used', async () => {
  const target = `reset-first-${suffix}`;
  const workflowId = `kit-exercise/${target}`;
  const handle = await ctx.client.workflow.start('kitExercise', { taskQueue, workflowId, args: [{ input: exerciseInput(target), requestedBy: 'alice' }] });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  await handle.terminate('the attacker ends it, then resets it to its start');
  const reset = await temporal(['workflow', 'reset', '--workflow-id', workflowId, '--type', 'FirstWorkflowTask', '--reason', 'an insider restarts it']);
  expect(reset.stderr).toBe('');
  expect(await failureOf(workflowId)).toMatch(
    /^start refused: this signed start already started kit-exercise\/reset-first-.*; each signed start starts one run/,
  );
  expect(actionsOn(target)).toEqual(['prepare']);
});

const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
