import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { approveSignal, approveUpdate, type RunResult } from '../../kit';
import { copyTestRoster, startConsoleWorker } from '../helpers/console';
import { recordHistory } from '../helpers/histories';
import { sealTestRoster } from '../helpers/roster-seal';
import { SoftPasskey } from '../helpers/passkeys';
import { decisionStatement } from '../helpers/signing';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

// In the default namespace, the one replay runs under, so its history can be recorded for the replay suite.
let ctx: TemporalTestContext;
let worker: Awaited<ReturnType<typeof startConsoleWorker>>;
let taskQueue: string;
const bob = new SoftPasskey('ES256');
const carol = new SoftPasskey('Ed25519');

beforeAll(async () => {
  const rosterPath = copyTestRoster();
  const roster = JSON.parse(readFileSync(rosterPath, 'utf8')) as { people: { id: string; passkeys?: unknown[] }[] };
  roster.people.find((p) => p.id === 'bob')!.passkeys = [bob.entry('bob', inject('testKeysDir'))];
  roster.people.find((p) => p.id === 'carol')!.passkeys = [carol.entry('carol', inject('testKeysDir'))];
  writeFileSync(rosterPath, JSON.stringify(roster, null, 2));
  await sealTestRoster(rosterPath);
  ctx = await connectToTestServer();
  taskQueue = testTaskQueue();
  worker = await startConsoleWorker(ctx, taskQueue, rosterPath);
});

afterAll(async () => {
  await worker?.stop();
  await ctx?.close();
});

test('passkey approvals, ES256 and Ed25519, count at a gate and a passkey used for someone else is refused; the history is kept for replay', async () => {
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: 'kit-exercise/passkey-approvals',
    args: [{ input: { target: 'passkey-approvals' }, requestedBy: 'alice' }],
  });
  const open = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  // carol's passkey over a statement naming bob: refused, and audited as a refusal.
  await ctx.rawClient.workflow.getHandle(handle.workflowId).signal(approveSignal, carol.sign(decisionStatement(open, 'approve', 'bob', { gate: 'approve' })));
  await ctx.rawClient.workflow
    .getHandle(handle.workflowId)
    .executeUpdate(approveUpdate, { args: [bob.sign(decisionStatement(open, 'approve', 'bob', { gate: 'approve' }))] });
  await ctx.rawClient.workflow
    .getHandle(handle.workflowId)
    .executeUpdate(approveUpdate, { args: [carol.sign(decisionStatement(open, 'approve', 'carol', { gate: 'approve', comment: 'from my phone' }))] });
  const result = (await handle.result()) as RunResult;
  expect(result.state).toBe('succeeded');
  expect(result.gates[0]!.votes.map((v) => [v.by, v.verified?.keyType])).toEqual([
    ['bob', 'webauthn-es256'],
    ['carol', 'webauthn-ed25519'],
  ]);
  expect(result.audit.find((a) => a.action === 'approve-refused')).toMatchObject({ actor: 'bob', detail: expect.stringMatching(/not one of bob's passkeys/) });
  await recordHistory(handle, 'kit-exercise-passkey-approvals-signed');
});
