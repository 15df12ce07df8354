import { z } from 'zod';
import { canonicalJson, SIGNATURE_NAMESPACE } from './decisions/statement';
import { parsePublicKeyLine, sameKey, verifySshSignature } from './signatures';
import { decodeBase64Url, parseWebAuthnSignature, passkeyFingerprint, passkeyPoint, verifyWebAuthnAssertion } from './signatures/webauthn';

/**
 * Members of this roster group may enrol a passkey for someone else (a person with no SSH key, such as airline
 * operations). Everyone else enrols their own, proving it with one of their SSH keys.
 */
export const ROSTER_ADMINS_GROUP = 'roster-admins';

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url (letters, digits, - and _)');
const RpId = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a host name such as localhost or lifeboat.example.com');

/** What a passkey's enrolment signs and what the roster entry repeats: whose it is, its key, and its site. */
const PasskeyFields = {
  credentialId: base64url(1_400),
  publicKey: base64url(200).describe('the SubjectPublicKeyInfo the browser returned (getPublicKey()), base64url'),
  algorithm: z.enum(['ES256', 'Ed25519']),
  rpId: RpId.describe("the console's host name: passkeys only work on the site they were made for"),
  label: z.string().max(100).optional(),
};

/**
 * The statement an enrolment signs (with an SSH key, in the `lifeboat` namespace): `person` owns this passkey,
 * vouched for by `by`, the person themself or a roster admin. Its `lifeboat` tag is not a decision's, so an
 * enrolment can never be read as a decision, nor a decision as an enrolment.
 */
export const PasskeyEnrolment = z.strictObject({
  lifeboat: z.literal('passkey/v1'),
  person: z.string().max(64),
  by: z.string().max(64),
  ...PasskeyFields,
  /** The passkey's own assertion over {@link possessionText}: whoever enrolled it held it, and it was made on this site. */
  possession: z.string().max(3_000),
  issuedAt: z.iso.datetime({ offset: true }),
});
export type PasskeyEnrolment = z.infer<typeof PasskeyEnrolment>;

/** A passkey in the roster, next to a person's SSH keys, with the signed enrolment that put it there. */
export const Passkey = z.strictObject({
  ...PasskeyFields,
  enrolment: z.strictObject({ statement: z.string().max(4_000), signature: z.string().max(4_000) }),
});
export type Passkey = z.infer<typeof Passkey>;

/** What a browser hands over to enrol: the passkey's public half, its site, and its assertion proving it is held. */
export const PasskeyRequest = z.strictObject({ ...PasskeyFields, possession: z.string().max(3_000) });
export type PasskeyRequest = z.infer<typeof PasskeyRequest>;

/**
 * What a new passkey signs (as a WebAuthn challenge, its SHA-256) to show it is held by whoever enrols it: its own
 * id, key and site, so the proof cannot be moved to another passkey.
 */
export function possessionText(passkey: Pick<Passkey, 'credentialId' | 'publicKey' | 'algorithm' | 'rpId'>): string {
  return canonicalJson({
    lifeboat: 'passkey-possession/v1',
    credentialId: passkey.credentialId,
    publicKey: passkey.publicKey,
    algorithm: passkey.algorithm,
    rpId: passkey.rpId,
  });
}

/** The exact text an enrolment signs: its canonical JSON and a newline, as `ssh-keygen -Y sign` reads a file. */
export function enrolmentText(enrolment: PasskeyEnrolment): string {
  return `${canonicalJson(enrolment)}\n`;
}

interface PersonKeys {
  id: string;
  groups: string[];
  keys: string[];
}

/**
 * Why a roster entry's passkey is not soundly enrolled, or undefined when it is: the key must be a valid point, and
 * the enrolment must name this person and repeat this entry exactly, signed by the person's own SSH key or by the
 * SSH key of a member of {@link ROSTER_ADMINS_GROUP}. The roster file stays the authority; this makes each passkey in
 * it traceable to a key that was already trusted.
 */
export function passkeyProblem(person: PersonKeys, passkey: Passkey, people: readonly PersonKeys[]): string | undefined {
  try {
    passkeyPoint(passkey.algorithm, decodeBase64Url(passkey.publicKey));
  } catch (err) {
    return (err as Error).message;
  }
  let json: unknown;
  try {
    json = JSON.parse(passkey.enrolment.statement);
  } catch {
    return 'the enrolment statement is not JSON; add the passkey with lifeboat passkey add';
  }
  const parsed = PasskeyEnrolment.safeParse(json);
  if (!parsed.success) return `the enrolment statement is malformed (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`;
  const e = parsed.data;
  if (passkey.enrolment.statement !== enrolmentText(e)) return 'the enrolment statement is not in canonical form';
  if (e.person !== person.id) return `the enrolment is for ${e.person}, not ${person.id}`;
  for (const field of ['credentialId', 'publicKey', 'algorithm', 'rpId'] as const) {
    if (e[field] !== passkey[field]) return `the entry's ${field} differs from the one its enrolment signed`;
  }
  const possession = parseWebAuthnSignature(e.possession);
  const held = possession.ok ? verifyWebAuthnAssertion(passkey, possession.assertion, possessionText(passkey)) : possession;
  if (!held.ok) return `the enrolment does not prove the passkey was held: ${held.reason}`;
  const signer = people.find((p) => p.id === e.by);
  if (!signer) return `the enrolment is signed as ${e.by}, who is not in the roster`;
  if (e.by !== person.id && !signer.groups.includes(ROSTER_ADMINS_GROUP))
    return `${e.by} may not enrol a passkey for ${person.id}: only ${person.id} or a member of ${ROSTER_ADMINS_GROUP} may`;
  const checked = verifySshSignature(passkey.enrolment.signature, passkey.enrolment.statement, SIGNATURE_NAMESPACE);
  if (!checked.ok) return `the enrolment's signature does not verify: ${checked.reason}`;
  const owns = signer.keys.some((line) => {
    const key = parsePublicKeyLine(line);
    return key.ok && sameKey(key.key, checked.publicKey);
  });
  if (!owns) return `the enrolment is signed by ${checked.publicKey.fingerprint}, which is not one of ${e.by}'s SSH keys`;
  return undefined;
}

export { passkeyFingerprint };
