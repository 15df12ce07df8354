import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { z } from 'zod';
import { normaliseId, Roster, rosterDigest } from '../../kit/trust';
import { lifeboat } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-roster-'));
const keyOf = (name: string) => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
};
const bobKey = keyOf('bob');

const base = () => ({
  groups: { 'sre-leads': 'leads' },
  people: [{ id: 'bob', name: 'Bob', groups: ['sre-leads'], keys: [bobKey] }],
});
const problems = (value: unknown) => {
  const parsed = Roster.safeParse(value);
  return parsed.success ? '' : z.prettifyError(parsed.error);
};

test('a roster lists each person with public keys in authorized_keys format and has a digest an auditor can compare', () => {
  const roster = Roster.parse(base());
  expect(roster.people[0]!.keys).toEqual([bobKey]);
  expect(rosterDigest(roster)).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(rosterDigest(Roster.parse(base()))).toBe(rosterDigest(roster));
  const changed = base();
  changed.people[0]!.name = 'Robert';
  expect(rosterDigest(Roster.parse(changed))).not.toBe(rosterDigest(roster));
});

test('reserved system names, Object member group names, broken keys and a key shared by two people are refused by path', () => {
  const reserved = base();
  reserved.people.push({ id: 'lifeboat', name: 'The system', groups: [], keys: [] });
  expect(problems(reserved)).toMatch(/reserved for the system[\s\S]*people\[1\]\.id/);

  // As a roster file would hold them: a group named after an Object member is refused, or (for __proto__) never
  // becomes a group at all, so nobody gains approval through it.
  for (const group of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const roster: unknown = JSON.parse(
      `{"groups":{"sre-leads":"leads","${group}":"sneaky"},"people":[{"id":"bob","name":"Bob","groups":["${group}"],"keys":[]}]}`,
    );
    expect(problems(roster), group).toMatch(/is reserved \(a name every object has\); choose another group name|unknown group "__proto__"/);
  }

  const broken = base();
  broken.people[0]!.keys = ['ssh-ed25519 not-base64!'];
  expect(problems(broken)).toMatch(/paste the line of your \.pub file[\s\S]*people\[0\]\.keys\[0\]/);

  const shared = base();
  shared.people.push({ id: 'carol', name: 'Carol', groups: ['sre-leads'], keys: [bobKey] });
  expect(problems(shared)).toMatch(/already bob's; each key proves one person[\s\S]*people\[1\]\.keys\[0\]/);
});

test('a claimed name is normalised once (NFKC, trimmed, lower case) before it is compared with roster ids', () => {
  expect(normaliseId(' Alice ')).toBe('alice');
  expect(normaliseId('ＡＬＩＣＥ')).toBe('alice');
  expect(normaliseId('alice.han')).toBe('alice.han');
});

test('a worker away from the embedded dev server refuses to start without a roster named on purpose (exit 2)', async () => {
  const result = await lifeboat(['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1', LIFEBOAT_ROSTER: undefined });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^error: no roster: .*\n  fix: pass --roster FILE or set LIFEBOAT_ROSTER/);
});
