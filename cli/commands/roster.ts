import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readRoster, RosterError } from '../../activities/roster';
import { demoRosterPath, demoTrustRootPath } from '../../dev/demo-keys';
import { checkRosterSeal, sealShortfall, type SealCheck, type TrustRoot } from '../../lib/roster-seal';
import { addSealSignature, readSealFile, sealPathFor, sealStatementFor } from '../../lib/roster-seal-file';
import { readTrustRoot, trustRootPathFrom, TrustRootError } from '../../lib/trust-root';
import { rosterDigest } from '../../kit/trust';
import { commonOptions, type Command } from '../command';
import type { CliContext } from '../context';
import { CliError, ExitCode, usageError } from '../errors';
import { ClaimedName, signTextAs } from '../signing';

const usage = [
  'lifeboat roster sign --roster FILE --as ADMIN [--key KEYFILE] [--trust-root FILE]',
  'lifeboat roster check --roster FILE [--trust-root FILE] [--json]',
].join('\n       ');

/**
 * `lifeboat roster sign` and `lifeboat roster check`: the roster admins' side of the roster seal. A worker uses a
 * roster only when a quorum of the admins in its trust root signed that roster's digest, so a change of who may
 * approve is a new roster that the admins sign here, each with their own SSH key.
 */
export const rosterCommand: Command = {
  name: 'roster',
  summary: 'Sign the roster as a roster admin, or check whether enough admins have signed it',
  usage,
  options: {
    ...commonOptions,
    roster: { type: 'string' },
    as: { type: 'string' },
    key: { type: 'string' },
    'trust-root': { type: 'string' },
  },
  async run(ctx, { positionals, values }) {
    const action = positionals[0];
    if (action !== 'sign' && action !== 'check')
      throw usageError(action ? `unknown roster command "${action}"` : 'say what to do: sign or check', `usage: ${usage}`);
    const rosterPath = rosterFileFrom(ctx, values.roster as string | undefined);
    const roster = await readRoster(rosterPath).catch((err: unknown) => {
      if (err instanceof RosterError)
        throw new CliError(err.message, { code: 'invalid-roster', suggestion: 'fix the roster first; admins sign a roster the worker can read' });
      throw err;
    });
    const digest = rosterDigest(roster);
    const trustRoot = trustRootFor(ctx, values['trust-root'] as string | undefined, rosterPath, action === 'check');
    if (action === 'sign') return sign(ctx, rosterPath, digest, trustRoot, values);
    return check(ctx, rosterPath, checkRosterSeal(digest, readSealFile(rosterPath), trustRoot!), trustRoot!);
  },
};

async function sign(ctx: CliContext, rosterPath: string, digest: string, trustRoot: TrustRoot | undefined, values: Record<string, unknown>): Promise<number> {
  const claimed = ClaimedName.safeParse(values.as);
  if (values.as === undefined) throw usageError('say which roster admin signs: --as ADMIN', `usage: ${usage}`);
  if (!claimed.success) throw usageError(`--as ${String(values.as)} is not an admin id`, 'name the admin as the trust root does, such as root-a');
  const by = claimed.data;
  if (trustRoot && !trustRoot.admins.some((a) => a.id === by))
    throw new CliError(`${by} is not a roster admin of the trust root`, {
      code: 'not-an-admin',
      suggestion: `sign as one of ${trustRoot.admins.map((a) => a.id).join(', ')}, or add ${by} to the trust root first`,
    });
  const { text } = sealStatementFor(digest, by);
  const signature = await signTextAs(ctx, by, text, values);
  if (trustRoot) {
    // Checked before it is written: a signature the worker would not count never enters the seal.
    const alone = checkRosterSeal(digest, { lifeboat: 'roster-seal/v1', rosterDigest: digest, signatures: [{ statement: text, signature }] }, trustRoot);
    if (alone.signedBy.length === 0)
      throw new CliError(`the signature would not count: ${alone.refused.join('; ')}`, {
        code: 'refused',
        suggestion: `sign with the key the trust root lists for ${by} (--key FILE)`,
      });
  }
  const seal = addSealSignature(rosterPath, digest, by, { statement: text, signature });
  const result = trustRoot ? checkRosterSeal(digest, seal, trustRoot) : undefined;
  if (ctx.json)
    ctx.printJson({
      roster: rosterPath,
      seal: sealPathFor(rosterPath),
      rosterDigest: digest,
      by,
      ...(result ? { signedBy: result.signedBy, quorum: result.quorum, met: result.met } : {}),
    });
  else {
    ctx.print(`${by} signed the roster ${rosterPath} (${digest}); seal ${sealPathFor(rosterPath)}`);
    if (result)
      ctx.print(
        result.met
          ? `signed by ${result.signedBy.length} of the ${result.quorum} roster admins it needs (${names(result)}): workers use it from the next gate`
          : `signed by ${result.signedBy.length} of the ${result.quorum} roster admins it needs (${names(result)}); workers refuse it until ${result.quorum - result.signedBy.length} more sign`,
      );
    else ctx.io.stderr('# no trust root given (--trust-root or LIFEBOAT_TRUST_ROOT), so whether enough admins signed was not checked\n');
  }
  return 0;
}

function check(ctx: CliContext, rosterPath: string, result: SealCheck, trustRoot: TrustRoot): number {
  if (ctx.json) {
    ctx.printJson({ roster: rosterPath, seal: sealPathFor(rosterPath), ...result });
    return result.met ? ExitCode.ok : ExitCode.refused;
  }
  ctx.print(
    [
      `roster:  ${rosterPath}`,
      `digest:  ${result.rosterDigest}`,
      `seal:    ${existsSync(sealPathFor(rosterPath)) ? sealPathFor(rosterPath) : `${sealPathFor(rosterPath)} (none)`}${result.sealedDigest ? ` (signed ${result.sealedDigest}, another roster)` : ''}`,
      `signed:  ${result.signedBy.map((s) => `${s.id} at ${s.issuedAt}`).join(', ') || 'nobody'}`,
      ...result.refused.map((r) => `ignored: ${r}`),
      `quorum:  ${result.signedBy.length} of ${result.quorum} admins (${trustRoot.admins.map((a) => a.id).join(', ')}): ${result.met ? 'met; workers use this roster' : 'NOT met; workers refuse this roster'}`,
    ].join('\n'),
  );
  const shortfall = sealShortfall(result, trustRoot, rosterPath);
  if (shortfall) throw new CliError(shortfall, { code: 'roster-not-signed', suggestion: 'each roster admin signs with their own key; then check again' });
  return ExitCode.ok;
}

function names(result: SealCheck): string {
  return result.signedBy.map((s) => s.id).join(', ') || 'none';
}

function rosterFileFrom(ctx: CliContext, flag: string | undefined): string {
  const named = flag ?? ctx.env.LIFEBOAT_ROSTER;
  if (!named) throw usageError('name the roster: --roster FILE (or set LIFEBOAT_ROSTER)', `usage: ${usage}`);
  return resolve(named);
}

/**
 * `--trust-root`, LIFEBOAT_TRUST_ROOT, or the demo's for the demo roster. `check` needs one; `sign` uses one to refuse
 * a signature that would not count, and signs without when there is none (an admin away from the workers' config).
 */
function trustRootFor(ctx: CliContext, flag: string | undefined, rosterPath: string, required: boolean): TrustRoot | undefined {
  const demo = rosterPath === demoRosterPath(ctx.env) && existsSync(demoTrustRootPath(ctx.env)) ? demoTrustRootPath(ctx.env) : undefined;
  const path = trustRootPathFrom(flag, ctx.env, demo);
  if (!path) {
    if (!required) return undefined;
    throw usageError('name the trust root the workers are given: --trust-root FILE (or set LIFEBOAT_TRUST_ROOT)', 'it lists the roster admins and the quorum');
  }
  try {
    return readTrustRoot(path);
  } catch (err) {
    if (err instanceof TrustRootError)
      throw new CliError(err.message, { code: 'invalid-trust-root', suggestion: 'fix the field named above', exitCode: ExitCode.usage });
    throw err;
  }
}
