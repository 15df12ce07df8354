import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrustRoot } from '../../lib/roster-seal';
import { signRosterSeal } from '../../lib/roster-seal-file';
import { generateEd25519KeyPair, signStatement } from '../../lib/ssh-keys';
import { Roster, rosterDigest } from '../../kit/trust';

/**
 * The roster admins of the tests and benchmarks, with keys in the same folder as the test people's (so
 * `lifeboat roster sign --as root-a` finds its key as `--as bob` does), and no vitest import, for the global setup.
 */
export const testRosterAdmins = ['root-a', 'root-b'] as const;

/** Makes the admins' keys in `keysDir` and writes a trust root naming them with a quorum of 2. */
export async function writeTestTrustRoot(keysDir: string, path: string): Promise<TrustRoot> {
  const admins = [];
  for (const id of testRosterAdmins) admins.push({ id, keys: [(await generateEd25519KeyPair(keysDir, id)).publicKeyLine] });
  const trustRoot = TrustRoot.parse({ admins, quorum: testRosterAdmins.length });
  writeFileSync(path, `${JSON.stringify(trustRoot, null, 2)}\n`);
  return trustRoot;
}

/** Signs the roster at `rosterPath`, as it is now, by `admins` with their keys in `keysDir`: the one way tests seal a roster. */
export async function sealRosterWithKeys(rosterPath: string, keysDir: string, admins: readonly string[] = testRosterAdmins): Promise<string> {
  const digest = rosterDigest(Roster.parse(JSON.parse(readFileSync(rosterPath, 'utf8'))));
  for (const id of admins) await signRosterSeal(rosterPath, digest, id, (text) => signStatement(text, join(keysDir, id)));
  return digest;
}
