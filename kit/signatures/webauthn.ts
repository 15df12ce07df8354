import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64, encodeBase64 } from './base64';
import { fingerprintOf } from './ssh-public-key';
import { concat } from './ssh-wire';

/**
 * Passkey (WebAuthn) signatures for workflow code. A browser signs a decision with `navigator.credentials.get`,
 * whose challenge is the statement's canonical digest; the assertion travels in the same `signature` field an SSH
 * signature does, marked by {@link WEBAUTHN_SIGNATURE_PREFIX}. Pure JavaScript, no Node built-ins.
 */

/** What marks a `signature` as a WebAuthn assertion: `webauthn.v1.` then four base64url fields joined by dots. */
export const WEBAUTHN_SIGNATURE_PREFIX = 'webauthn.v1.';

/** The COSE algorithms a passkey in the roster may use: ES256 (-7, most authenticators) and Ed25519 (-8). */
export type PasskeyAlgorithm = 'ES256' | 'Ed25519';

/** A passkey as the roster lists it: its credential id and SPKI public key (both base64url) and the site it belongs to. */
export interface PasskeyPublicKey {
  credentialId: string;
  publicKey: string;
  algorithm: PasskeyAlgorithm;
  /** The WebAuthn relying party id (the console's host name, such as `localhost` or `lifeboat.example.com`). */
  rpId: string;
}

/** An assertion as the browser returns it, each field base64url. */
export interface WebAuthnAssertionFields {
  credentialId: string;
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
}

const b64url = /^[A-Za-z0-9_-]*$/;

export function decodeBase64Url(text: string): Uint8Array {
  if (!b64url.test(text)) throw new Error('not base64url');
  return decodeBase64(text.replace(/-/g, '+').replace(/_/g, '/'));
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, { padding: false }).replace(/\+/g, '-').replace(/\//g, '_');
}

/** Puts an assertion into the `signature` field of a signed decision. */
export function encodeWebAuthnSignature(a: WebAuthnAssertionFields): string {
  return `${WEBAUTHN_SIGNATURE_PREFIX}${[a.credentialId, a.authenticatorData, a.clientDataJSON, a.signature].join('.')}`;
}

export function isWebAuthnSignature(signature: string): boolean {
  return signature.startsWith(WEBAUTHN_SIGNATURE_PREFIX);
}

export function parseWebAuthnSignature(signature: string): { ok: true; assertion: WebAuthnAssertionFields } | { ok: false; reason: string } {
  const parts = signature.slice(WEBAUTHN_SIGNATURE_PREFIX.length).split('.');
  if (parts.length !== 4 || parts.some((p) => !p || !b64url.test(p))) {
    return { ok: false, reason: 'a passkey signature is webauthn.v1. and four base64url fields (credential id, authenticator data, client data, signature)' };
  }
  const [credentialId, authenticatorData, clientDataJSON, sig] = parts as [string, string, string, string];
  return { ok: true, assertion: { credentialId, authenticatorData, clientDataJSON, signature: sig } };
}

const SPKI_P256_PREFIX = hex('3059301306072a8648ce3d020106082a8648ce3d030107034200');
const SPKI_ED25519_PREFIX = hex('302a300506032b6570032100');

/** The raw public key inside a passkey's SPKI, checked to be a point of its curve; throws with the reason. */
export function passkeyPoint(algorithm: PasskeyAlgorithm, spki: Uint8Array): Uint8Array {
  const [prefix, length] = algorithm === 'ES256' ? [SPKI_P256_PREFIX, 65] : [SPKI_ED25519_PREFIX, 32];
  if (spki.length !== prefix.length + length || !prefix.every((b, i) => spki[i] === b)) {
    throw new Error(`the public key is not an ${algorithm === 'ES256' ? 'ES256 (P-256)' : 'Ed25519'} SubjectPublicKeyInfo`);
  }
  const point = spki.subarray(prefix.length);
  try {
    if (algorithm === 'ES256') p256.Point.fromBytes(point).assertValidity();
    else ed25519.Point.fromBytes(point).assertValidity();
  } catch {
    throw new Error('the public key is not a point of its curve');
  }
  return point;
}

/** `SHA256:…` of the passkey's SPKI, in the form `ssh-keygen -l` prints, so status and verify show one kind of fingerprint. */
export function passkeyFingerprint(publicKey: string): string {
  return fingerprintOf(decodeBase64Url(publicKey));
}

/** The key type status and `lifeboat verify` show for a passkey signature. */
export function passkeyKeyType(algorithm: PasskeyAlgorithm): string {
  return algorithm === 'ES256' ? 'webauthn-es256' : 'webauthn-ed25519';
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;

export type WebAuthnResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks that `assertion` is `passkey`'s signature over `message`: the challenge is sha256 of the message, the
 * ceremony was a `webauthn.get` on the passkey's site (origin and relying party id), the person was present and
 * verified (PIN or biometrics), and the signature matches. The signature counter is not checked: passkeys that sync
 * between devices report zero, and a workflow has no place to keep it across runs.
 */
export function verifyWebAuthnAssertion(passkey: PasskeyPublicKey, assertion: WebAuthnAssertionFields, message: string): WebAuthnResult {
  if (assertion.credentialId !== passkey.credentialId) return { ok: false, reason: 'the assertion is from another passkey' };
  let authData: Uint8Array;
  let clientDataBytes: Uint8Array;
  let signature: Uint8Array;
  let point: Uint8Array;
  try {
    authData = decodeBase64Url(assertion.authenticatorData);
    clientDataBytes = decodeBase64Url(assertion.clientDataJSON);
    signature = decodeBase64Url(assertion.signature);
    point = passkeyPoint(passkey.algorithm, decodeBase64Url(passkey.publicKey));
  } catch (err) {
    return { ok: false, reason: `malformed assertion: ${(err as Error).message}` };
  }
  let clientData: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown };
  try {
    clientData = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(clientDataBytes)) as typeof clientData;
  } catch {
    return { ok: false, reason: 'the client data is not JSON' };
  }
  if (clientData.type !== 'webauthn.get') return { ok: false, reason: `the client data is for "${String(clientData.type).slice(0, 40)}", not webauthn.get` };
  const expected = encodeBase64Url(sha256(new TextEncoder().encode(message)));
  if (clientData.challenge !== expected) return { ok: false, reason: "the passkey signed another statement (its challenge is not this statement's digest)" };
  if (clientData.crossOrigin === true) return { ok: false, reason: 'the passkey was used from a page embedded in another site' };
  if (typeof clientData.origin !== 'string' || !originMatches(clientData.origin, passkey.rpId)) {
    return { ok: false, reason: `the passkey was used on ${String(clientData.origin).slice(0, 100)}, not on ${passkey.rpId}` };
  }
  if (authData.length < 37) return { ok: false, reason: 'the authenticator data is too short' };
  const rpIdHash = sha256(new TextEncoder().encode(passkey.rpId));
  if (!rpIdHash.every((b, i) => authData[i] === b)) return { ok: false, reason: `the authenticator signed for another site than ${passkey.rpId}` };
  const flags = authData[32]!;
  if (!(flags & FLAG_USER_PRESENT)) return { ok: false, reason: 'the authenticator did not confirm that someone was present' };
  if (!(flags & FLAG_USER_VERIFIED)) return { ok: false, reason: 'the authenticator did not verify the person (PIN or biometrics)' };
  const signed = concat(authData, sha256(clientDataBytes));
  let ok = false;
  try {
    ok =
      passkey.algorithm === 'ES256'
        ? p256.verify(signature, sha256(signed), point, { prehash: false, lowS: false, format: 'der' })
        : ed25519.verify(signature, signed, point, { zip215: false });
  } catch {
    ok = false;
  }
  return ok ? { ok: true } : { ok: false, reason: 'the passkey signature does not match' };
}

/** An origin belongs to a relying party id when its host is that id or a subdomain; plain http only on localhost. */
function originMatches(origin: string, rpId: string): boolean {
  const m = /^(https?):\/\/([^/:?#]+)(?::(\d{1,5}))?$/.exec(origin);
  if (!m) return false;
  const [, scheme, host] = m as unknown as [string, string, string];
  if (scheme === 'http' && host !== 'localhost') return false;
  return host === rpId || host.endsWith(`.${rpId}`);
}

function hex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}
