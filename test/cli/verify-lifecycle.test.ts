import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { CheckedDecision, VerifyReport } from '../../cli/verify/check';
import { checkDelegation } from '../../cli/verify/delegation';
import { readLifecycle, type RunLifecycle } from '../../cli/verify/lifecycle';
import { checkResets } from '../../cli/verify/resets';
import { runbooks } from '../../runbooks';
import { approveSignal, type GateRecord, type RunStatus, statusQuery } from '../../kit';
import { Roster, rosterDigest } from '../../kit/trust';
import { lifeboatInProcess, temporalCli, type CliResult } from '../helpers/cli';
import { decisionStatement, signAs, signedStart, testKeyFile } from '../helpers/signing';
import { connectToTestServer, createTestWorker, type TemporalTestContext } from '../helpers/temporal';

/*
 * What an insider with namespace access does to a run, done as they would: the stock `temporal` CLI and a worker
 * of their own on a task queue of their own. Each run they moved fails `lifeboat verify`, which names why from
 * Temporal's own records; an honest run still verifies. Whether the workflow itself refuses such a start (the kit
 * is being hardened at the same time) does not matter here: a refused start is not OK either.
 */

let ctx: TemporalTestContext;
const suffix = randomUUID().slice(0, 8);
/** Lifeboat's task queue in this file, where its worker runs. */
const queue = `verify-lifecycle-${suffix}`;
/** The attacker's own task queue and worker. */
const evilQueue = `evil-${suffix}`;
let env: Record<string, string>;
let workers: Worker[] = [];
let running: Promise<void>[] = [];
let effects: { target: string; action: string }[];
/** The insider's workflows (test/workflows/evil-insider.ts), bundled for their own workers. */
let evilBundle: { code: string };

beforeAll(async () => {
  ctx = await connectToTestServer();
  env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: queue };
  const made = await createTestWorker(ctx, queue);
  effects = made.effects;
  evilBundle = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows/evil-insider.ts'), logger: quietLogger });
  const evil = await Worker.create({ connection: ctx.nativeConnection, namespace: ctx.namespace, taskQueue: evilQueue, workflowBundle: evilBundle });
  workers = [made.worker, evil];
  running = workers.map((w) => w.run());
});

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(running);
  await ctx?.close();
});

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  log: () => undefined,
};

function temporal(args: string[]): Promise<CliResult> {
  return temporalCli(args, ctx.address);
}

function verify(runId: string, json = false, extra: string[] = []): Promise<CliResult> {
  return lifeboatInProcess(['verify', runId, ...(json ? ['--json'] : []), ...extra], env);
}

/** The run's status once `predicate` holds, or once it closed (a run the hardened kit refused answers no more). */
async function settle(handle: WorkflowHandle, predicate: (s: RunStatus) => boolean): Promise<RunStatus | 'closed'> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const described = await handle.describe().catch(() => undefined);
    if (described && described.status.name !== 'RUNNING') return 'closed';
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && predicate(status)) return status;
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} never settled; last status ${JSON.stringify(status)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

function exerciseInput(target: string, extra: object = {}) {
  return { target, ...extra };
}

/** A run of kitExercise started as `lifeboat run` would, signed by alice. */
async function startHonest(target: string, extra: object = {}): Promise<WorkflowHandle> {
  const workflowId = `kit-exercise/${target}`;
  const input = exerciseInput(target, extra);
  return ctx.rawClient.workflow.start('kitExercise', {
    taskQueue: queue,
    workflowId,
    args: [{ input, requestedBy: 'alice', start: signedStart({ workflowId, workflowType: 'kitExercise', input, by: 'alice' }) }],
  });
}

test('an honest run verifies OK; reset after its approvals, steps that run again on them fail verify (fresh approvals cover them), and a reset to before the first step fails verify, naming who reset it and why', async () => {
  const target = `reset-${suffix}`;
  const handle = await startHonest(target);
  const open = await settle(handle, (s) => s.state === 'waiting-approval');
  expect(open).not.toBe('closed');
  const raw = ctx.rawClient.workflow.getHandle(handle.workflowId);
  // Signals, so the approvals stay in the history before the reset point.
  await raw.signal(approveSignal, signAs(decisionStatement(open as RunStatus, 'approve', 'bob', { gate: 'approve' })));
  await raw.signal(approveSignal, signAs(decisionStatement(open as RunStatus, 'approve', 'carol', { gate: 'approve' })));
  expect(((await handle.result()) as RunStatus).state).toBe('succeeded');

  const honest = await verify(handle.workflowId);
  expect(honest.stderr).toBe('');
  expect(honest.stdout).toContain('OK: every decision the run counted verifies');
  expect(honest.stdout).not.toContain('note:');
  expect(honest.code).toBe(0);
  // The roster it used is the one its admins sealed.
  const sealed = await verify(handle.workflowId, false, ['--roster', inject('testRosterPath'), '--trust-root', inject('testTrustRootPath')]);
  expect(sealed.code, sealed.stdout).toBe(0);

  // The workflow task that scheduled the first step after the gate: resetting to it runs that step again.
  const events = (await handle.fetchHistory()).events ?? [];
  const lastIndex = (upTo: number, match: (e: (typeof events)[number]) => boolean) => {
    for (let i = upTo - 1; i >= 0; i--) if (match(events[i]!)) return i;
    return -1;
  };
  const lastApproval = lastIndex(events.length, (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'approve');
  const firstAfter = events.findIndex((e, i) => i > lastApproval && e.activityTaskScheduledEventAttributes?.activityType?.name === 'record');
  const completed = lastIndex(firstAfter, (e) => !!e.workflowTaskCompletedEventAttributes);
  const resetTo = String(events[completed]!.eventId);
  const reset = await temporal(['workflow', 'reset', '--workflow-id', handle.workflowId, '--event-id', resetTo, '--reason', 'run the switch again']);
  expect(reset.stderr).toBe('');
  expect(reset.code).toBe(0);

  const latest = ctx.rawClient.workflow.getHandle(handle.workflowId);
  const after = await settle(latest, (s) => s.state === 'waiting-approval');
  const text = (await verify(handle.workflowId)).stdout;
  // The server records itself as the identity; the stock CLI names its user before the reason.
  expect(text).toMatch(
    new RegExp(`note: this run was reset by \\S+ for "${userInfo().username}" at \\S+ \\(reason: run the switch again; from run \\S+, event \\d+\\)\n`),
  );
  if (after === 'closed') {
    // The kit acted on the old approvals: apply and verify ran a second time.
    expect(effects.filter((e) => e.target === target).map((e) => e.action)).toEqual(['prepare', 'apply', 'verify', 'apply', 'verify']);
    const failed = await verify(handle.workflowId, true);
    expect(failed.code).toBe(1);
    const report = JSON.parse(failed.stdout) as VerifyReport;
    expect(report.problems).toEqual([
      expect.stringMatching(
        /^the run was reset by \S+ for "\S+" at \S+ \(reason: run the switch again; .*\), and 2 step activities \(record\) ran after it with no approval signed since: old approvals do not cover a reset run$/,
      ),
    ]);
  } else {
    // The kit reopened its gate: fresh approvals, signed after the reset, cover the steps that run again.
    for (const who of ['bob', 'carol']) expect((await lifeboatInProcess(['approve', handle.workflowId, '--as', who], env)).code).toBe(0);
    expect(((await latest.result()) as RunStatus).state).toBe('succeeded');
    const covered = await verify(handle.workflowId);
    expect(covered.stdout).toContain('note: this run was reset by');
    expect(covered.code).toBe(0);
  }

  // Reset to the workflow task that scheduled the first step: the steps before the gate run again on nobody's say-so.
  const current = (await ctx.rawClient.workflow.getHandle(handle.workflowId).fetchHistory()).events ?? [];
  const firstStep = current.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'record');
  let task = firstStep;
  while (task > 0 && !current[task]!.workflowTaskCompletedEventAttributes) task--;
  const fromTop = await temporal([
    'workflow',
    'reset',
    '--workflow-id',
    handle.workflowId,
    '--event-id',
    String(current[task]!.eventId),
    '--reason',
    'from the top',
  ]);
  expect(fromTop.code, fromTop.stderr).toBe(0);
  await settle(ctx.rawClient.workflow.getHandle(handle.workflowId), (s) => s.state === 'waiting-approval');
  const again = await verify(handle.workflowId, true);
  expect(again.code).toBe(1);
  const report = JSON.parse(again.stdout) as VerifyReport;
  expect(report.notes).toContainEqual(expect.stringMatching(/^this run was reset by \S+ for "\S+" at \S+ \(reason: from the top; from run \S+, event \d+\)$/));
  // Either the kit acted again (the steps before the gate ran on nobody's say-so), or it refused to: both fail.
  expect(report.problems).toContainEqual(
    expect.stringMatching(
      /^the run was reset by \S+ for "\S+" at \S+ \(reason: from the top; .*\), and \d+ step activities \(record, flaky\) ran after it with no approval signed since: old approvals do not cover a reset run$|^the run refused to go on \(ResetRefused\): Temporal reset this run/,
    ),
  );
});

test("an old paging-check start passed to a scheduledDrill started by hand and run by the insider's own worker: the isolate-vendor-module child fails verify, naming the parent and the statement", async () => {
  const team = `vfy-${suffix}`;
  const drillQueue = `${queue}-drill`;
  // alice's start of an old paging-check run, as event 1 of that run shows it (twenty minutes old).
  const oldStart = signedStart({
    workflowId: `paging-check/${team}`,
    workflowType: 'pagingCheck',
    input: { team },
    by: 'alice',
    now: Date.now() - 20 * 60_000,
  });
  const evilInput = { badVersion: 'C-00000291', goodVersion: 'C-00000666-EVIL', scope: { role: 'kiosk', tags: [team] } };
  const childId = `isolate-vendor-module/kiosk-${team}`;
  const spec = { runbook: 'isolate-vendor-module', input: evilInput, drill: { kind: 'live' }, requestedBy: 'alice', start: oldStart };
  const parentRun = await impostorDrill(drillQueue, `paging-check/${team}`, { ...spec, workflowType: 'isolateVendorModule', childWorkflowId: childId });
  const { worker } = await createTestWorker(ctx, drillQueue);
  await worker.runUntil(async () => {
    await settle(ctx.rawClient.workflow.getHandle(childId), (s) => s.state !== 'running');
    const result = await verify(childId, true);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as VerifyReport;
    const parent = `paging-check/${team} (run ${parentRun}), a scheduledDrill on task queue ${drillQueue}`;
    expect(report.problems).toEqual(
      expect.arrayContaining([
        `this run (isolateVendorModule, runbook isolate-vendor-module) was started by ${parent} with a start statement for runbook paging-check`,
        `this run was started by ${parent} with a start statement that is no drill schedule's authorisation (it names no schedule)`,
        `this run's start statement is for workflow paging-check/${team}, not ${childId}`,
      ]),
    );
    // Twenty minutes old: it had expired when Temporal started the parent, whatever the statement itself says.
    expect(report.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^this run's start statement was valid from \\S+ to \\S+, but Temporal started its parent paging-check/${team} \\(run ${parentRun}\\) at \\S+$`,
        ),
      ),
    );
    const text = (await verify(childId)).stdout;
    expect(text).toContain(`FAILED:\n`);
    expect(text).toContain(
      `  - this run (isolateVendorModule, runbook isolate-vendor-module) was started by ${parent} with a start statement for runbook paging-check\n`,
    );
  });
});

test("a drill schedule's run verifies OK; its authorisation in a scheduledDrill started by hand under the schedule's prefix fails verify", async () => {
  const team = `sched-${suffix}`;
  const scheduleId = `drill/paging-check/${team}`;
  const created = await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', '24h', '--set', `team=${team}`, '--as', 'alice'], env);
  expect(created.code, created.stderr).toBe(0);
  const schedule = ctx.rawClient.schedule.getHandle(scheduleId);
  try {
    expect((await lifeboatInProcess(['drill', 'trigger', scheduleId], env)).code).toBe(0);
    await expect.poll(async () => (await schedule.describe()).info.recentActions.length).toBe(1);
    const taken = (await schedule.describe()).info.recentActions[0]!.action.workflow;
    const parent = ctx.rawClient.workflow.getHandle(taken.workflowId, taken.firstExecutionRunId);
    expect(await parent.result()).toMatchObject({ ran: true, result: { state: 'succeeded' } });
    const honest = await verify(`paging-check/${team}`);
    expect(honest.stdout).toContain('OK: every decision the run counted verifies');
    expect(honest.code).toBe(0);

    // The schedule's authorisation, copied from its drill's input into a scheduledDrill started by hand.
    const first = (await parent.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const spec = ctx.rawClient.options.loadedDataConverter.payloadConverter.fromPayload(first) as Record<string, unknown>;
    const drillQueue = `${queue}-by-hand`;
    const forgedId = `${scheduleId}-by-hand`;
    const forgedRun = await impostorDrill(drillQueue, forgedId, { ...spec, workflowType: 'pagingCheck', childWorkflowId: `paging-check/${team}` });
    const { worker } = await createTestWorker(ctx, drillQueue);
    await worker.runUntil(async () => {
      const child = ctx.rawClient.workflow.getHandle(`paging-check/${team}`);
      await expect.poll(async () => (await child.describe()).taskQueue).toBe(drillQueue);
      await settle(child, (s) => s.state !== 'running');
      const result = await verify(`paging-check/${team}`, true);
      expect(result.code).toBe(1);
      expect((JSON.parse(result.stdout) as VerifyReport).problems).toContain(
        `drill schedule ${scheduleId} did not start ${forgedId} (run ${forgedRun}): it is not among the runs the schedule took, so someone started it by hand`,
      );
    });
  } finally {
    await schedule.delete();
  }
});

test("a child started by the attacker's own workflow under a borrowed workflow ID fails verify, naming the parent's type and task queue", async () => {
  const target = `adopted-${suffix}`;
  const borrowed = `kit-exercise/borrowed-${suffix}`;
  const input = exerciseInput(target);
  // alice's start for the run whose ID the attacker borrows: a delegated start, as far as the child can tell.
  const start = signedStart({ workflowId: borrowed, workflowType: 'kitExercise', input, by: 'alice' });
  const parent = await ctx.rawClient.workflow.start('evilParent', {
    taskQueue: evilQueue,
    workflowId: borrowed,
    args: [{ workflowType: 'kitExercise', taskQueue: queue, workflowId: `kit-exercise/${target}`, request: { input, requestedBy: 'alice', start } }],
  });
  await parent.result();
  const child = ctx.rawClient.workflow.getHandle(`kit-exercise/${target}`);
  await settle(child, (s) => s.state !== 'running');
  const result = await verify(child.workflowId, true);
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout) as VerifyReport;
  expect(report.problems).toContain(
    `this run was started by ${borrowed} (run ${parent.firstExecutionRunId}), a evilParent on task queue ${evilQueue}: only a drill schedule's scheduledDrill or a live drill's regionFailover (starting regionFailback) may start a run`,
  );
});

test("a continue-as-new from the attacker's evilCarry on task queue evil with a hand-written carried state fails verify", async () => {
  const target = `carry-${suffix}`;
  const workflowId = `kit-exercise/${target}`;
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as unknown;
  const at = new Date().toISOString();
  const fakeVote = (by: string) => ({ by, decision: 'approve', at, comment: 'looks fine' });
  const carried = {
    status: {
      requestedBy: 'alice',
      gates: [{ name: 'approve', title: 'Leads approve', status: 'approved', votes: [fakeVote('bob'), fakeVote('carol')] }],
      audit: [
        { at, actor: 'bob', action: 'approve', detail: 'gate approve' },
        { at, actor: 'carol', action: 'approve', detail: 'gate approve' },
      ],
    },
    steps: { 'prepare#1': { result: null }, 'flaky#1': { result: null }, 'gate:approve#1': { result: 'passed' } },
    usedNonces: [],
    roster,
    count: 1,
  };
  const evil = await ctx.rawClient.workflow.start('evilCarry', {
    taskQueue: evilQueue,
    workflowId,
    args: [{ workflowType: 'kitExercise', taskQueue: queue, request: { input: exerciseInput(target), requestedBy: 'alice', carried } }],
  });
  const next = ctx.rawClient.workflow.getHandle(workflowId);
  await expect.poll(async () => (await next.describe()).runId).not.toBe(evil.firstExecutionRunId);
  await settle(next, (s) => s.state !== 'running');
  const result = await verify(workflowId, true);
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout) as VerifyReport;
  const continued = (await next.describe()).runId;
  expect(report.problems).toContain(
    `${workflowId} (run ${continued}) continued from evilCarry on task queue ${evilQueue} (run ${evil.firstExecutionRunId}), not from kitExercise on ${queue}: carried state from another workflow is not evidence`,
  );
});

test('one start statement used for a second run after the first was aborted: the second fails verify, naming the first', async () => {
  const target = `again-${suffix}`;
  const workflowId = `kit-exercise/${target}`;
  const input = exerciseInput(target);
  const start = signedStart({ workflowId, workflowType: 'kitExercise', input, by: 'alice' });
  const startOnce = () => ctx.rawClient.workflow.start('kitExercise', { taskQueue: queue, workflowId, args: [{ input, requestedBy: 'alice', start }] });
  const first = await startOnce();
  expect(await settle(first, (s) => s.state === 'waiting-approval')).not.toBe('closed');
  const abort = await lifeboatInProcess(['abort', workflowId, '--as', 'erin', '--reason', 'wrong target'], env);
  expect(abort.code, abort.stderr).toBe(0);
  expect(((await first.result()) as RunStatus).state).toBe('aborted');

  const second = await startOnce();
  await settle(second, (s) => s.state === 'waiting-approval');
  const result = await verify(workflowId, true);
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout) as VerifyReport;
  const nonce = JSON.parse(start.statement).nonce as string;
  expect(report.problems).toContainEqual(
    expect.stringMatching(
      new RegExp(
        `^its start statement \\(nonce ${nonce}\\) also started run ${first.firstExecutionRunId} at \\S+: a start statement starts one run, so at most one of them is authorised$`,
      ),
    ),
  );
  // The hardened kit refuses the second start itself; otherwise it waits at its gate.
  await ctx.rawClient.workflow
    .getHandle(workflowId)
    .terminate('test over')
    .catch(() => undefined);
});

test('a run terminated halfway with the stock CLI fails verify, naming who terminated it, why, and the step it was in', async () => {
  const target = `terminated-${suffix}`;
  const handle = await startHonest(target, { flakyFailures: 5, nonRetryable: true });
  const stuck = await settle(handle, (s) => s.state === 'needs-intervention');
  expect(stuck).not.toBe('closed');
  const terminated = await temporal(['workflow', 'terminate', '--workflow-id', handle.workflowId, '--reason', 'pulled the plug']);
  expect(terminated.code, terminated.stderr).toBe(0);
  const result = await verify(handle.workflowId);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(
    /FAILED:\n(?: {2}- .*\n)* {2}- the run was terminated by \S.* at \S+ in step (?:activity )?flaky \(reason: pulled the plug\): no signed decision stopped it, and the undos of the steps it had done never ran\n/,
  );
});

/**
 * Starts a `scheduledDrill` with the stock CLI on a task queue that only the insider's worker polls, so their own
 * code runs it (it checks nothing and starts the child it is told to); returns the parent's run ID once it is done.
 * Lifeboat's worker on that queue then runs the child.
 */
async function impostorDrill(taskQueue: string, workflowId: string, spec: object): Promise<string> {
  const impostor = await Worker.create({ connection: ctx.nativeConnection, namespace: ctx.namespace, taskQueue, workflowBundle: evilBundle });
  return impostor.runUntil(async () => {
    const started = await temporal([
      'workflow',
      'start',
      '--type',
      'scheduledDrill',
      '--task-queue',
      taskQueue,
      '--workflow-id',
      workflowId,
      '--input',
      JSON.stringify(spec),
    ]);
    expect(started.code, started.stderr).toBe(0);
    const handle = ctx.rawClient.workflow.getHandle(workflowId);
    await handle.result();
    return (await handle.describe()).runId;
  });
}

test('votes counted against a roster nobody sealed (mallory appended to sre-leads) fail verify given the sealed roster and the trust root', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-verify-roster-'));
  const base = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as { people: Record<string, unknown>[] };
  const mallory = { id: 'mallory', name: 'Mallory', groups: ['sre-leads'], keys: [readFileSync(`${testKeyFile('mallory')}.pub`, 'utf8').trim()] };
  const edited = { ...base, people: [...base.people, mallory] };
  const editedPath = join(dir, 'roster.json');
  writeFileSync(editedPath, JSON.stringify(edited, null, 2));
  // A worker that takes the edited file as it is, as one did before rosters were sealed.
  const editedQueue = `${queue}-edited-roster`;
  const { worker } = await createTestWorker(ctx, editedQueue, { loadRoster: async () => Roster.parse(edited) });
  const workflowId = `kit-exercise/roster-${suffix}`;
  await worker.runUntil(async () => {
    const input = exerciseInput(`roster-${suffix}`);
    const handle = await ctx.rawClient.workflow.start('kitExercise', {
      taskQueue: editedQueue,
      workflowId,
      args: [{ input, requestedBy: 'alice', start: signedStart({ workflowId, workflowType: 'kitExercise', input, by: 'alice' }) }],
    });
    const open = (await settle(handle, (s) => s.state === 'waiting-approval')) as RunStatus;
    for (const who of ['bob', 'mallory']) await handle.signal(approveSignal, signAs(decisionStatement(open, 'approve', who, { gate: 'approve' })));
    const result = (await handle.result()) as RunStatus;
    expect(result.gates[0]!.votes.map((v) => v.by)).toEqual(['bob', 'mallory']);
  });
  const editedDigest = rosterDigest(Roster.parse(edited));
  const sealedDigest = rosterDigest(Roster.parse(JSON.parse(readFileSync(inject('testRosterPath'), 'utf8'))));
  const trustRoot = ['--trust-root', inject('testTrustRootPath')];

  const result = await verify(workflowId, true, ['--roster', inject('testRosterPath'), ...trustRoot]);
  expect(result.code).toBe(1);
  expect((JSON.parse(result.stdout) as VerifyReport).problems).toContainEqual(
    `the run counted decisions against roster ${editedDigest} (loaded at ${(JSON.parse(result.stdout) as VerifyReport).rosters[0]!.at}), which is none of the sealed rosters given (${inject('testRosterPath')}: ${sealedDigest}): a roster its admins did not sign counts no vote`,
  );
  // The edited file itself, offered as the roster: nobody sealed it.
  const unsealed = await verify(workflowId, false, ['--roster', editedPath, ...trustRoot]);
  expect(unsealed.code).toBe(1);
  expect(unsealed.stdout).toContain(
    `  - the roster ${editedPath} given with --roster is not sealed: the roster ${editedDigest} is signed by 0 of the 2 roster admins it needs`,
  );
  // One flag without the other is a usage error.
  const alone = await verify(workflowId, false, ['--roster', editedPath]);
  expect(alone.code).toBe(2);
  expect(alone.stderr).toContain('--roster needs --trust-root FILE');
});

test('a reset run verifies only when every step after the reset follows an approval signed after it: a reapplied old approval does not count', async () => {
  const at = (second: number) => ({ seconds: second, nanos: 0 });
  const events = [
    {
      eventTime: at(0),
      workflowExecutionStartedEventAttributes: { workflowType: { name: 'kitExercise' }, taskQueue: { name: 'lifeboat' }, firstExecutionRunId: 'run-1' },
    },
    { eventTime: at(1), activityTaskScheduledEventAttributes: { activityType: { name: 'loadRoster' } } },
    { eventTime: at(2), activityTaskScheduledEventAttributes: { activityType: { name: 'record' } } },
    {
      eventTime: at(10),
      workflowTaskFailedEventAttributes: {
        cause: 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW',
        identity: 'history-service',
        failure: { message: 'mallory: once more' },
        baseRunId: 'run-1',
        newRunId: 'run-2',
      },
    },
    // The approval reapplied after the reset point, and one made after it.
    { eventTime: at(11), workflowExecutionSignaledEventAttributes: { signalName: 'approve' } },
    { eventTime: at(12), workflowExecutionSignaledEventAttributes: { signalName: 'approve' } },
    { eventTime: at(13), activityTaskScheduledEventAttributes: { activityType: { name: 'record' } } },
  ].map((event, i) => ({ eventId: i + 1, ...event }));
  const lifecycle = await readLifecycle({ events } as unknown as Parameters<typeof readLifecycle>[0], async () => []);
  expect(lifecycle.resets).toEqual([
    { eventId: 4, at: '1970-01-01T00:00:10.000Z', identity: 'history-service', user: 'mallory', reason: 'once more', baseRunId: 'run-1', newRunId: 'run-2' },
  ]);
  const approval = (eventId: number, issuedAt: string) => ({
    decision: { eventId, kind: 'approve', verified: true, counted: true } as CheckedDecision,
    issuedAt,
  });
  const check = (approvals: ReturnType<typeof approval>[]) =>
    checkResets(
      lifecycle,
      approvals.map((a) => a.decision),
      (d) => approvals.find((a) => a.decision === d)?.issuedAt,
    );
  const said = 'the run was reset by history-service for "mallory" at 1970-01-01T00:00:10.000Z (reason: once more; from run run-1, event 4)';
  const failed = [`${said}, and 1 step activity (record) ran after it with no approval signed since: old approvals do not cover a reset run`];
  expect(check([])).toEqual({ notes: [`this run was ${said.slice('the run was '.length)}`], problems: failed });
  // Reapplied by the reset: the signal event is after it, but the approval was signed before.
  expect(check([approval(5, '1970-01-01T00:00:05.000Z')]).problems).toEqual(failed);
  expect(check([approval(6, '1970-01-01T00:00:11.500Z')]).problems).toEqual([]);
  // The run's own status: a gate that passed after the reset counting carol's approval from before it.
  const gate = {
    name: 'approve',
    status: 'approved',
    decidedAt: '1970-01-01T00:00:12.000Z',
    votes: [{ by: 'carol', decision: 'approve', verified: { nonce: 'carols-old-nonce' } }],
  };
  const withGate = checkResets(lifecycle, [], () => undefined, {
    gates: [gate] as unknown as GateRecord[],
    signedAtOfNonce: (nonce) => (nonce === 'carols-old-nonce' ? '1970-01-01T00:00:03.000Z' : undefined),
  });
  expect(withGate.problems).toContain(
    `${said}, and gate approve passed after it counting carol's approval signed at 1970-01-01T00:00:03.000Z, before the reset: old approvals do not cover a reset run`,
  );
});

test("a live drill's failback is checked against its real parent: the failover's own live-drill start, for the same service, on the same task queue", async () => {
  const input = { service: 'booking', mode: 'planned' };
  const start = signedStart({ workflowId: 'region-failover/booking', workflowType: 'regionFailover', input, by: 'alice', drill: 'live' });
  const lifecycleOf = (fields: Partial<RunLifecycle>): RunLifecycle => ({
    workflowId: 'region-failover/booking',
    workflowType: 'regionFailover',
    taskQueue: 'lifeboat',
    startedAt: new Date().toISOString(),
    firstExecutionRunId: 'failover-1',
    originalExecutionRunId: 'failover-1',
    request: { input, requestedBy: 'alice', drill: { kind: 'live' }, start },
    resets: [],
    activities: [],
    ...fields,
  });
  const failback = (request: object, parentRun = 'failover-1') =>
    lifecycleOf({
      workflowId: 'region-failback/booking',
      workflowType: 'regionFailback',
      firstExecutionRunId: 'failback-1',
      originalExecutionRunId: 'failback-1',
      parent: { workflowId: 'region-failover/booking', runId: parentRun },
      request: { input: { service: 'booking', source: 'B', target: 'A' }, requestedBy: 'alice', drill: { kind: 'live' }, start, ...request },
    });
  const parents: Record<string, RunLifecycle> = {
    'failover-1': lifecycleOf({}),
    'elsewhere-1': lifecycleOf({ taskQueue: 'evil' }),
    'isolated-1': lifecycleOf({ request: { input, requestedBy: 'alice', drill: { kind: 'isolated' }, start } }),
    'yesterday-1': lifecycleOf({ startedAt: new Date(Date.now() - 24 * 3600_000).toISOString() }),
  };
  const lookups = { run: async (_: string, runId: string) => parents[runId]!, scheduleActions: async () => undefined };
  const runbookOf = (type: string) => Object.values(runbooks).find((r) => r.workflowType === type)?.id;

  expect(await checkDelegation(failback({}), lookups, runbookOf)).toEqual({ notes: [], problems: [] });
  expect((await checkDelegation(failback({}, 'elsewhere-1'), lookups, runbookOf)).problems).toEqual([
    "this run was started by region-failover/booking (run failover-1), a regionFailover on task queue evil, not on the task queue lifeboat that this run runs on: that is not Lifeboat's worker",
  ]);
  expect((await checkDelegation(failback({ input: { service: 'payments', source: 'B', target: 'A' } }), lookups, runbookOf)).problems).toEqual([
    'this run fails back service payments, but its parent failed over booking',
  ]);
  expect((await checkDelegation(failback({ drill: { kind: 'isolated' } }, 'isolated-1'), lookups, runbookOf)).problems).toEqual([
    'this run is a failback started by region-failover/booking (run failover-1), a regionFailover on task queue lifeboat, but only a live drill starts its own failback (statement drill live, parent drill isolated, this drill isolated)',
  ]);
  expect((await checkDelegation(failback({}, 'yesterday-1'), lookups, runbookOf)).problems).toEqual([
    expect.stringMatching(
      /^this run's start statement was valid from \S+ to \S+, but Temporal started its parent region-failover\/booking \(run failover-1\) at \S+$/,
    ),
  ]);
  // alice's start of another failover, passed to this failback: not the start its parent was given.
  const other = signedStart({ workflowId: 'region-failover/booking', workflowType: 'regionFailover', input, by: 'alice', drill: 'live' });
  expect((await checkDelegation(failback({ start: other }), lookups, runbookOf)).problems).toEqual([
    "this run's signed start is not the one its parent region-failover/booking (run failover-1) was started with",
  ]);
});
