import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64, encodeBase64 } from './base64';
import { bitLength, type RsaPublicKey } from './rsa';
import { equalBytes, SshFormatError, SshReader } from './ssh-wire';

/**
 * The key types a person may list. FIDO (`sk-`) keys are included because hardware keys are what
 * careful operators use; plain `ssh-rsa` is included for old estates, verified only with SHA-2.
 */
export const supportedKeyTypes = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com', 'ssh-rsa'] as const;
export type SshKeyType = (typeof supportedKeyTypes)[number];

/** RSA keys shorter than this are refused: 1024-bit moduli are within reach of factoring. */
export const minRsaBits = 2048;
const maxRsaBits = 16384;
const maxKeyLineLength = 8192;

/** A public key as a person lists it, with the fingerprint `ssh-keygen -l` prints for it. */
export interface ParsedKey {
  type: SshKeyType;
  /** The key's SSH wire blob: what two keys are compared by. */
  blob: Uint8Array;
  /** `SHA256:` and the unpadded base64 of sha256(blob), exactly as `ssh-keygen -l` shows it. */
  fingerprint: string;
  comment?: string;
}

/** What a verifier needs from a key blob, by type. `application` is the FIDO relying-party id (usually "ssh:"). */
export type KeyMaterial =
  | { type: 'ssh-ed25519'; point: Uint8Array }
  | { type: 'sk-ssh-ed25519@openssh.com'; point: Uint8Array; application: Uint8Array }
  | { type: 'ecdsa-sha2-nistp256'; point: Uint8Array }
  | { type: 'sk-ecdsa-sha2-nistp256@openssh.com'; point: Uint8Array; application: Uint8Array }
  | { type: 'ssh-rsa'; rsa: RsaPublicKey };

/** Thrown by {@link parsePublicKey} when a line is not a well-formed public key of a supported type. */
export class SshKeyError extends Error {
  override readonly name = 'SshKeyError';
}

/** Whether a type name is one this module verifies. */
export function isSupportedKeyType(type: string): type is SshKeyType {
  return (supportedKeyTypes as readonly string[]).includes(type);
}

/** The refusal for a type we do not verify; it lists the ones we do so the person can pick one. */
export function unsupportedTypeMessage(type: string): string {
  return `key type "${type}" is not supported; use one of: ${supportedKeyTypes.join(', ')}`;
}

/** `SHA256:` fingerprint of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Uint8Array): string {
  return `SHA256:${encodeBase64(sha256(blob), { padding: false })}`;
}

/**
 * Reads a key's wire blob into what verification needs, checking that the points lie on their
 * curves and the RSA modulus is long enough, so a bad key fails when the roster loads rather than
 * when someone tries to sign. Throws {@link SshFormatError} or {@link SshKeyError}.
 */
export function readKeyBlob(blob: Uint8Array): KeyMaterial {
  const reader = new SshReader(blob, 'public key');
  const type = reader.text('key type');
  if (!isSupportedKeyType(type)) throw new SshKeyError(unsupportedTypeMessage(type));
  let material: KeyMaterial;
  switch (type) {
    case 'ssh-ed25519':
    case 'sk-ssh-ed25519@openssh.com': {
      const point = reader.string('ed25519 public key');
      if (point.length !== 32 || !isEd25519Point(point)) throw new SshKeyError('the ed25519 public key is not a valid curve point');
      material = type === 'ssh-ed25519' ? { type, point } : { type, point, application: reader.string('application') };
      break;
    }
    case 'ecdsa-sha2-nistp256':
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const curve = reader.text('curve name');
      if (curve !== 'nistp256') throw new SshKeyError(`the key says curve "${curve}", but ${type} keys use nistp256`);
      const point = reader.string('ecdsa public key');
      if (!isP256Point(point)) throw new SshKeyError('the nistp256 public key is not a valid curve point');
      material = type === 'ecdsa-sha2-nistp256' ? { type, point } : { type, point, application: reader.string('application') };
      break;
    }
    case 'ssh-rsa': {
      const e = reader.mpint('RSA exponent');
      const n = reader.mpint('RSA modulus');
      const bits = bitLength(n);
      if (bits < minRsaBits) throw new SshKeyError(`the RSA key has ${bits} bits; at least ${minRsaBits} are required (make an ed25519 key instead)`);
      if (bits > maxRsaBits) throw new SshKeyError(`the RSA key has ${bits} bits; at most ${maxRsaBits} are supported`);
      if (e < 3n || (e & 1n) === 0n || bitLength(e) > 64 || (n & 1n) === 0n) throw new SshKeyError('the RSA key has an invalid exponent or modulus');
      material = { type, rsa: { n, e } };
      break;
    }
  }
  reader.end();
  return material;
}

function isEd25519Point(bytes: Uint8Array): boolean {
  try {
    ed25519.Point.fromBytes(bytes, false);
    return true;
  } catch {
    return false;
  }
}

function isP256Point(bytes: Uint8Array): boolean {
  try {
    p256.Point.fromBytes(bytes).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses one key in `authorized_keys` / `allowed_signers` key form, `<type> <base64> [comment]`,
 * and checks that the blob's own type is the declared one (a mismatch means a pasting mistake).
 * Throws {@link SshKeyError} with a sentence a person can act on.
 */
export function parsePublicKey(line: string): ParsedKey {
  if (line.length > maxKeyLineLength) throw new SshKeyError(`the key line is ${line.length} characters; at most ${maxKeyLineLength} are accepted`);
  const match = /^(\S+)\s+(\S+)(?:\s+([^]*))?$/.exec(line.trim());
  if (!match) throw new SshKeyError('expected a public key as "<type> <base64> [comment]", as in a .pub file');
  const [, declared = '', data = '', rawComment] = match;
  if (!isSupportedKeyType(declared)) throw new SshKeyError(unsupportedTypeMessage(declared));

  let blob: Uint8Array;
  try {
    blob = decodeBase64(data);
  } catch (err) {
    throw new SshKeyError(`the key data is not valid base64 (${(err as Error).message})`);
  }
  let material: KeyMaterial;
  try {
    material = readKeyBlob(blob);
  } catch (err) {
    if (err instanceof SshKeyError) throw err;
    if (err instanceof SshFormatError) throw new SshKeyError(`the key data is damaged: ${err.message}`);
    throw err;
  }
  if (material.type !== declared) throw new SshKeyError(`the line says "${declared}" but the key data is a "${material.type}" key`);

  const comment = rawComment?.trim();
  return { type: material.type, blob, fingerprint: fingerprintOf(blob), ...(comment ? { comment } : {}) };
}

/** The outcome of {@link parsePublicKeyLine}: the key, or why the line is not one. */
export type PublicKeyLineResult = { ok: true; key: ParsedKey } | { ok: false; reason: string };

/**
 * {@link parsePublicKey} without throwing, for a zod refinement, which must add an issue rather than throw:
 * `z.string().superRefine((line, ctx) => { const r = parsePublicKeyLine(line); if (!r.ok) ctx.addIssue({ code: 'custom', message: r.reason }); })`.
 */
export function parsePublicKeyLine(line: string): PublicKeyLineResult {
  try {
    return { ok: true, key: parsePublicKey(line) };
  } catch (err) {
    if (err instanceof SshKeyError) return { ok: false, reason: err.message };
    return { ok: false, reason: `not a usable public key: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Whether two keys are the same key. Compare a verified signature's key with the keys listed for a
 * person this way (or by fingerprint): the comment is ignored, the whole blob must match.
 */
export function sameKey(a: Uint8Array | Pick<ParsedKey, 'blob'>, b: Uint8Array | Pick<ParsedKey, 'blob'>): boolean {
  return equalBytes('blob' in a ? a.blob : a, 'blob' in b ? b.blob : b);
}
