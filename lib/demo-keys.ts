import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Roster } from '../workflows/kit';
import { isLocalPort, type ConnectionSettings } from './connection';
import { runningDevServerAddress } from './dev-record';
import { sampleRosterPath, stateDir } from './paths';
import { generateEd25519KeyPair } from './ssh-keys';

/** The roster id the demo's alert receiver starts runs as; its key is in the demo keys folder. */
export const demoAlertsPrincipal = 'alertmanager';

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

/**
 * Gives every person of the sample roster a demo key (made once, kept after) and writes the demo roster that
 * lists their public keys, so `lifeboat approve --as bob` in the demo signs with bob's key like a real user's would.
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
  return out;
}
