import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createRosterActivities, readSealedRoster } from '../../activities/roster';
import { demoRosterPath, demoTrustRootPath, prepareDemoRoster } from '../../dev/demo-keys';
import { checkRosterSeal, RosterSeal, TrustRoot } from '../../lib/roster-seal';
import { readSealFile, sealPathFor, sealStatementFor } from '../../lib/roster-seal-file';
import { signStatement } from '../../lib/ssh-keys';
import { readTrustRoot } from '../../lib/trust-root';
import { approveUpdate, interveneUpdate, statusQuery, type RunResult, type RunStatus } from '../../kit';
import { Roster, rosterDigest, statementText } from '../../kit/trust';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { sealTestRoster, testTrustRoot } from '../helpers/roster-seal';
import { decisionStatement } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * The roster seal: a worker uses a roster only when a quorum of the roster admins named in its trust root signed
 * that roster's digest. An edit nobody signed (mallory appending herself to sre-leads) is refused with what is
 * missing and how to fix it, and her signed approval counts for nothing.
 */

type RosterFile = { groups: Record<string, string>; people: { id: string; name: string; groups: string[]; keys: string[] }[] } & Record<string, unknown>;

let ctx: TemporalTestContext;
let dir: string;
let trustRoot: TrustRoot;
const keysDir = () => inject('testKeysDir');
const malloryKey = () => readFileSync(join(keysDir(), 'mallory.pub'), 'utf8').trim();

beforeAll(async () => {
  ctx = await connectToTestServer();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-roster-seal-'));
  trustRoot = testTrustRoot();
});

afterAll(async () => {
  await ctx?.close();
});

let files = 0;
/** A copy of the test roster (not sealed), changed by `edit`. */
function writeRoster(edit: (roster: RosterFile) => void = () => undefined): string {
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as RosterFile;
  edit(roster);
  const path = join(dir, `roster-${++files}.json`);
  writeFileSync(path, JSON.stringify(roster, null, 2));
  return path;
}

const withMallory = (roster: RosterFile) => {
  roster.people.push({ id: 'mallory', name: 'Mallory', groups: ['sre-leads'], keys: [malloryKey()] });
};

const digestOfFile = (path: string) => rosterDigest(Roster.parse(JSON.parse(readFileSync(path, 'utf8'))));

/** What the worker's loadRoster refuses with, as an ApplicationFailure. */
async function refusal(path: string, root: TrustRoot | null = trustRoot): Promise<ApplicationFailure> {
  const err = await createRosterActivities({ rosterPath: path, ...(root ? { trustRoot: root } : {}) })
    .loadRoster()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err, `${path} was accepted`).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.type).toBe('RosterInvalid');
  expect(failure.nonRetryable).toBe(true);
  return failure;
}

test('a roster nobody signed, and a sealed roster edited afterwards (mallory appended to sre-leads), are refused naming why', async () => {
  const unsigned = writeRoster();
  const unsignedError = await refusal(unsigned);
  expect(unsignedError.message).toContain(`the roster ${digestOfFile(unsigned)} is signed by 0 of the 2 roster admins it needs (none)`);
  expect(unsignedError.message).toContain(`sign it with lifeboat roster sign --roster ${unsigned} --as ADMIN (admins who have not signed: root-a, root-b)`);

  const sealed = writeRoster();
  const signedDigest = await sealTestRoster(sealed);
  const loaded = await createRosterActivities({ rosterPath: sealed, trustRoot }).loadRoster();
  expect(loaded.people.map((p) => p.id)).not.toContain('mallory');
  // Reformatting changes no digest: the seal covers what the roster says, not its spacing.
  writeFileSync(sealed, JSON.stringify(JSON.parse(readFileSync(sealed, 'utf8'))));
  await expect(createRosterActivities({ rosterPath: sealed, trustRoot }).loadRoster()).resolves.toEqual(loaded);

  const edited = JSON.parse(readFileSync(sealed, 'utf8')) as RosterFile;
  withMallory(edited);
  writeFileSync(sealed, JSON.stringify(edited, null, 2));
  const editedError = await refusal(sealed);
  expect(editedError.message).toContain(
    `the roster ${sealed} changed since its admins signed it (it is ${digestOfFile(sealed)}, they signed ${signedDigest}); the roster ${digestOfFile(sealed)} is signed by 0 of the 2 roster admins it needs (none)`,
  );
  expect(editedError.message).toContain('root-a signed another roster');
  expect(editedError.message).toContain('put back the signed roster');
});

test('a quorum of distinct roster admins is needed: one admin, even signing twice, is not enough; two are', async () => {
  const path = writeRoster(withMallory);
  await sealTestRoster(path, ['root-a']);
  expect((await refusal(path)).message).toContain(`the roster ${digestOfFile(path)} is signed by 1 of the 2 roster admins it needs (root-a)`);
  await sealTestRoster(path, ['root-a']);
  expect(RosterSeal.parse(readSealFile(path)).signatures).toHaveLength(1);
  // The same signature copied in twice still counts once.
  const seal = RosterSeal.parse(readSealFile(path));
  const doubled = { ...seal, signatures: [seal.signatures[0]!, seal.signatures[0]!] };
  expect(checkRosterSeal(digestOfFile(path), doubled, trustRoot)).toMatchObject({ signedBy: [{ id: 'root-a' }], met: false });

  await sealTestRoster(path, ['root-b']);
  const roster = await createRosterActivities({ rosterPath: path, trustRoot }).loadRoster();
  expect(roster.people.find((p) => p.id === 'mallory')?.groups).toEqual(['sre-leads']);
  expect((await readSealedRoster(path, trustRoot)).seal.signedBy.map((s) => s.id)).toEqual(['root-a', 'root-b']);

  // After someone is taken off, the admins set notBefore: the older signatures stop counting, so the older roster
  // cannot be put back with them.
  const retired = { ...trustRoot, notBefore: new Date(Date.now() + 60_000).toISOString() };
  expect((await refusal(path, retired)).message).toMatch(/root-a signed at \S+, before the trust root's notBefore/);
});

test('the roster cannot lower its own bar: admins and quorum come from the trust root only', async () => {
  // Mallory writes her own "admins" and "quorum" into the roster and signs it, as herself and as root-a with her key.
  const path = writeRoster((roster) => {
    withMallory(roster);
    roster.admins = [{ id: 'mallory', keys: [malloryKey()] }];
    roster.quorum = 1;
  });
  const digest = digestOfFile(path);
  const forged = [];
  for (const by of ['mallory', 'root-a']) {
    const { text } = sealStatementFor(digest, by);
    forged.push({ statement: text, signature: await signStatement(text, join(keysDir(), 'mallory')) });
  }
  // And a real signature of root-a, over a decision rather than a roster.
  const decision = decisionStatement(
    { runId: 'kit-exercise/x', trust: { namespace: 'default', temporalRunId: 'r', inputDigest: digest } } as RunStatus,
    'approve',
    'root-a',
    {},
  );
  const decisionText = statementText(decision);
  forged.push({ statement: decisionText, signature: await signStatement(decisionText, join(keysDir(), 'root-a')) });
  writeFileSync(sealPathFor(path), JSON.stringify({ lifeboat: 'roster-seal/v1', rosterDigest: digest, signatures: forged }));
  const message = (await refusal(path)).message;
  expect(message).toContain('is signed by 0 of the 2 roster admins it needs (none)');
  expect(message).toContain('mallory is not a roster admin of the trust root');
  expect(message).toMatch(/root-a's signature is made with a key \(SHA256:\S+\) the trust root does not list for root-a/);
  expect(message).toContain('a signature covers something other than a roster/v1 statement');

  // A trust root that could never be met, or that lets one key count twice, is refused at start, naming the field.
  const rootFile = (value: unknown) => {
    const file = join(dir, `trust-root-${++files}.json`);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };
  expect(() => readTrustRoot(rootFile({ ...trustRoot, quorum: 3 }))).toThrow(
    /3 is more than the 2 admin\(s\) listed[^\n]*lower it or add admins\n\s+→ at quorum/,
  );
  expect(() => readTrustRoot(rootFile({ ...trustRoot, quorum: 0 }))).toThrow(/at least 1[^\n]*\n\s+→ at quorum/);
  const shared = { ...trustRoot, admins: [trustRoot.admins[0]!, { id: 'root-c', keys: trustRoot.admins[0]!.keys }] };
  expect(() => readTrustRoot(rootFile(shared))).toThrow(/already root-a's; one key would count as two admins[^\n]*\n\s+→ at admins\[1\]\.keys\[0\]/);

  // Without a trust root a worker trusts no roster at all.
  const sealed = writeRoster();
  await sealTestRoster(sealed);
  const saved = process.env.LIFEBOAT_TRUST_ROOT;
  delete process.env.LIFEBOAT_TRUST_ROOT;
  try {
    expect((await refusal(sealed, null)).message).toContain('this worker has no trust root');
  } finally {
    process.env.LIFEBOAT_TRUST_ROOT = saved;
  }
});

test('lifeboat worker refuses to start without a trust root, with a broken one, or with a roster its admins have not signed', async () => {
  const none = await lifeboatInProcess(['worker'], { LIFEBOAT_TRUST_ROOT: undefined, TEMPORAL_ADDRESS: ctx.address });
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('error: no trust root: a worker uses a roster only when the roster admins signed it');
  expect(none.stderr).toContain('fix: pass --trust-root FILE or set LIFEBOAT_TRUST_ROOT');

  const broken = join(dir, 'broken-trust-root.json');
  writeFileSync(broken, JSON.stringify({ admins: trustRoot.admins, quorum: 5 }));
  const invalid = await lifeboatInProcess(['worker', '--trust-root', broken], { TEMPORAL_ADDRESS: ctx.address });
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toContain(`error: the trust root ${broken} is invalid:`);
  expect(invalid.stderr).toContain('5 is more than the 2 admin(s) listed');

  const unsigned = writeRoster(withMallory);
  const refused = await lifeboat(['worker', '--roster', unsigned, '--task-queue', testTaskQueue()], {
    TEMPORAL_ADDRESS: ctx.address,
    LIFEBOAT_LOG_LEVEL: 'WARN',
  });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`error: the roster ${digestOfFile(unsigned)} is signed by 0 of the 2 roster admins it needs (none)`);
  expect(refused.stderr).toContain(`fix: each roster admin runs lifeboat roster sign --roster ${unsigned} --as ADMIN`);
});

test('lifeboat roster sign adds one admin signature at a time, check says whether the quorum is met, and a changed roster starts a fresh seal', async () => {
  const path = writeRoster(withMallory);
  const digest = digestOfFile(path);
  const before = await lifeboatInProcess(['roster', 'check', '--roster', path]);
  expect(before.code).toBe(1);
  expect(before.stdout).toContain(`digest:  ${digest}`);
  expect(before.stdout).toContain('signed:  nobody');
  expect(before.stdout).toContain('quorum:  0 of 2 admins (root-a, root-b): NOT met; workers refuse this roster');
  expect(before.stderr).toContain(`error: the roster ${digest} is signed by 0 of the 2 roster admins it needs (none)`);

  const first = await lifeboatInProcess(['roster', 'sign', '--roster', path, '--as', 'root-a']);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`root-a signed the roster ${path} (${digest}); seal ${sealPathFor(path)}`);
  expect(first.stdout).toContain('signed by 1 of the 2 roster admins it needs (root-a); workers refuse it until 1 more sign');
  const half = await lifeboatInProcess(['roster', 'check', '--roster', path]);
  expect(half.code).toBe(1);
  expect(half.stderr).toContain(`is signed by 1 of the 2 roster admins it needs (root-a)`);

  // Somebody who is no admin, or an admin's name with another key, adds nothing to the seal.
  const sealBefore = readFileSync(sealPathFor(path), 'utf8');
  const outsider = await lifeboatInProcess(['roster', 'sign', '--roster', path, '--as', 'mallory']);
  expect(outsider.code).toBe(1);
  expect(outsider.stderr).toContain('error: mallory is not a roster admin of the trust root');
  const wrongKey = await lifeboatInProcess(['roster', 'sign', '--roster', path, '--as', 'root-b', '--key', join(keysDir(), 'mallory')]);
  expect(wrongKey.code).toBe(1);
  expect(wrongKey.stderr).toMatch(
    /error: the signature would not count: root-b's signature is made with a key \(SHA256:\S+\) the trust root does not list for root-b/,
  );
  expect(readFileSync(sealPathFor(path), 'utf8')).toBe(sealBefore);

  const second = await lifeboatInProcess(['roster', 'sign', '--roster', path, '--as', 'root-b']);
  expect(second.code).toBe(0);
  expect(second.stdout).toContain('signed by 2 of the 2 roster admins it needs (root-a, root-b): workers use it from the next gate');
  const after = await lifeboatInProcess(['roster', 'check', '--roster', path]);
  expect(after.code).toBe(0);
  expect(after.stdout).toMatch(/signed: {2}root-a at \S+, root-b at \S+/);
  expect(after.stdout).toContain('quorum:  2 of 2 admins (root-a, root-b): met; workers use this roster');
  const json = await lifeboatInProcess(['roster', 'check', '--roster', path, '--json']);
  expect(JSON.parse(json.stdout)).toMatchObject({ rosterDigest: digest, met: true, quorum: 2, signedBy: [{ id: 'root-a' }, { id: 'root-b' }] });
  expect((await createRosterActivities({ rosterPath: path, trustRoot }).loadRoster()).people.map((p) => p.id)).toContain('mallory');

  // Mallory is taken off again: the old signatures do not carry over to the new roster.
  const roster = JSON.parse(readFileSync(path, 'utf8')) as RosterFile;
  roster.people = roster.people.filter((p) => p.id !== 'mallory');
  writeFileSync(path, JSON.stringify(roster, null, 2));
  const changed = await lifeboatInProcess(['roster', 'sign', '--roster', path, '--as', 'root-a']);
  expect(changed.stdout).toContain('signed by 1 of the 2 roster admins it needs (root-a)');
  expect(RosterSeal.parse(readSealFile(path))).toMatchObject({ rosterDigest: digestOfFile(path), signatures: [expect.anything()] });
});

test('the demo makes its admins, trust root and a signed demo roster, and roster check finds them by itself', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-demo-seal-'));
  const env = { ...process.env, LIFEBOAT_STATE_DIR: stateDir, LIFEBOAT_DEMO_KEYS: undefined, LIFEBOAT_TRUST_ROOT: undefined };
  const roster = await prepareDemoRoster(env);
  expect(roster).toBe(demoRosterPath(env));
  const demoRoot = readTrustRoot(demoTrustRootPath(env));
  expect(demoRoot).toMatchObject({ quorum: 2, admins: [{ id: 'root-a' }, { id: 'root-b' }] });
  expect((await readSealedRoster(roster, demoRoot)).seal.met).toBe(true);
  // Run again, nothing changes: the seal still holds (no fresh signatures needed).
  const seal = readFileSync(sealPathFor(roster), 'utf8');
  await prepareDemoRoster(env);
  expect(readFileSync(sealPathFor(roster), 'utf8')).toBe(seal);
  const check = await lifeboatInProcess(['roster', 'check', '--roster', roster], { LIFEBOAT_STATE_DIR: stateDir, LIFEBOAT_TRUST_ROOT: undefined });
  expect(check.stdout).toContain('met; workers use this roster');
  expect(check.code).toBe(0);
});

test('at 3 a.m. the roster is edited under a waiting run: mallory appended to sre-leads, not signed; her approval counts for nothing and the gate says why', async () => {
  const taskQueue = testTaskQueue();
  const rosterPath = writeRoster();
  await sealTestRoster(rosterPath);
  const signedText = readFileSync(rosterPath, 'utf8');
  const { worker, effects } = await createTestWorker(ctx, taskQueue, createRosterActivities({ rosterPath, trustRoot }));
  await worker.runUntil(async () => {
    const target = `sealed-${taskQueue}`;
    const handle: WorkflowHandle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: `kit-exercise/${target}`,
      args: [{ input: { target, flakyFailures: 5, nonRetryable: true, quorum: 2 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'needs-intervention' && s.intervention?.step === 'flaky');

    // Mallory appends herself to sre-leads with her own key, and nobody signs the change.
    const edited = JSON.parse(signedText) as RosterFile;
    withMallory(edited);
    writeFileSync(rosterPath, JSON.stringify(edited, null, 2));
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'erin', reason: 'checked by hand' }] });

    // The gate reads the roster, refuses it, and waits for a person, saying what happened and what to do.
    const stopped = await waitForStatus(handle, (s) => s.intervention?.step === 'approve:approvers');
    expect(stopped.state).toBe('needs-intervention');
    expect(stopped.intervention!.error).toContain(`the roster ${rosterPath} changed since its admins signed it`);
    expect(stopped.intervention!.error).toContain('is signed by 0 of the 2 roster admins it needs');
    expect(stopped.intervention!.error).toContain('put back the signed roster');
    expect(stopped.intervention!.error).toContain('a run stopped at a gate then goes on when you retry the step (lifeboat retry RUN)');
    const malloryNow = await handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] }).catch((e: unknown) => e);
    expect(malloryNow).toBeInstanceOf(Error);

    // The on-call puts the signed roster back and retries: the gate opens on the signed roster, without mallory.
    writeFileSync(rosterPath, signedText);
    await handle.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'alice', reason: 'restored the signed roster' }] });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    const mallory = await handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory' }] }).catch((e: unknown) => e);
    expect(String((mallory as Error & { cause?: Error }).cause?.message ?? mallory)).toMatch(/mallory/);
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
    expect((await handle.query(statusQuery)).state).toBe('waiting-approval');
    expect(effects.map((e) => e.action)).not.toContain('apply');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    expect(result.audit.filter((a) => a.action === 'approved').map((a) => a.actor)).toEqual(['bob', 'carol']);
    expect(result.audit.some((a) => a.actor === 'mallory' && a.action === 'approved')).toBe(false);
    expect(result.trust?.rosterDigest).toBe(digestOfFile(rosterPath));
  });
});
