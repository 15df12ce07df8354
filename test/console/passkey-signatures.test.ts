import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject, test } from 'vitest';
import { z } from 'zod';
import { digestOf, Roster, verifySignedDecision, type Statement, type VerifyContext } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';
import { enrolledPasskey, SoftPasskey } from '../helpers/passkeys';
import { statementOf } from '../helpers/signing';

const keysDir = inject('testKeysDir');
const bobPasskey = new SoftPasskey('ES256');
const carolPasskey = new SoftPasskey('Ed25519');
const malloryPasskey = new SoftPasskey('ES256');

const rosterJson = () => {
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as {
    groups: Record<string, string>;
    people: { id: string; groups: string[]; passkeys?: unknown[] }[];
  };
  const person = (id: string) => roster.people.find((p) => p.id === id)!;
  person('bob').passkeys = [bobPasskey.entry('bob', keysDir)];
  person('carol').passkeys = [carolPasskey.entry('carol', keysDir)];
  return { roster, person };
};
const roster = Roster.parse(rosterJson().roster);

const identity = { namespace: 'default', workflowId: 'kit-exercise/x', runId: 'run-1', inputDigest: digestOf({ target: 'x' }) };
const context = (): VerifyContext => ({ ...identity, nowMs: Date.now(), roster, used: new Set() });
const approval = (by: string, overrides: Partial<Statement> = {}) => statementOf({ kind: 'approve', ...identity, by, body: { gate: 'approve' }, ...overrides });
const problems = (value: unknown) => {
  const parsed = Roster.safeParse(value);
  return parsed.success ? '' : z.prettifyError(parsed.error);
};

test('a passkey assertion over the statement digest verifies as its owner, ES256 (DER) and Ed25519, with the passkey fingerprint', () => {
  const bob = verifySignedDecision(['approve'], bobPasskey.sign(approval('bob')), context());
  expect(bob).toMatchObject({ ok: true, decision: { by: 'bob', keyType: 'webauthn-es256', fingerprint: expect.stringMatching(/^SHA256:/) } });
  const carol = verifySignedDecision(['approve'], carolPasskey.sign(approval('carol')), context());
  expect(carol).toMatchObject({ ok: true, decision: { by: 'carol', keyType: 'webauthn-ed25519' } });
});

test("refused: another person's passkey, a passkey in no roster, another run, a tampered statement, no user verification, another site", () => {
  const reason = (raw: unknown) => {
    const v = verifySignedDecision(['approve'], raw, context());
    return v.ok ? 'accepted' : v.reason;
  };
  expect(reason(bobPasskey.sign(approval('carol')))).toMatch(/not one of carol's passkeys/);
  expect(reason(malloryPasskey.sign(approval('bob')))).toMatch(/not one of bob's passkeys/);
  expect(reason(bobPasskey.sign(approval('bob', { runId: 'run-2' })))).toMatch(/for run run-2, not this run run-1/);
  const signed = bobPasskey.sign(approval('bob'));
  expect(reason({ statement: bobPasskey.sign(approval('bob')).statement, signature: signed.signature })).toMatch(/signed another statement/);
  expect(reason(bobPasskey.sign(approval('bob'), { flags: 0x01 }))).toMatch(/did not verify the person/);
  expect(reason(bobPasskey.sign(approval('bob'), { flags: 0x04 }))).toMatch(/present/);
  expect(reason(bobPasskey.sign(approval('bob'), { origin: 'https://evil.example' }))).toMatch(/used on https:\/\/evil.example/);
  expect(reason(bobPasskey.sign(approval('bob'), { rpId: 'evil.example' }))).toMatch(/another site/);
  expect(reason(bobPasskey.sign(approval('bob'), { type: 'webauthn.create' }))).toMatch(/not webauthn.get/);
  expect(reason({ ...bobPasskey.sign(approval('bob')), signature: 'webauthn.v1.abc' })).toMatch(/four base64url fields/);
});

test("the roster takes a passkey only with an enrolment signed by its owner's SSH key or a roster admin's, for that exact entry", () => {
  const { roster: own } = rosterJson();
  expect(problems(own)).toBe('');

  const byOther = rosterJson();
  byOther.person('dave').passkeys = [malloryPasskey.entry('dave', keysDir, 'alice')];
  expect(problems(byOther.roster)).toMatch(/alice may not enrol a passkey for dave: only dave or a member of roster-admins/);

  const byAdmin = rosterJson();
  byAdmin.roster.groups['roster-admins'] = 'may enrol passkeys for others';
  byAdmin.person('alice').groups.push('roster-admins');
  byAdmin.person('dave').passkeys = [malloryPasskey.entry('dave', keysDir, 'alice')];
  expect(problems(byAdmin.roster)).toBe('');

  const swapped = rosterJson();
  swapped.person('dave').passkeys = [{ ...bobPasskey.entry('dave', keysDir), publicKey: malloryPasskey.publicKey }];
  expect(problems(swapped.roster)).toMatch(/publicKey differs from the one its enrolment signed/);

  const moved = rosterJson();
  moved.person('dave').passkeys = [bobPasskey.entry('bob', keysDir)];
  expect(problems(moved.roster)).toMatch(/the enrolment is for bob, not dave/);

  const twice = rosterJson();
  twice.person('dave').passkeys = [bobPasskey.entry('dave', keysDir)];
  expect(problems(twice.roster)).toMatch(/already bob's/);

  // An enrolment whose proof of possession comes from another passkey: whoever enrolled it did not hold it.
  const unheld = rosterJson();
  unheld.person('dave').passkeys = [enrolledPasskey({ ...malloryPasskey.fields(), possession: bobPasskey.possession() }, 'dave', 'dave', keysDir)];
  expect(problems(unheld.roster)).toMatch(/does not prove the passkey was held: the assertion is from another passkey/);

  const forged = rosterJson();
  forged.person('dave').passkeys = [{ ...malloryPasskey.entry('dave', keysDir, 'mallory') }];
  expect(problems(forged.roster)).toMatch(/signed by SHA256:\S+, which is not one of dave's SSH keys|mallory, who is not in the roster/);
});

test("lifeboat passkey add: your own passkey with your SSH key; someone else's only as a roster admin; the roster file is checked before it is written", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-passkey-add-'));
  const request = join(dir, 'passkey.json');
  const phone = new SoftPasskey('ES256');
  writeFileSync(request, JSON.stringify({ ...phone.fields(), label: 'dave phone', possession: phone.possession() }));
  const rosterPath = join(dir, 'roster.json');
  const { roster } = rosterJson();
  writeFileSync(rosterPath, JSON.stringify(roster));

  const printed = await lifeboatInProcess(['passkey', 'add', '--as', 'dave', '--request', request]);
  expect(printed.code).toBe(0);
  expect(JSON.parse(printed.stdout)).toMatchObject({
    credentialId: phone.credentialId,
    label: 'dave phone',
    enrolment: { signature: expect.stringMatching(/^-----BEGIN SSH SIGNATURE-----/) },
  });
  expect(printed.stderr).toMatch(/add this under "passkeys" of dave in the roster/);

  const notAdmin = await lifeboatInProcess(['passkey', 'add', '--as', 'alice', '--for', 'dave', '--request', request, '--roster', rosterPath]);
  expect(notAdmin.code).toBe(1);
  expect(notAdmin.stderr).toMatch(/alice may not enrol a passkey for dave: only dave or a member of roster-admins may/);
  expect(readFileSync(rosterPath, 'utf8')).toBe(JSON.stringify(roster));

  roster.groups['roster-admins'] = 'may enrol passkeys for people without SSH keys';
  roster.people.find((p) => p.id === 'alice')!.groups.push('roster-admins');
  writeFileSync(rosterPath, JSON.stringify(roster));
  const byAdmin = await lifeboatInProcess(['passkey', 'add', '--as', 'alice', '--for', 'dave', '--request', request, '--roster', rosterPath]);
  expect(byAdmin.stderr).toBe('');
  expect(byAdmin.stdout).toMatch(/^added dave's passkey SHA256:\S+ \(ES256, for localhost\) to .*roster\.json, vouched for by alice/);
  expect(Roster.parse(JSON.parse(readFileSync(rosterPath, 'utf8'))).people.find((p) => p.id === 'dave')!.passkeys).toHaveLength(1);

  writeFileSync(request, JSON.stringify({ credentialId: phone.credentialId, publicKey: phone.publicKey, algorithm: 'RS256', rpId: 'localhost' }));
  const bad = await lifeboatInProcess(['passkey', 'add', '--as', 'dave', '--request', request]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/is not a passkey request[\s\S]*algorithm/);
});
