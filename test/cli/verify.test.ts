import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requireTemporalCli } from '../../dev/temporal-binaries';
import { approveSignal, type RunResult, statusQuery } from '../../kit';
import { Statement, statementText } from '../../kit/trust';
import type { CheckedDecision, VerifyReport } from '../../cli/verify/check';
import { readRunHistory } from '../../cli/verify/history-decisions';
import { lifeboatInProcess } from '../helpers/cli';
import { decisionStatement, signAs, testKeyFile } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
let dir: string;
beforeAll(async () => {
  ctx = await connectToTestServer();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-verify-'));
});
afterAll(async () => ctx?.close());

/** The fingerprint `ssh-keygen -lf` prints for a test person's public key. */
function fingerprintOf(who: string): string {
  return execFileSync('ssh-keygen', ['-lf', `${testKeyFile(who)}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
}

interface HistoryJson {
  events: Record<string, unknown>[];
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };

/** The first argument payload of a decision message in a history JSON: a signal's, or an accepted update's. */
function argPayloadOf(event: Record<string, unknown>): JsonPayload | undefined {
  const signal = event.workflowExecutionSignaledEventAttributes as { input?: { payloads?: JsonPayload[] } } | undefined;
  const update = event.workflowExecutionUpdateAcceptedEventAttributes as { acceptedRequest?: { input?: { args?: { payloads?: JsonPayload[] } } } } | undefined;
  return signal?.input?.payloads?.[0] ?? update?.acceptedRequest?.input?.args?.payloads?.[0];
}

function decodeJsonPayload(payload: JsonPayload): { statement?: string; signature?: string } {
  return JSON.parse(Buffer.from(payload.data!, 'base64').toString('utf8')) as { statement?: string; signature?: string };
}

/** The event whose decision carries this nonce. */
function eventWithNonce(history: HistoryJson, nonce: string): Record<string, unknown> {
  const found = history.events.filter((e) => {
    const payload = argPayloadOf(e);
    return payload !== undefined && (decodeJsonPayload(payload).statement ?? '').includes(`"nonce":"${nonce}"`);
  });
  expect(found).toHaveLength(1);
  return found[0]!;
}

const rowsOf = (report: VerifyReport, signer: string) => report.decisions.filter((d: CheckedDecision) => d.signer === signer);

test("a signed run verifies from its history: the start and the votes with their signers' fingerprints, forgeries and a replay shown as refused; a tampered history fails", async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue);
  const runId = `kit-exercise/verify-${taskQueue}`;
  const run = await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { target: `verify-${taskQueue}` }, requestedBy: 'alice' }],
    });
    const open = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    // Forgeries on the signal path, which the run records as refused: unsigned, and mallory's key claiming bob.
    await ctx.rawClient.workflow.getHandle(runId).signal(approveSignal, { by: 'bob' });
    await ctx.rawClient.workflow.getHandle(runId).signal(approveSignal, signAs(decisionStatement(open, 'approve', 'bob', { gate: 'approve' }), 'mallory'));
    // bob through the CLI (an update), carol as a signed signal.
    const bob = await lifeboatInProcess(['approve', runId, '--as', 'bob', '--comment', 'lag is zero'], env);
    expect(bob.stderr).toBe('');
    expect(bob.code).toBe(0);
    const afterBob = await handle.query(statusQuery);
    const bobsNonce = afterBob.gates[0]!.votes[0]!.verified!.nonce;
    const carol = signAs(decisionStatement(afterBob, 'approve', 'carol', { gate: 'approve', comment: 'checked the standby' }));
    await ctx.rawClient.workflow.getHandle(runId).signal(approveSignal, carol);
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    expect(result.refused?.count).toBe(2);
    return { handle, bobsNonce, carolsNonce: result.gates[0]!.votes[1]!.verified!.nonce };
  });

  const verified = await lifeboatInProcess(['verify', runId], env);
  expect(verified.stderr).toBe('');
  expect(verified.code).toBe(0);
  const text = verified.stdout;
  expect(text).toContain(`${runId} (Temporal run ${run.handle.firstExecutionRunId}, namespace default)`);
  expect(text).toMatch(new RegExp(`start +start +alice +runbook kit-exercise +${escape(fingerprintOf('alice'))} +sha256:[0-9a-f]{12} +VERIFIED\\n`));
  expect(text).toMatch(
    new RegExp(`approve-update \\(update\\) +approve +bob +gate approve +${escape(fingerprintOf('bob'))} +sha256:[0-9a-f]{12} +VERIFIED\\n`),
  );
  expect(text).toMatch(new RegExp(`approve \\(signal\\) +approve +carol +gate approve +${escape(fingerprintOf('carol'))} +sha256:[0-9a-f]{12} +VERIFIED\\n`));
  expect(text).toMatch(/approve \(signal\) +\? +bob +- +- +sha256:\S+ +refused by the run: not a signed decision/);
  expect(text).toMatch(
    /approve \(signal\) +approve +bob +gate approve +- +sha256:\S+ +refused by the run: the signing key SHA256:\S+ is not one of bob's keys in the roster/,
  );
  expect(text).toContain('5 decisions: 3 verified and counted, 2 refused by the run.');
  expect(text).toContain('OK: every decision the run counted verifies');

  const json = await lifeboatInProcess(['verify', runId, '--json'], env);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as VerifyReport;
  expect(report).toMatchObject({
    runId,
    namespace: 'default',
    temporalRunId: run.handle.firstExecutionRunId,
    statusFrom: 'result',
    state: 'succeeded',
    ok: true,
    problems: [],
  });
  expect(report.rosters.length).toBe(2); // at the start, and when the gate opened
  expect(report.decisions.map((d) => [d.message, d.signer, d.result])).toEqual([
    ['start', 'alice', 'verified'],
    ['approve', 'bob', 'refused'],
    ['approve', 'bob', 'refused'],
    ['approve-update', 'bob', 'verified'],
    ['approve', 'carol', 'verified'],
  ]);
  expect(rowsOf(report, 'carol')[0]).toMatchObject({ fingerprint: fingerprintOf('carol'), keyType: 'ssh-ed25519', nonce: run.carolsNonce, counted: true });
  expect(rowsOf(report, 'bob')[2]).toMatchObject({
    fingerprint: fingerprintOf('bob'),
    nonce: run.bobsNonce,
    counted: true,
    rosterDigest: report.rosters[1]!.digest,
  });

  // The history as the stock CLI exports it verifies the same, with no server involved.
  const exported = execFileSync(requireTemporalCli().path, ['workflow', 'show', '--workflow-id', runId, '--output', 'json', '--address', ctx.address], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const historyFile = join(dir, 'history.json');
  writeFileSync(historyFile, exported);
  const fromFile = await lifeboatInProcess(['verify', runId, '--history', historyFile, '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(fromFile.code).toBe(0);
  expect((JSON.parse(fromFile.stdout) as VerifyReport).decisions).toEqual(report.decisions);

  // Tampered: bob's counted approval now says something else. Its signature no longer matches, and the run counted it.
  const sdkHistory = JSON.parse(historyToJSON(await run.handle.fetchHistory())) as HistoryJson;
  const bobsEvent = eventWithNonce(sdkHistory, run.bobsNonce);
  const payload = argPayloadOf(bobsEvent)!;
  const signed = decodeJsonPayload(payload);
  const statement = Statement.parse(JSON.parse(signed.statement!));
  const altered = { ...signed, statement: statementText({ ...statement, body: { ...statement.body, comment: 'lag is nine minutes' } }) };
  payload.data = Buffer.from(JSON.stringify(altered)).toString('base64');
  const tamperedFile = join(dir, 'tampered.json');
  writeFileSync(tamperedFile, JSON.stringify(sdkHistory));
  const tampered = await lifeboatInProcess(['verify', runId, '--history', tamperedFile], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(tampered.code).toBe(1);
  expect(tampered.stdout).toMatch(
    /approve-update \(update\) +approve +bob +gate approve +- +sha256:\S+ +DOES NOT VERIFY: bad signature: signature does not match; the run counted it\n/,
  );
  expect(tampered.stdout).toMatch(
    /FAILED:\n {2}- approve-update at \S+ \(event \d+\) does not verify \(bad signature: signature does not match\), yet the run counted it\n/,
  );

  // Tampered: carol's signal taken out of the history. The run's result still counts her vote, which nothing backs.
  const cut = JSON.parse(historyToJSON(await run.handle.fetchHistory())) as HistoryJson;
  const carolsEvent = eventWithNonce(cut, run.carolsNonce);
  cut.events = cut.events.filter((e) => e !== carolsEvent);
  const cutFile = join(dir, 'cut.json');
  writeFileSync(cutFile, JSON.stringify(cut));
  const missing = await lifeboatInProcess(['verify', runId, '--history', cutFile, '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
  expect(missing.code).toBe(1);
  expect((JSON.parse(missing.stdout) as VerifyReport).problems).toEqual([
    `the run counts carol's approve of gate approve (nonce ${run.carolsNonce}), but no decision in the history that verifies carries that nonce`,
  ]);
});

test('one signed approval sent three times: refused before its gate opened, counted once it had, then refused as a replay', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue);
  const runId = `kit-exercise/replay-${taskQueue}`;
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { target: `replay-${taskQueue}`, flakyFailures: 1, nonRetryable: true }, requestedBy: 'alice' }],
    });
    const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention');
    const bob = signAs(decisionStatement(stuck, 'approve', 'bob', { gate: 'approve' }));
    const raw = ctx.rawClient.workflow.getHandle(runId);
    await raw.signal(approveSignal, bob);
    await waitForStatus(handle, (s) => s.refused?.count === 1);
    expect((await lifeboatInProcess(['retry', runId, '--as', 'erin'], env)).code).toBe(0);
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await raw.signal(approveSignal, bob);
    await raw.signal(approveSignal, bob);
    const counted = await waitForStatus(handle, (s) => s.refused?.count === 2);
    expect(counted.gates[0]!.votes.map((v) => v.by)).toEqual(['bob']);
    // While the run waits, verify asks it for its status (it has no result yet).
    const running = await lifeboatInProcess(['verify', runId, '--json'], env);
    expect(running.code).toBe(0);
    const report = JSON.parse(running.stdout) as VerifyReport;
    expect(report.statusFrom).toBe('query');
    expect(report.decisions.map((d) => [d.signer, d.kind, d.result])).toEqual([
      ['alice', 'start', 'verified'],
      ['bob', 'approve', 'not-counted'],
      ['erin', 'retry', 'verified'],
      ['bob', 'approve', 'verified'],
      ['bob', 'approve', 'replayed'],
    ]);
    // The run's clock as verify reconstructs it is the clock the run recorded the vote with.
    expect(report.decisions[3]!.handledAt).toBe(counted.gates[0]!.votes[0]!.at);
    expect(report.decisions[4]!.reason).toBe('this signed decision was already used; sign a new one');
    const text = (await lifeboatInProcess(['verify', runId], env)).stdout;
    expect(text).toMatch(/approve \(signal\) +approve +bob +gate approve +SHA256:\S+ +sha256:[0-9a-f]{12} +VERIFIED, not counted by the run\n/);
    expect(text).toMatch(/replayed, refused by the run: this signed decision was already used/);
    await raw.signal(approveSignal, signAs(decisionStatement(stuck, 'approve', 'carol', { gate: 'approve' })));
    expect(((await handle.result()) as RunResult).state).toBe('succeeded');
  });
  expect((await lifeboatInProcess(['verify', runId], env)).code).toBe(0);
});

test('a run from before signed decisions cannot be verified, and says so', async () => {
  const result = await lifeboatInProcess(
    ['verify', 'paging-check/sre-oncall', '--history', join(__dirname, '..', 'fixtures', 'histories', 'paging-check-0x-unsigned.json')],
    {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    },
  );
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toBe(
    'error: paging-check/sre-oncall predates signed decisions: its decisions were never signed, so there is nothing to verify\n' +
      '  fix: its audit trail (lifeboat status paging-check/sre-oncall) is all there is for it; runs started since signed decisions exist can be verified\n',
  );
  const bad = await lifeboatInProcess(['verify', 'x/y', '--history', join(dir, 'nope.json')]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/cannot read --history .*nope\.json: ENOENT/);
});

test('each decision is checked against the roster and the clock the run had when its code handled it', async () => {
  const json = (value: unknown) => ({ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify(value)) });
  const at = (second: number) => ({ seconds: second, nanos: 0 });
  const task = (second: number) => [
    { workflowTaskScheduledEventAttributes: {} },
    { eventTime: at(second), workflowTaskStartedEventAttributes: {} },
    { workflowTaskCompletedEventAttributes: {} },
  ];
  const rosterLoad = (id: number, second: number, roster: string) => [
    { eventId: id, activityTaskScheduledEventAttributes: { activityType: { name: 'loadRoster' } } },
    { eventTime: at(second), activityTaskCompletedEventAttributes: { scheduledEventId: id, result: { payloads: [json(roster)] } } },
  ];
  const signal = (second: number, message: string) => ({
    eventTime: at(second),
    workflowExecutionSignaledEventAttributes: { signalName: 'approve', input: { payloads: [json(message)] } },
  });
  const events = [
    {
      eventTime: at(0),
      workflowExecutionStartedEventAttributes: {
        workflowType: { name: 'kitExercise' },
        firstExecutionRunId: 'run-1',
        input: { payloads: [json({ input: {}, requestedBy: 'alice', start: 'S' })] },
      },
    },
    ...task(1),
    {
      markerRecordedEventAttributes: { markerName: 'core_patch', details: { patch_data: { payloads: [json({ id: 'signed-decisions', deprecated: false })] } } },
    },
    ...rosterLoad(6, 2, 'R1'),
    ...task(3),
    ...rosterLoad(11, 4, 'R2'),
    // Handled in the same task as R2 arrives: signals run before the awaited roster resumes the code, so R1 holds.
    signal(5, 'A'),
    ...task(6),
    signal(7, 'B'),
    ...task(9),
    {
      eventTime: at(10),
      workflowExecutionUpdateAcceptedEventAttributes: {
        acceptedRequest: { meta: { updateId: 'u1' }, input: { name: 'approve-update', args: { payloads: [json('C')] } } },
      },
    },
    { workflowExecutionUpdateCompletedEventAttributes: { meta: { updateId: 'u1' }, outcome: { failure: { message: 'refused' } } } },
  ].map((event, i) => ({ eventId: i + 1, ...event }));
  const decode = async (payloads: { data?: Uint8Array | null }[]) => payloads.map((p) => JSON.parse(new TextDecoder().decode(p.data!)) as unknown);
  const run = await readRunHistory({ events } as unknown as Parameters<typeof readRunHistory>[0], decode);
  expect(run).toMatchObject({
    workflowType: 'kitExercise',
    firstExecutionRunId: 'run-1',
    signedDecisions: true,
    rosters: [{ roster: 'R1' }, { roster: 'R2' }],
  });
  const second = (ms: number) => ms / 1000;
  expect(run.decisions.map((d) => [d.name, d.message, d.roster, second(d.handledAtMs), d.outcome])).toEqual([
    ['start', 'S', 0, 3, undefined],
    ['approve', 'A', 0, 6, undefined],
    ['approve', 'B', 1, 9, undefined],
    ['approve-update', 'C', 1, 9, 'failed'],
  ]);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
