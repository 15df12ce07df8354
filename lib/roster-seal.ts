import { z } from 'zod';
import { canonicalJson, parsePublicKeyLine, verifySshSignature } from '../kit/trust';

/**
 * The roster seal: roster admins sign the roster's digest, and a worker uses a roster only when a quorum of the
 * admins its trust root names has signed that exact digest. Pure (no Node built-ins, no files), so the worker, the
 * CLI and an auditor's tool check a seal the same way.
 */

/** The SSHSIG namespace of every Lifeboat signature; a seal signature is told apart by what it signs. */
export const SEAL_NAMESPACE = 'lifeboat';

const adminId = z.string().regex(/^[a-z][a-z0-9._-]{0,63}$/, 'a lowercase id such as "root-a"');
const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-12-05T03:00:00Z' });
const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'sha256: and 64 hex digits');

const AdminKeyLine = z
  .string()
  .max(16_384, 'a public key line is at most 16384 characters')
  .superRefine((line, ctx) => {
    const parsed = parsePublicKeyLine(line);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.reason}; paste the admin's .pub line, such as "ssh-ed25519 AAAA... root-a@laptop"` });
  });

/**
 * Who may change the roster: the roster admins (each with the SSH public keys that prove a signature is theirs) and
 * how many of them must sign a roster. Given to the worker at start, never read from the roster, so an edited roster
 * cannot lower its own bar. `notBefore` retires every seal signature issued earlier: set it when a roster that
 * removed someone must not be rolled back to an older signed one.
 */
export const TrustRoot = z
  .strictObject({
    admins: z
      .array(
        z.strictObject({
          id: adminId,
          keys: z.array(AdminKeyLine).min(1, "list at least one key (the admin's .pub line)").max(16),
        }),
      )
      .min(1, 'list at least one roster admin')
      .max(64),
    quorum: z
      .number({ message: 'a whole number of admins, such as 2' })
      .int('a whole number of admins, such as 2')
      .min(1, 'at least 1; a roster nobody signs is never used'),
    notBefore: isoTime.optional(),
  })
  .superRefine((root, ctx) => {
    if (root.quorum > root.admins.length)
      ctx.addIssue({
        code: 'custom',
        path: ['quorum'],
        message: `${root.quorum} is more than the ${root.admins.length} admin(s) listed, so no roster could ever be used; lower it or add admins`,
      });
    const ids = new Set<string>();
    const owners = new Map<string, string>();
    root.admins.forEach((admin, a) => {
      if (ids.has(admin.id)) ctx.addIssue({ code: 'custom', path: ['admins', a, 'id'], message: `"${admin.id}" is listed twice; keep one entry per admin` });
      ids.add(admin.id);
      admin.keys.forEach((line, k) => {
        const parsed = parsePublicKeyLine(line);
        if (!parsed.ok) return;
        const owner = owners.get(parsed.key.fingerprint);
        if (owner !== undefined && owner !== admin.id)
          ctx.addIssue({
            code: 'custom',
            path: ['admins', a, 'keys', k],
            message: `this key (${parsed.key.fingerprint}) is already ${owner}'s; one key would count as two admins, so give each admin their own`,
          });
        owners.set(parsed.key.fingerprint, admin.id);
      });
    });
  });
export type TrustRoot = z.infer<typeof TrustRoot>;

/**
 * What one admin signs: the roster's digest, who signs, and when. `lifeboat: "roster/v1"` keeps it apart from a
 * decision (`decision/v1`) or a passkey enrolment (`passkey/v1`): none of them parses as another.
 */
export const SealStatement = z.strictObject({
  lifeboat: z.literal('roster/v1'),
  rosterDigest: digest,
  by: adminId,
  issuedAt: isoTime,
});
export type SealStatement = z.infer<typeof SealStatement>;

/** One admin's signature in a seal: the statement's exact text and an armoured SSH signature over it. */
export const SealSignature = z.strictObject({
  statement: z.string().min(1).max(1_000, 'a seal statement is at most 1000 characters'),
  signature: z.string().min(1).max(8_192, 'an SSH signature is at most 8192 characters'),
});
export type SealSignature = z.infer<typeof SealSignature>;

/** The sidecar file next to a roster (`roster.json.sig.json`): the digest it seals, for people, and the signatures. */
export const RosterSeal = z.strictObject({
  lifeboat: z.literal('roster-seal/v1'),
  rosterDigest: digest,
  signatures: z.array(SealSignature).max(64, 'at most 64 signatures'),
});
export type RosterSeal = z.infer<typeof RosterSeal>;

/** The exact text an admin signs: canonical JSON and a newline, as `ssh-keygen -Y sign` reads a file. */
export function sealStatementText(statement: SealStatement): string {
  return `${canonicalJson(SealStatement.parse(statement))}\n`;
}

/** What a seal proves about one roster digest under one trust root. */
export interface SealCheck {
  rosterDigest: string;
  quorum: number;
  /** Distinct admins whose valid signature covers this digest, with when each signed. */
  signedBy: { id: string; issuedAt: string }[];
  /** Why each other signature does not count, for the person fixing the seal. */
  refused: string[];
  /** The digest the seal says it seals, when the seal is for another roster. */
  sealedDigest?: string;
  met: boolean;
}

/**
 * Checks a seal (as read from its file, unvalidated) against the digest of the roster in hand. Each admin counts once
 * however many signatures they made; a signature counts only when its text is a `roster/v1` statement for this very
 * digest, by an admin of the trust root, made with one of that admin's keys in namespace `lifeboat`. Never throws.
 */
export function checkRosterSeal(rosterDigest: string, seal: unknown, trustRoot: TrustRoot): SealCheck {
  const result: SealCheck = { rosterDigest, quorum: trustRoot.quorum, signedBy: [], refused: [], met: false };
  if (seal === undefined) return result;
  const parsed = RosterSeal.safeParse(seal);
  if (!parsed.success) {
    result.refused.push(`the seal file is not a roster seal: ${z.prettifyError(parsed.error).replace(/\n\s*/g, ' ')}`);
    return result;
  }
  if (parsed.data.rosterDigest !== rosterDigest) result.sealedDigest = parsed.data.rosterDigest;
  for (const entry of parsed.data.signatures) {
    const outcome = checkSignature(entry, rosterDigest, trustRoot);
    if (typeof outcome === 'string') result.refused.push(outcome);
    else if (!result.signedBy.some((s) => s.id === outcome.id)) result.signedBy.push(outcome);
  }
  result.signedBy.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  result.met = result.signedBy.length >= trustRoot.quorum;
  return result;
}

function checkSignature(entry: SealSignature, rosterDigest: string, trustRoot: TrustRoot): { id: string; issuedAt: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(entry.statement);
  } catch {
    return 'a signature covers text that is not JSON';
  }
  const statement = SealStatement.safeParse(json);
  if (!statement.success) return 'a signature covers something other than a roster/v1 statement';
  const { by, issuedAt } = statement.data;
  if (entry.statement !== sealStatementText(statement.data)) return `${by}'s statement is not in canonical form; sign it again with lifeboat roster sign`;
  if (statement.data.rosterDigest !== rosterDigest) return `${by} signed another roster (${statement.data.rosterDigest})`;
  const admin = trustRoot.admins.find((a) => a.id === by);
  if (!admin) return `${by} is not a roster admin of the trust root`;
  if (trustRoot.notBefore !== undefined && Date.parse(issuedAt) < Date.parse(trustRoot.notBefore))
    return `${by} signed at ${issuedAt}, before the trust root's notBefore ${trustRoot.notBefore}`;
  const verified = verifySshSignature(entry.signature, entry.statement, SEAL_NAMESPACE);
  if (!verified.ok) return `${by}'s signature does not verify: ${verified.reason}`;
  const known = admin.keys.some((line) => {
    const key = parsePublicKeyLine(line);
    return key.ok && key.key.fingerprint === verified.publicKey.fingerprint;
  });
  if (!known) return `${by}'s signature is made with a key (${verified.publicKey.fingerprint}) the trust root does not list for ${by}`;
  return { id: by, issuedAt };
}

/**
 * The sentence a worker or `lifeboat roster check` prints when a seal falls short: what is missing and the command
 * that supplies it. Undefined when the quorum is met.
 */
export function sealShortfall(check: SealCheck, trustRoot: TrustRoot, rosterPath: string): string | undefined {
  if (check.met) return undefined;
  const signers = check.signedBy.map((s) => s.id);
  const admins = trustRoot.admins.map((a) => a.id).filter((id) => !signers.includes(id));
  const sign = `sign it with lifeboat roster sign --roster ${rosterPath} --as ADMIN (admins who have not signed: ${admins.join(', ') || 'none'})`;
  const changed = check.sealedDigest
    ? `the roster ${rosterPath} changed since its admins signed it (it is ${check.rosterDigest}, they signed ${check.sealedDigest}); `
    : '';
  const why = check.refused.length > 0 ? `; not counted: ${check.refused.join('; ')}` : '';
  return (
    `${changed}the roster ${check.rosterDigest} is signed by ${check.signedBy.length} of the ${check.quorum} roster admins it needs` +
    ` (${signers.join(', ') || 'none'})${why}; ${sign}`
  );
}
