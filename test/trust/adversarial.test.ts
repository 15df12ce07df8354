import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import { sealTestRoster } from '../helpers/roster-seal';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { type RunResult, type RunStatus, statusQuery } from '../../kit';
import { parsePublicKeyLine, type SignedDecision, Statement, statementText } from '../../kit/trust';
import { lifeboatInProcess, temporalCli, type CliResult } from '../helpers/cli';
import { decisionStatement, signAs, signedStart, testKeyFile } from '../helpers/signing';
import { connectToTestServer, createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * Every way we could think of to move a run without a person's signed say-so, tried through the real `lifeboat`
 * CLI and the stock `temporal` CLI against one worker. Each is refused with a reason, counts no vote and moves no
 * step. The last test shows the honest path (print, sign with ssh-keygen, submit) still works.
 */

let ctx: TemporalTestContext;
let worker: Worker;
let running: Promise<void>;
let effects: { target: string; action: string }[];
let dir: string;
/** The private key that replaced bob's in the rotated roster. */
let bobsNewKey: string;
const suffix = randomUUID().slice(0, 8);
const taskQueue = `adversarial-${suffix}`;
/** Roster groups that stand for a paging-check team: alice and erin are in both. */
const teams = { requester: `adv-team-${suffix}`, drill: `adv-drill-${suffix}` };
/** The run most cases attack: a kit exercise waiting at gate `approve` for 2 of sre-leads (bob, carol). */
const gated = { runId: `kit-exercise/adv-${suffix}`, target: `adv-${suffix}` };
let env: Record<string, string>;

beforeAll(async () => {
  ctx = await connectToTestServer();
  env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-adversarial-'));
  const base = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as {
    groups: Record<string, string>;
    people: { id: string; groups: string[]; keys: string[] }[];
  };
  for (const team of Object.values(teams)) {
    base.groups[team] = 'a paging-check team of this test';
    for (const person of base.people) if (person.id === 'alice' || person.id === 'erin') person.groups.push(team);
  }
  const mainRoster = join(dir, 'roster.json');
  writeFileSync(mainRoster, JSON.stringify(base));
  // The same roster after bob replaced his key: his old one (in the test keys folder) no longer proves anything.
  const rotated = await generateEd25519KeyPair(dir, 'bob-new');
  bobsNewKey = rotated.privateKeyPath;
  const rotatedRoster = join(dir, 'roster-rotated.json');
  writeFileSync(rotatedRoster, JSON.stringify({ ...base, people: base.people.map((p) => (p.id === 'bob' ? { ...p, keys: [rotated.publicKeyLine] } : p)) }));
  await Promise.all([sealTestRoster(mainRoster), sealTestRoster(rotatedRoster)]);
  const rosters = { main: createRosterActivities({ rosterPath: mainRoster }), rotated: createRosterActivities({ rosterPath: rotatedRoster }) };
  const made = await createTestWorker(ctx, taskQueue, {
    // One worker for the file; runs whose workflow ID says "rotated-" read the roster where bob's key was replaced.
    loadRoster: () => ((Context.current().info.workflowExecution?.workflowId ?? '').includes('/rotated-') ? rosters.rotated : rosters.main).loadRoster(),
  });
  worker = made.worker;
  effects = made.effects;
  running = worker.run();
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: gated.runId,
    args: [{ input: { target: gated.target, quorum: 2 }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await ctx?.close();
});

/** Runs the stock `temporal` CLI against the test server. */
/** The stock `temporal` CLI, in the default namespace this file's runs are in. */
function temporal(args: string[]): Promise<CliResult> {
  return temporalCli(args, ctx.address);
}

/** `ssh-keygen -Y sign -n lifeboat -f <who's key> file`, as a person signs a printed statement by hand. */
function sshSign(who: string, file: string, keyFile = testKeyFile(who)): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-Y', 'sign', '-n', 'lifeboat', '-f', keyFile, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(`${file}.sig`) : reject(new Error(`ssh-keygen failed: ${stderr}`))));
  });
}

/** Writes a signed decision as the two files `--statement` and `--signature` take. */
function writeSigned(name: string, signed: SignedDecision): string[] {
  const statement = join(dir, `${name}.json`);
  writeFileSync(statement, signed.statement);
  writeFileSync(`${statement}.sig`, signed.signature);
  return ['--statement', statement, '--signature', `${statement}.sig`];
}

function handleOf(runId: string): WorkflowHandle {
  return ctx.rawClient.workflow.getHandle(runId);
}

function statusOf(runId: string): Promise<RunStatus> {
  return handleOf(runId).query(statusQuery);
}

async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const parsed = parsePublicKeyLine(readFileSync(publicKeyFile, 'utf8').trim());
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.key.fingerprint;
}

/** Nothing moved: the same state and steps, no new vote, and the gated step never ran. */
function expectUnmoved(before: RunStatus, after: RunStatus, target: string): void {
  expect(after.state).toBe(before.state);
  expect(after.steps.map((s) => [s.name, s.status])).toEqual(before.steps.map((s) => [s.name, s.status]));
  expect(after.gates.map((g) => [g.name, g.status, g.votes.length])).toEqual(before.gates.map((g) => [g.name, g.status, g.votes.length]));
  expect(after.abortRequested).toBeUndefined();
  expect(effects.filter((e) => e.target === target).map((e) => e.action)).not.toContain('apply');
}

/** A decision through `lifeboat` that the run refuses: exit 1, the reason on stderr, and (an update) nothing recorded. */
async function refusedByCli(runId: string, args: string[], reason: string | RegExp, target = gated.target): Promise<void> {
  const before = await statusOf(runId);
  const result = await lifeboatInProcess(args, env);
  expect(result.stdout).toBe('');
  if (typeof reason === 'string') expect(result.stderr).toBe(`error: refused: ${reason}\n`);
  else expect(result.stderr).toMatch(reason);
  expect(result.code).toBe(1);
  const after = await statusOf(runId);
  expect(after.refused?.count).toBe(before.refused?.count);
  expect(after.audit).toHaveLength(before.audit.length);
  expectUnmoved(before, after, target);
}

/** A signal through the stock CLI that the server takes and the run refuses: one `<name>-refused` audit line and the count. */
async function refusedSignal(runId: string, name: string, input: unknown, reason: string | RegExp, target = gated.target): Promise<RunStatus> {
  const before = await statusOf(runId);
  const sent = await temporal(['workflow', 'signal', '--workflow-id', runId, '--name', name, '--input', JSON.stringify(input)]);
  expect(sent.stderr).toBe('');
  expect(sent.code).toBe(0);
  const after = await waitForStatus(handleOf(runId), (s) => (s.refused?.count ?? 0) > (before.refused?.count ?? 0));
  expect(after.refused!.count).toBe((before.refused?.count ?? 0) + 1);
  const added = after.audit.slice(before.audit.length);
  expect(added).toHaveLength(1);
  expect(added[0]!.action).toBe(`${name}-refused`);
  if (typeof reason === 'string') expect(added[0]!.detail).toBe(reason);
  else expect(added[0]!.detail).toMatch(reason);
  expectUnmoved(before, after, target);
  return after;
}

test('an unsigned approve from the stock CLI is taken by the server and refused by the run', async () => {
  const after = await refusedSignal(
    gated.runId,
    'approve',
    { by: 'bob' },
    /^not a signed decision \(statement: .*\); sign it with lifeboat or ssh-keygen -Y sign -n lifeboat$/,
  );
  // The refusal is audited under the name the message claimed, which proves nothing (the action says it was refused).
  expect(after.audit.at(-1)).toMatchObject({ actor: 'bob', action: 'approve-refused' });
  expect(after.refused!.lastBy).toBe('bob');
});

test("a name signed with someone else's key is refused: carol's key for bob, and mallory's, who is in no roster", async () => {
  const carols = await fingerprintOf(`${testKeyFile('carol')}.pub`);
  await refusedByCli(
    gated.runId,
    ['approve', gated.runId, '--as', 'bob', '--key', testKeyFile('carol')],
    `the signing key ${carols} is not one of bob's keys in the roster`,
  );
  const mallorys = await fingerprintOf(`${testKeyFile('mallory')}.pub`);
  await refusedByCli(
    gated.runId,
    ['approve', gated.runId, '--as', 'bob', '--key', testKeyFile('mallory')],
    `the signing key ${mallorys} is not one of bob's keys in the roster`,
  );
});

test('a vote for another gate, and an approval sent as a rejection, are refused', async () => {
  await refusedByCli(gated.runId, ['approve', gated.runId, '--as', 'bob', '--gate', 'promote'], 'gate "promote" is not open; the open gate is "approve"');
  // bob prints an approval and signs it; someone sends it as a rejection, as an update and as a signal.
  const printed = await lifeboatInProcess(['approve', gated.runId, '--as', 'bob', '--print-statement'], env);
  expect(printed.code).toBe(0);
  const file = join(dir, 'bob-approve-as-reject.json');
  writeFileSync(file, printed.stdout);
  const sig = await sshSign('bob', file);
  await refusedByCli(gated.runId, ['reject', gated.runId, '--statement', file, '--signature', sig], 'the statement is for "approve", not reject');
  await refusedSignal(gated.runId, 'reject', { statement: printed.stdout, signature: readFileSync(sig, 'utf8') }, 'the statement is for "approve", not reject');
  expect((await statusOf(gated.runId)).gates[0]!.status).toBe('open');
});

test('an expired statement and a statement altered after signing are refused', async () => {
  const open = await statusOf(gated.runId);
  const now = Date.now();
  const expired = decisionStatement(open, 'approve', 'bob', { gate: 'approve' }, now - 10 * 60_000);
  expect(Date.parse(expired.expiresAt)).toBeLessThan(now);
  await refusedByCli(
    gated.runId,
    ['approve', gated.runId, ...writeSigned('expired', signAs(expired))],
    `the statement expired at ${expired.expiresAt}; sign a new one`,
  );

  const honest = decisionStatement(open, 'approve', 'bob', { gate: 'approve', comment: 'standby lag 0' });
  const signed = signAs(honest);
  const altered: Statement = { ...honest, body: { ...honest.body, comment: 'standby lag 0; also skip verification' } };
  await refusedByCli(
    gated.runId,
    ['approve', gated.runId, ...writeSigned('altered', { statement: statementText(altered), signature: signed.signature })],
    'bad signature: signature does not match',
  );
});

test('an operator action from someone without the role is refused', async () => {
  await refusedByCli(
    gated.runId,
    ['abort', gated.runId, '--as', 'dave', '--reason', 'not my call'],
    'dave may not abort runs of kit-exercise: it needs group sre-leads or group sre-oncall',
  );
  // The same through the stock CLI as a signed signal: audited as refused, and the run goes on.
  const open = await statusOf(gated.runId);
  await refusedSignal(
    gated.runId,
    'intervene',
    signAs(decisionStatement(open, 'abort', 'dave', { reason: 'not my call' })),
    'dave may not abort runs of kit-exercise: it needs group sre-leads or group sre-oncall',
  );
});

test('nobody can speak as the system: by "lifeboat" unsigned, or in a statement signed by a real key, is refused', async () => {
  await refusedSignal(gated.runId, 'approve', { by: 'lifeboat' }, /^not a signed decision/);
  const open = await statusOf(gated.runId);
  const claim = signAs(decisionStatement(open, 'approve', 'lifeboat', { gate: 'approve' }), 'bob');
  await refusedByCli(gated.runId, ['approve', gated.runId, ...writeSigned('as-lifeboat', claim)], '"lifeboat" is reserved for the system');
  const after = await refusedSignal(gated.runId, 'approve', claim, '"lifeboat" is reserved for the system');
  expect(after.audit.filter((a) => a.actor === 'lifeboat' && a.action === 'approved')).toEqual([]);
  expect(after.gates[0]!.votes).toEqual([]);
});

test('a statement for another run, or for an earlier run under the same workflow ID, is refused', async () => {
  const runId = `kit-exercise/adv-later-${suffix}`;
  const target = `adv-later-${suffix}`;
  const first = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
  });
  const firstOpen = await waitForStatus(first, (s) => s.state === 'waiting-approval');
  // bob signs an approval for the first run, which never reaches it; the run is aborted instead.
  const forFirst = signAs(decisionStatement(firstOpen, 'approve', 'bob', { gate: 'approve' }));
  const aborted = await lifeboatInProcess(['abort', runId, '--as', 'alice', '--reason', 'wrong window'], env);
  expect(aborted.code).toBe(0);
  expect(((await first.result()) as RunResult).state).toBe('aborted');

  const second = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
  });
  const secondOpen = await waitForStatus(second, (s) => s.state === 'waiting-approval');
  expect(secondOpen.trust!.temporalRunId).not.toBe(firstOpen.trust!.temporalRunId);
  await refusedByCli(
    runId,
    ['approve', runId, ...writeSigned('earlier-run', forFirst)],
    `the statement is for run ${firstOpen.trust!.temporalRunId}, not this run ${secondOpen.trust!.temporalRunId}`,
    target,
  );
  const forGated = signAs(decisionStatement(await statusOf(gated.runId), 'approve', 'bob', { gate: 'approve' }));
  await refusedByCli(runId, ['approve', runId, ...writeSigned('other-run', forGated)], `the statement is for ${gated.runId}, not ${runId}`, target);
  await refusedSignal(
    runId,
    'approve',
    forFirst,
    `the statement is for run ${firstOpen.trust!.temporalRunId}, not this run ${secondOpen.trust!.temporalRunId}`,
    target,
  );
  await second.terminate('adversarial test done');
});

test('a key removed from the roster is refused; the key that replaced it counts', async () => {
  const runId = `kit-exercise/rotated-${suffix}`;
  const target = `rotated-${suffix}`;
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  const old = await fingerprintOf(`${testKeyFile('bob')}.pub`);
  await refusedByCli(runId, ['approve', runId, '--as', 'bob'], `the signing key ${old} is not one of bob's keys in the roster`, target);
  const approved = await lifeboatInProcess(['approve', runId, '--as', 'bob', '--key', bobsNewKey, '--json'], env);
  expect(approved.stderr).toBe('');
  expect(JSON.parse(approved.stdout)).toMatchObject({ by: 'bob', status: 'approved' });
  const result = (await handle.result()) as RunResult;
  expect(result.state).toBe('succeeded');
  expect(result.gates[0]!.votes[0]!.verified!.fingerprint).toBe(await fingerprintOf(`${bobsNewKey}.pub`));
});

test('the requester cannot approve their own run under a name that differs only by case', async () => {
  const runId = `paging-check/${teams.requester}`;
  const started = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.requester}`, '--as', 'erin'], env);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  const open = await waitForStatus(handleOf(runId), (s) => s.state === 'waiting-approval');
  expect(open.requestedBy).toBe('erin');
  expect(open.gates[0]!.eligible).toEqual(['alice']);
  await refusedByCli(runId, ['approve', runId, '--as', 'Erin'], 'erin started this run and may not approve its gates; ask alice', teams.requester);
  // Signed as "Erin" with erin's own key: not a roster id, so not a way around the rule.
  await refusedSignal(
    runId,
    'approve',
    signAs(decisionStatement(open, 'approve', 'Erin', { gate: 'acknowledge' }), 'erin'),
    '"Erin" is not a roster id; sign as your roster id (ids are lower case)',
    teams.requester,
  );
  const after = await statusOf(runId);
  expect(after.steps.map((s) => s.name)).not.toContain('allClear');
  const alice = await lifeboatInProcess(['approve', runId, '--as', 'alice'], env);
  expect(alice.code).toBe(0);
  expect(((await handleOf(runId).result()) as RunResult).gates[0]!.votes.map((v) => v.by)).toEqual(['alice']);
  // A catalog runbook's start is checked for its runbook and drill too; this one verifies.
  const verified = await lifeboatInProcess(['verify', runId], env);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toMatch(/start +start +erin +runbook paging-check +SHA256:\S+ +sha256:[0-9a-f]{12} +VERIFIED\n/);
});

test('approvers is not an input: the CLI refuses it (exit 2), and a signed stock start with it fails the run, saying why', async () => {
  const input = { reason: 'database down', incident: 'INC-7', stations: ['ATL-T1-03'], approvers: 'sre-oncall' };
  const cli = await lifeboatInProcess(
    [
      'run',
      'manual-booking-mode',
      '--set',
      'approvers=sre-oncall',
      '--set',
      `reason=${input.reason}`,
      '--set',
      `incident=${input.incident}`,
      '--set',
      'stations=ATL-T1-03',
      '--as',
      'alice',
    ],
    env,
  );
  expect(cli.code).toBe(2);
  expect(cli.stdout).toBe('');
  // The CLI's own check of unknown fields answers first; the workflow's explanation follows below.
  expect(cli.stderr).toMatch(
    /^error: manual-booking-mode: approvers is not an input: who approves comes from the runbook definition and the roster, so a run cannot choose its own approvers; remove it\n  fix: drop --set approvers=/,
  );

  const workflowId = `manual-booking-mode/adv-${suffix}`;
  const start = signedStart({ workflowId, workflowType: 'manualBookingMode', input, by: 'alice' });
  const stock = await temporal([
    'workflow',
    'start',
    '--type',
    'manualBookingMode',
    '--task-queue',
    taskQueue,
    '--workflow-id',
    workflowId,
    '--input',
    JSON.stringify({ input, requestedBy: 'alice', start }),
  ]);
  expect(stock.code).toBe(0);
  const failure = await handleOf(workflowId)
    .result()
    .catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect(((failure as WorkflowFailedError).cause as Error).message).toBe(
    'Invalid input for manual-booking-mode:\n✖ approvers is not an input: who approves comes from the runbook definition and the roster, so a run cannot choose its own approvers; remove it\n  → at approvers',
  );
});

test('a live drill waits for people: approval by policy is refused by the CLI (exit 2) and by the workflow', async () => {
  const runId = `paging-check/${teams.drill}`;
  const policy = await lifeboatInProcess(
    ['run', 'paging-check', '--set', `team=${teams.drill}`, '--drill', 'live', '--drill-approvals', 'policy', '--as', 'alice'],
    env,
  );
  expect(policy.code).toBe(2);
  expect(policy.stderr).toContain('a live drill moves production, so its gates need people: drop --drill-approvals policy, or use --drill isolated');

  const live = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.drill}`, '--drill', 'live', '--as', 'alice'], env);
  expect(live.code).toBe(0);
  const waiting = await waitForStatus(handleOf(runId), (s) => s.state === 'waiting-approval');
  expect(waiting.drill).toEqual({ kind: 'live', approvals: 'people' });
  expect(waiting.gates[0]).toMatchObject({ name: 'acknowledge', status: 'open', votes: [] });
  expect(waiting.audit.filter((a) => a.actor === 'drill-policy')).toEqual([]);
  await handleOf(runId).terminate('adversarial test done');

  // The stock CLI cannot ask for it either, even with a valid signed start.
  const workflowId = `paging-check/${teams.drill}-stock`;
  const input = { team: teams.drill };
  const start = signedStart({ workflowId, workflowType: 'pagingCheck', input, by: 'alice', drill: 'live' });
  const request = { input, requestedBy: 'alice', drill: { kind: 'live', approvals: 'policy' }, start };
  expect(
    (await temporal(['workflow', 'start', '--type', 'pagingCheck', '--task-queue', taskQueue, '--workflow-id', workflowId, '--input', JSON.stringify(request)]))
      .code,
  ).toBe(0);
  const failure = await handleOf(workflowId)
    .result()
    .catch((err: unknown) => err);
  expect(((failure as WorkflowFailedError).cause as Error).message).toBe(
    'a live drill moves production, so its gates need people: drop drill.approvals=policy (or run an isolated drill)',
  );
});

test('print, sign with ssh-keygen, submit: counts once for bob through lifeboat and for carol through the stock CLI; a replay is refused', async () => {
  const bobFile = join(dir, 'bob.json');
  const printed = await lifeboatInProcess(['approve', gated.runId, '--as', 'bob', '--comment', 'signed by hand', '--print-statement'], env);
  expect(printed.code).toBe(0);
  expect(printed.stderr).toContain('ssh-keygen -Y sign -n lifeboat');
  writeFileSync(bobFile, printed.stdout);
  const bobSig = await sshSign('bob', bobFile);
  const counted = await lifeboatInProcess(['approve', gated.runId, '--statement', bobFile, '--signature', bobSig], env);
  expect(counted.stderr).toBe('');
  expect(counted.stdout).toBe(`bob approved gate approve of ${gated.runId}: 1/2 approvals, still waiting for more\n`);
  // The same signed approval again: through lifeboat, and through the stock CLI.
  await refusedByCli(
    gated.runId,
    ['approve', gated.runId, '--statement', bobFile, '--signature', bobSig],
    'this signed decision was already used; sign a new one',
  );
  await refusedSignal(
    gated.runId,
    'approve',
    { statement: printed.stdout, signature: readFileSync(bobSig, 'utf8') },
    'this signed decision was already used; sign a new one',
  );

  const carolFile = join(dir, 'carol.json');
  const carolPrinted = await lifeboatInProcess(['approve', gated.runId, '--as', 'carol', '--print-statement'], env);
  writeFileSync(carolFile, carolPrinted.stdout);
  const carolSig = await sshSign('carol', carolFile);
  const sent = await temporal([
    'workflow',
    'signal',
    '--workflow-id',
    gated.runId,
    '--name',
    'approve',
    '--input',
    JSON.stringify({ statement: readFileSync(carolFile, 'utf8'), signature: readFileSync(carolSig, 'utf8') }),
  ]);
  expect(sent.code).toBe(0);
  const result = (await handleOf(gated.runId).result()) as RunResult;
  expect(result.state).toBe('succeeded');
  expect(result.gates[0]!.votes.map((v) => [v.by, v.comment, v.verified?.fingerprint])).toEqual([
    ['bob', 'signed by hand', await fingerprintOf(`${testKeyFile('bob')}.pub`)],
    ['carol', undefined, await fingerprintOf(`${testKeyFile('carol')}.pub`)],
  ]);
  expect(effects.filter((e) => e.target === gated.target).map((e) => e.action)).toEqual(['prepare', 'apply', 'verify']);
  // Everything thrown at this run left its mark only as refusals; what counted verifies from the history alone.
  expect(result.audit.filter((a) => a.action.endsWith('-refused')).length).toBe(result.refused!.count);
  const verified = await lifeboatInProcess(['verify', gated.runId, '--json'], env);
  expect(verified.code).toBe(0);
  const report = JSON.parse(verified.stdout) as { ok: boolean; decisions: { signer: string; kind?: string; result: string }[] };
  expect(report.decisions.filter((d) => d.result === 'verified').map((d) => d.signer)).toEqual(['alice', 'bob', 'carol']);
  // dave's abort is his, signed with his key, and was refused for want of the role; every other stray did not verify.
  expect(report.decisions.filter((d) => d.result === 'not-counted').map((d) => [d.signer, d.kind])).toEqual([['dave', 'abort']]);
  expect(report.decisions.filter((d) => !['verified', 'not-counted'].includes(d.result)).map((d) => d.result)).toEqual([
    'refused', // {"by":"bob"}
    'refused', // bob's approval sent as a rejection
    'refused', // {"by":"lifeboat"}
    'refused', // a statement claiming lifeboat
    'replayed', // bob's approval sent again
  ]);
});

test('a forged copy of a real signature, handled in the same workflow task just before the real decision, does not get the real one refused', async () => {
  // Its own worker, stopped while both messages arrive, so the run handles them in one workflow task.
  const ownQueue = `adversarial-cache-${suffix}`;
  const runId = `kit-exercise/adv-cache-${suffix}`;
  const first = await createTestWorker(ctx, ownQueue);
  const open = await first.worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue: ownQueue,
      workflowId: runId,
      args: [{ input: { target: `adv-cache-${suffix}`, quorum: 1 }, requestedBy: 'alice' }],
    });
    return waitForStatus(handle, (s) => s.state === 'waiting-approval');
  });
  const real = signAs(decisionStatement(open, 'approve', 'bob', { gate: 'approve', comment: 'go' }));
  const statement = Statement.parse(JSON.parse(real.statement));
  const forged = { statement: statementText({ ...statement, body: { ...statement.body, comment: 'go, and skip the checks' } }), signature: real.signature };
  await handleOf(runId).signal('approve', forged);
  await handleOf(runId).signal('approve', real);
  const second = await createTestWorker(ctx, ownQueue);
  try {
    await second.worker.runUntil(async () => {
      const after = await waitForStatus(handleOf(runId), (s) => (s.refused?.count ?? 0) + (s.gates[0]?.votes.length ?? 0) >= 2);
      expect(after.audit.filter((a) => a.action === 'approve-refused').map((a) => a.detail)).toContain('bad signature: signature does not match');
      // verify tells the two apart: the forged copy does not verify, bob's approval does.
      const verified = await lifeboatInProcess(['verify', runId, '--json'], { ...env, LIFEBOAT_TASK_QUEUE: ownQueue });
      const rows = (JSON.parse(verified.stdout) as { decisions: { message: string; verified: boolean; reason?: string }[] }).decisions.filter(
        (d) => d.message === 'approve',
      );
      expect(rows.map((d) => [d.verified, d.reason])).toEqual([
        [false, 'bad signature: signature does not match'],
        [true, undefined],
      ]);
      // The forged copy arrived first in the same workflow task; its verdict must not be reused for bob's real approval.
      expect(after.gates[0]!.votes.map((v) => v.by)).toEqual(['bob']);
    });
  } finally {
    await handleOf(runId)
      .terminate('adversarial test done')
      .catch(() => undefined);
  }
});
