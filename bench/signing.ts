import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type Connection } from '@temporalio/client';
import { sampleRosterPath } from '../lib/paths';
import { generateEd25519KeyPair } from '../lib/ssh-keys';
import { sealRosterWithKeys, writeTestTrustRoot } from '../test/helpers/roster-seal-core';
import { KeyFolderSigner, signingInterceptor } from '../test/helpers/signing-core';

/** The benchmarks' people: the sample roster with a fresh key each, and a client that signs as them. */
export interface BenchSigning {
  rosterPath: string;
  keys: KeyFolderSigner;
  /** Seals a roster the benchmark wrote or changed, as the roster admins would; workers refuse it otherwise. */
  seal(rosterPath: string): Promise<string>;
  /** A client that signs starts and decisions sent in the unsigned shape as the person they name. */
  client(connection: Connection): Client;
}

/**
 * Makes keys for the sample roster's people in `dir` and a roster that lists them, sealed by two roster admins whose
 * trust root this process's workers read through LIFEBOAT_TRUST_ROOT.
 */
export async function benchSigning(dir: string): Promise<BenchSigning> {
  const roster = JSON.parse(readFileSync(sampleRosterPath, 'utf8')) as { people: { id: string; keys?: string[] }[] };
  const keysDir = join(dir, 'keys');
  for (const person of roster.people) person.keys = [(await generateEd25519KeyPair(keysDir, person.id)).publicKeyLine];
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, JSON.stringify(roster, null, 2));
  const trustRootPath = join(dir, 'trust-root.json');
  await writeTestTrustRoot(keysDir, trustRootPath);
  await sealRosterWithKeys(rosterPath, keysDir);
  process.env.LIFEBOAT_TRUST_ROOT = trustRootPath;
  const keys = new KeyFolderSigner(keysDir);
  return {
    rosterPath,
    keys,
    seal: (path) => sealRosterWithKeys(path, keysDir),
    client(connection) {
      const raw = new Client({ connection, namespace: 'default' });
      return new Client({ connection, namespace: 'default', interceptors: { workflow: [signingInterceptor(keys, () => raw)] } });
    },
  };
}
