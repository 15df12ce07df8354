import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readOpenSshEd25519PrivateKey } from '../../lib/ssh-keys';
import {
  canonicalJson,
  encodeBase64Url,
  encodeWebAuthnSignature,
  enrolmentText,
  type Passkey,
  type PasskeyAlgorithm,
  type PasskeyEnrolment,
  possessionText,
  SIGNATURE_NAMESPACE,
  type SignedDecision,
  signSshSignatureEd25519,
  type Statement,
} from '../../kit/trust';

export type { PasskeyAlgorithm };

/**
 * A software passkey for unit tests and benchmarks: it makes the assertion a browser's authenticator would, over the
 * challenge it is given, for one relying party. Browser tests use Chromium's virtual authenticators instead.
 */
export class SoftPasskey {
  readonly credentialId = encodeBase64Url(randomBytes(16));
  private readonly secret: Uint8Array;
  readonly publicKey: string;

  constructor(
    readonly algorithm: PasskeyAlgorithm = 'ES256',
    readonly rpId = 'localhost',
    readonly origin = 'http://localhost:8080',
  ) {
    if (algorithm === 'ES256') {
      this.secret = p256.utils.randomSecretKey();
      const point = p256.getPublicKey(this.secret, false);
      this.publicKey = encodeBase64Url(new Uint8Array([...hex('3059301306072a8648ce3d020106082a8648ce3d030107034200'), ...point]));
    } else {
      this.secret = ed25519.utils.randomSecretKey();
      this.publicKey = encodeBase64Url(new Uint8Array([...hex('302a300506032b6570032100'), ...ed25519.getPublicKey(this.secret)]));
    }
  }

  /** The assertion over `challenge`, with user presence and verification unless `flags` says otherwise. */
  assert(challenge: Uint8Array, opts: { flags?: number; origin?: string; type?: string; rpId?: string } = {}): string {
    const clientData = new TextEncoder().encode(
      JSON.stringify({ type: opts.type ?? 'webauthn.get', challenge: encodeBase64Url(challenge), origin: opts.origin ?? this.origin, crossOrigin: false }),
    );
    const authData = new Uint8Array([...sha256(new TextEncoder().encode(opts.rpId ?? this.rpId)), opts.flags ?? 0x05, 0, 0, 0, 0]);
    const signed = new Uint8Array([...authData, ...sha256(clientData)]);
    const signature =
      this.algorithm === 'ES256' ? p256.sign(sha256(signed), this.secret, { prehash: false, format: 'der' }) : ed25519.sign(signed, this.secret);
    return encodeWebAuthnSignature({
      credentialId: this.credentialId,
      authenticatorData: encodeBase64Url(authData),
      clientDataJSON: encodeBase64Url(clientData),
      signature: encodeBase64Url(signature),
    });
  }

  /** A statement signed with this passkey, its challenge the statement's canonical digest. */
  sign(statement: Statement, opts: Parameters<SoftPasskey['assert']>[1] = {}): SignedDecision {
    return { statement: `${canonicalJson(statement)}\n`, signature: this.assert(sha256(new TextEncoder().encode(canonicalJson(statement))), opts) };
  }

  /** The roster entry for this passkey, enrolled for `person` by `by` with `by`'s test SSH key from `keysDir`. */
  entry(person: string, keysDir: string, by = person): Passkey {
    return enrolledPasskey({ ...this.fields(), possession: this.possession() }, person, by, keysDir);
  }

  /** The passkey's public half as the enrol page hands it over. */
  fields() {
    return { credentialId: this.credentialId, publicKey: this.publicKey, algorithm: this.algorithm, rpId: this.rpId };
  }

  /** The assertion that shows this passkey is held, as the enrol page makes it right after creating the passkey. */
  possession(): string {
    return this.assert(sha256(new TextEncoder().encode(possessionText(this.fields()))));
  }
}

/** A roster entry for a passkey, its enrolment signed with `by`'s test SSH key. */
export function enrolledPasskey(
  request: Pick<Passkey, 'credentialId' | 'publicKey' | 'algorithm' | 'rpId'> & { possession: string },
  person: string,
  by: string,
  keysDir: string,
): Passkey {
  const { possession, ...fields } = request;
  const enrolment: PasskeyEnrolment = { lifeboat: 'passkey/v1', person, by, ...fields, possession, issuedAt: new Date().toISOString() };
  const text = enrolmentText(enrolment);
  const { seed } = readOpenSshEd25519PrivateKey(readFileSync(join(keysDir, by), 'utf8'));
  return { ...fields, enrolment: { statement: text, signature: signSshSignatureEd25519(seed, text, SIGNATURE_NAMESPACE) } };
}

function hex(text: string): Uint8Array {
  return new Uint8Array(text.match(/../g)!.map((b) => parseInt(b, 16)));
}
