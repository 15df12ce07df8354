import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { enrolmentText, Passkey, passkeyFingerprint, PasskeyRequest, Roster, type PasskeyEnrolment } from '../../kit/trust';
import { commonOptions, type Command } from '../command';
import { CliError, inputError, usageError } from '../errors';
import { ClaimedName, signTextAs } from '../signing';

const usage = 'lifeboat passkey add --request passkey.json --as USER [--for ID] [--key FILE] [--roster FILE] [--json]';

/**
 * `lifeboat passkey add`: vouches for a passkey made on the console's Passkeys page with an SSH key the roster already
 * trusts (yours, or a roster admin's with --for), and prints the roster entry, or adds it to the roster file given.
 * The console never writes the roster: whoever edits the roster file decides, as for SSH keys.
 */
export const passkeyCommand: Command = {
  name: 'passkey',
  summary: 'Enrol a passkey for signing from the console: sign it with your SSH key and add it to the roster',
  usage,
  options: {
    ...commonOptions,
    request: { type: 'string' },
    as: { type: 'string' },
    for: { type: 'string' },
    key: { type: 'string' },
    roster: { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    if (positionals[0] !== 'add') throw usageError(positionals[0] ? `unknown passkey command "${positionals[0]}"` : 'say what to do', `usage: ${usage}`);
    const file = values.request as string | undefined;
    if (!file) throw usageError('name the passkey request the console gave you', `usage: ${usage}`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
    } catch (err) {
      throw usageError(`cannot read --request ${file}: ${(err as Error).message}`, 'save the JSON the Passkeys page shows, or download passkey.json');
    }
    const request = PasskeyRequest.safeParse(json);
    if (!request.success)
      throw inputError(`--request ${file} is not a passkey request`, request.error, "create the passkey again on the console's Passkeys page");
    const by = ctx.identity(values.as as string | undefined);
    const person = values.for === undefined ? by : parseId(values.for);
    const enrolment: PasskeyEnrolment = { lifeboat: 'passkey/v1', person, by, ...request.data, issuedAt: new Date().toISOString() };
    const text = enrolmentText(enrolment);
    const { label, possession: _possession, ...fields } = request.data;
    const entry = Passkey.parse({ ...fields, ...(label ? { label } : {}), enrolment: { statement: text, signature: await signTextAs(ctx, by, text, values) } });
    const rosterFile = values.roster as string | undefined;
    if (rosterFile) addToRoster(rosterFile, person, entry);
    const fingerprint = passkeyFingerprint(entry.publicKey);
    if (ctx.json) ctx.printJson({ person, by, fingerprint, entry, ...(rosterFile ? { roster: rosterFile } : {}) });
    else if (rosterFile)
      ctx.print(
        `added ${person}'s passkey ${fingerprint} (${entry.algorithm}, for ${entry.rpId}) to ${rosterFile}, vouched for by ${by}; workers use it from the next gate once the roster admins sign the changed roster (lifeboat roster sign --roster ${rosterFile} --as ADMIN)`,
      );
    else {
      ctx.print(JSON.stringify(entry, null, 2));
      ctx.io.stderr(`# add this under "passkeys" of ${person} in the roster (or pass --roster FILE); passkey ${fingerprint}, vouched for by ${by}\n`);
    }
    return 0;
  },
};

function parseId(value: unknown): string {
  const parsed = ClaimedName.safeParse(value);
  if (!parsed.success) throw usageError(`--for ${String(value)} is not a roster id`, 'name the person as the roster does, such as dave');
  return parsed.data;
}

/** Adds the entry to the person's passkeys (replacing one with the same credential) and writes the roster only if it stays valid. */
function addToRoster(file: string, person: string, entry: Passkey): void {
  let roster: { people?: { id?: unknown; passkeys?: Passkey[] }[] };
  try {
    roster = JSON.parse(readFileSync(file, 'utf8')) as typeof roster;
  } catch (err) {
    throw usageError(`cannot read the roster ${file}: ${(err as Error).message}`);
  }
  const entryOf = roster.people?.find((p) => p.id === person);
  if (!entryOf) throw new CliError(`${person} is not in the roster ${file}`, { code: 'not-found', suggestion: 'add the person to the roster first' });
  entryOf.passkeys = [...(entryOf.passkeys ?? []).filter((p) => p.credentialId !== entry.credentialId), entry];
  const checked = Roster.safeParse(roster);
  if (!checked.success) throw new CliError(`the roster would be invalid with this passkey:\n${z.prettifyError(checked.error)}`, { code: 'refused' });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(roster, null, 2)}\n`);
  renameSync(temp, file);
}
