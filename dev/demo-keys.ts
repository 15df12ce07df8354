import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Roster, rosterDigest } from '../kit/trust';
import { isLocalPort, type ConnectionSettings } from '../lib/connection';
import { runningDevServerAddress } from '../lib/dev-record';
import { sampleRosterPath, stateDir } from '../lib/paths';
import { checkRosterSeal, TrustRoot } from '../lib/roster-seal';
import { readSealFile, signRosterSeal } from '../lib/roster-seal-file';
import { generateEd25519KeyPair, signStatement } from '../lib/ssh-keys';

/** The roster id the demo's alert receiver starts runs as; its key is in the demo keys folder. */
export const demoAlertsPrincipal = 'alertmanager';

/**
 * The roster id that seals the demo's evidence bundles: a person in no group, so it can sign a bundle's manifest and
 * never approve anything, as docs/production.md asks of a real archive signer. Its key is in the demo keys folder.
 */
export const demoArchiveSigner = 'archiver';

/** The demo's roster admins: two of them must sign the demo roster, as two admins would in production. */
export const demoRosterAdmins = ['root-a', 'root-b'] as const;

/** Where the demo keeps one private key per sample roster person; git-ignored with the rest of `.state/`. */
export function demoKeysDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.LIFEBOAT_DEMO_KEYS ?? join(env.LIFEBOAT_STATE_DIR ?? stateDir, 'demo-keys'));
}

/**
 * Whether the CLI talks to the demo's own dev server, so the demo keys (and the demo roster) apply: the embedded
 * server wherever it listens (LIFEBOAT_DEV_PORT, the record of a running `npm start`), or the address that `npm start`
 * printed given as TEMPORAL_ADDRESS. Never a configured cluster, whose roster lists real keys.
 */
export function talksToDemoServer(settings: ConnectionSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  if (settings.embedded) return true;
  const recorded = runningDevServerAddress(env);
  const port = recorded === undefined ? undefined : Number(recorded.slice(recorded.lastIndexOf(':') + 1));
  return port !== undefined && isLocalPort(settings.connectionOptions.address, port);
}

/** The roster the demo's worker reads: the sample roster with each person's demo public key added. */
export function demoRosterPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(demoKeysDir(env)), 'roster.demo.json');
}

/** The trust root the demo's worker is given: the demo roster admins' public keys and a quorum of 2. */
export function demoTrustRootPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(dirname(demoKeysDir(env)), 'trust-root.demo.json');
}

/**
 * Makes the demo roster admins' keys (kept after), writes the demo trust root naming them, and has both sign the
 * roster at `rosterPath` unless they already have, so `npm start` runs a signed roster like production does and
 * `lifeboat roster sign --as root-a` works in the demo without --key. Returns the trust root's path.
 */
export async function sealDemoRoster(rosterPath: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = demoKeysDir(env);
  const admins = [];
  for (const id of demoRosterAdmins) admins.push({ id, keys: [(await generateEd25519KeyPair(dir, id)).publicKeyLine] });
  const trustRoot = TrustRoot.parse({ admins, quorum: demoRosterAdmins.length });
  const trustRootPath = demoTrustRootPath(env);
  await writeFile(trustRootPath, `${JSON.stringify(trustRoot, null, 2)}\n`);
  const digest = rosterDigest(Roster.parse(JSON.parse(await readFile(rosterPath, 'utf8'))));
  const check = checkRosterSeal(digest, readSealFile(rosterPath), trustRoot);
  for (const id of demoRosterAdmins) {
    if (check.signedBy.some((s) => s.id === id)) continue;
    await signRosterSeal(rosterPath, digest, id, (text) => signStatement(text, join(dir, id)));
  }
  return trustRootPath;
}

/**
 * Gives every person of the sample roster a demo key (made once, kept after) and writes the demo roster that
 * lists their public keys, so `lifeboat approve --as bob` in the demo signs with bob's key like a real user's would.
 * The demo roster admins sign it ({@link sealDemoRoster}); the demo trust root is at {@link demoTrustRootPath}.
 * Returns the demo roster's path.
 */
export async function prepareDemoRoster(env: NodeJS.ProcessEnv = process.env, baseRoster = sampleRosterPath): Promise<string> {
  const roster = Roster.parse(JSON.parse(await readFile(baseRoster, 'utf8')));
  const dir = demoKeysDir(env);
  for (const person of roster.people) {
    const { publicKeyLine } = await generateEd25519KeyPair(dir, person.id);
    if (!person.keys.includes(publicKeyLine)) person.keys = [...person.keys, publicKeyLine];
  }
  // The demo's alert receiver signs its starts as a person of its own, in no group, so it can approve nothing.
  if (!roster.people.some((p) => p.id === demoAlertsPrincipal)) {
    const { publicKeyLine } = await generateEd25519KeyPair(dir, demoAlertsPrincipal);
    roster.people.push({ id: demoAlertsPrincipal, name: 'Alertmanager (the demo alert receiver)', groups: [], keys: [publicKeyLine] });
  }
  // So does the worker's archive signer, which seals each finished run's evidence bundle: it signs, it never approves.
  if (!roster.people.some((p) => p.id === demoArchiveSigner)) {
    const { publicKeyLine } = await generateEd25519KeyPair(dir, demoArchiveSigner);
    roster.people.push({ id: demoArchiveSigner, name: 'Evidence archiver (the demo worker seals run evidence)', groups: [], keys: [publicKeyLine] });
  }
  const out = demoRosterPath(env);
  // Passkeys enrolled in the demo (lifeboat passkey add --roster) stay; their enrolments are signed by the demo keys kept above.
  const previous =
    (
      await readFile(out, 'utf8')
        .then((text) => JSON.parse(text) as { people?: { id?: unknown; passkeys?: unknown }[] })
        .catch(() => undefined)
    )?.people ?? [];
  for (const person of roster.people) {
    const kept = previous.find((p) => p.id === person.id)?.passkeys;
    if (Array.isArray(kept) && kept.length > 0) person.passkeys = kept as NonNullable<typeof person.passkeys>;
  }
  if (!Roster.safeParse(roster).success) for (const person of roster.people) delete person.passkeys;
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(roster, null, 2)}\n`);
  await sealDemoRoster(out, env);
  return out;
}
