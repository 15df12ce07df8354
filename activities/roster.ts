import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { readSealFile } from '../lib/roster-seal-file';
import { checkRosterSeal, sealShortfall, type SealCheck, type TrustRoot } from '../lib/roster-seal';
import { readTrustRoot, TrustRootError } from '../lib/trust-root';
import { ErrorType } from '../kit';
import { Roster, rosterDigest } from '../kit/trust';

/** Reads and validates a roster file; the error names the file, the field and the fix. */
export async function readRoster(path: string): Promise<Roster> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RosterError(
      `cannot read the roster ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; set --roster or LIFEBOAT_ROSTER to a roster file`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RosterError(`the roster ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = Roster.safeParse(json);
  if (!parsed.success) throw new RosterError(`the roster ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A roster that cannot be used as it is; retrying will not fix it, editing the file will. */
export class RosterError extends Error {
  override readonly name = 'RosterError';
}

/** A roster that is valid but not signed by a quorum of roster admins: sign it, or put back the signed one. */
export class RosterNotSignedError extends RosterError {}

/**
 * Reads a roster and uses it only when a quorum of the trust root's admins signed its digest. A roster edited after
 * sealing, or never sealed, throws {@link RosterError} naming what is missing and the command that fixes it.
 */
export async function readSealedRoster(path: string, trustRoot: TrustRoot): Promise<{ roster: Roster; seal: SealCheck }> {
  const roster = await readRoster(path);
  let sealJson: unknown;
  try {
    sealJson = readSealFile(path);
  } catch (err) {
    throw new RosterError(`cannot read the seal of the roster ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const seal = checkRosterSeal(rosterDigest(roster), sealJson, trustRoot);
  const shortfall = sealShortfall(seal, trustRoot, path);
  if (shortfall) throw new RosterNotSignedError(shortfall);
  return { roster, seal };
}

/** The trust root a worker was given, or why it has none; read once, so editing the file later changes nothing. */
type GivenTrustRoot = { trustRoot: TrustRoot } | { problem: string };

function trustRootFromEnv(env: NodeJS.ProcessEnv): GivenTrustRoot {
  const path = env.LIFEBOAT_TRUST_ROOT;
  if (!path)
    return {
      problem:
        'this worker has no trust root, so it cannot tell a roster its admins signed from an edited one; start it with --trust-root FILE or LIFEBOAT_TRUST_ROOT',
    };
  try {
    return { trustRoot: readTrustRoot(path) };
  } catch (err) {
    if (err instanceof TrustRootError) return { problem: err.message };
    throw err;
  }
}

/**
 * What a run does with an unsigned roster, said where the on-call engineer reads it. The roster is refused rather than
 * replaced by an older signed one kept in memory: who may approve must not depend on which worker picked the gate up or
 * whether it restarted, and an edit nobody signed is either unfinished or an attack, so a person should look.
 */
const atTheGate =
  'This worker uses no roster its admins have not signed, so no decision counts against it:' +
  ' put back the signed roster (git checkout, or the copy you deployed) or have the admins sign this one;' +
  ' a run stopped at a gate then goes on when you retry the step (lifeboat retry RUN)';

/**
 * The roster activity. `trustRoot` is what the worker was given at start; without it, LIFEBOAT_TRUST_ROOT is read
 * once, at the first load. With neither, every load fails: a worker never trusts a roster nobody vouched for.
 */
export function createRosterActivities(deps: { rosterPath: string; trustRoot?: TrustRoot }) {
  let given: GivenTrustRoot | undefined = deps.trustRoot ? { trustRoot: deps.trustRoot } : undefined;
  return {
    /**
     * Read at each gate, so a change of who is on call applies to the next gate without a restart, once the roster
     * admins have signed it. An unsigned change is refused, non-retryably.
     */
    async loadRoster(): Promise<Roster> {
      given ??= trustRootFromEnv(process.env);
      try {
        if ('problem' in given) throw new RosterError(given.problem);
        return (await readSealedRoster(deps.rosterPath, given.trustRoot)).roster;
      } catch (err) {
        if (err instanceof RosterNotSignedError) throw ApplicationFailure.nonRetryable(`${err.message}. ${atTheGate}`, ErrorType.RosterInvalid);
        if (err instanceof RosterError) throw ApplicationFailure.nonRetryable(err.message, ErrorType.RosterInvalid);
        throw err;
      }
    },
  };
}
