import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { decodeBase64 } from './base64';
import { verifyKeySignature } from './key-signature';
import { fingerprintOf, readKeyBlob, SshKeyError, type ParsedKey } from './ssh-public-key';
import { concat, SshFormatError, SshReader, sshString, toBytes } from './ssh-wire';

/**
 * Verification of `ssh-keygen -Y sign` signatures (OpenSSH PROTOCOL.sshsig), pure and
 * deterministic so that a workflow can check an approval's signature itself and get the same answer
 * on every replay.
 */

/** Armoured signatures longer than this are refused unread; a real one is well under 2 KiB even for RSA-4096. */
export const maxArmoredSignatureLength = 8 * 1024;

/** The hash algorithms SSHSIG allows for the message. */
export const sshsigHashAlgorithms = { sha256, sha512 } as const;
export type SshsigHashAlgorithm = keyof typeof sshsigHashAlgorithms;

export const sshsigMagic = 'SSHSIG';
export const sshsigVersion = 1;
export const sshsigBegin = '-----BEGIN SSH SIGNATURE-----';
export const sshsigEnd = '-----END SSH SIGNATURE-----';

/** A verified signature names the key that made it; an unverified one says why, for the person who signed. */
export type SshSignatureResult = { ok: true; publicKey: ParsedKey; hashAlgorithm: SshsigHashAlgorithm } | { ok: false; reason: string };

/**
 * The bytes an SSHSIG signature covers: the magic, then namespace, reserved, hash algorithm and
 * H(message) as SSH strings. Binding the namespace stops a signature made for git commits or
 * file checks from being replayed as an approval.
 */
export function sshsigSignedData(namespace: string, hashAlgorithm: SshsigHashAlgorithm, message: Uint8Array): Uint8Array {
  const digest = sshsigHashAlgorithms[hashAlgorithm](message);
  return concat(toBytes(sshsigMagic), sshString(namespace), sshString(new Uint8Array(0)), sshString(hashAlgorithm), sshString(digest));
}

/**
 * Verifies an armoured SSH signature over `message` (a string is taken as its UTF-8 bytes; note
 * that `ssh-keygen` signs exactly the bytes it reads, trailing newline included) for `namespace`.
 * It only proves which key signed: compare `publicKey` with the keys listed for the person using
 * `sameKey` or the fingerprint. Never throws; malformed input is refused with a reason.
 */
export function verifySshSignature(armored: string, message: Uint8Array | string, namespace: string): SshSignatureResult {
  try {
    return verify(armored, message, namespace);
  } catch (err) {
    if (err instanceof SshFormatError) return refuse(`the signature is damaged: ${err.message}`);
    if (err instanceof SshKeyError) return refuse(`the signing key cannot be used: ${err.message}`);
    return refuse(`the signature could not be checked: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function verify(armored: string, message: Uint8Array | string, expectedNamespace: string): SshSignatureResult {
  if (typeof armored !== 'string') return refuse('not an SSH signature');
  if (armored.length > maxArmoredSignatureLength) {
    return refuse(`the signature is ${armored.length} characters long; at most ${maxArmoredSignatureLength} are accepted`);
  }
  if (!expectedNamespace) return refuse('no namespace given to check the signature against');

  const body = dearmor(armored);
  if (typeof body !== 'string') return body;
  let blob: Uint8Array;
  try {
    blob = decodeBase64(body);
  } catch (err) {
    return refuse(`the signature's base64 is damaged (${(err as Error).message})`);
  }

  const reader = new SshReader(blob, 'signature');
  if (new TextDecoder().decode(reader.take(Math.min(sshsigMagic.length, blob.length), 'magic')) !== sshsigMagic) {
    return refuse('not an SSH signature (the SSHSIG header is missing)');
  }
  const version = reader.uint32('version');
  if (version !== sshsigVersion) return refuse(`SSHSIG version ${version} is not supported (expected ${sshsigVersion})`);
  const keyBlob = reader.string('public key');
  const namespace = reader.text('namespace');
  const reserved = reader.string('reserved');
  const hashAlgorithm = reader.text('hash algorithm');
  const signature = reader.string('signature');
  reader.end();

  if (namespace !== expectedNamespace) return refuse(`signed for namespace "${namespace}", expected "${expectedNamespace}"; sign with -n ${expectedNamespace}`);
  if (reserved.length !== 0) return refuse('the signature has a non-empty reserved field, which no SSHSIG version 1 signer writes');
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') return refuse(`hash algorithm "${hashAlgorithm}" is not one SSHSIG allows (sha256, sha512)`);

  const key = readKeyBlob(keyBlob);
  const result = verifyKeySignature(key, signature, sshsigSignedData(namespace, hashAlgorithm, toBytes(message)));
  if (!result.ok) return result;
  return { ok: true, publicKey: { type: key.type, blob: keyBlob, fingerprint: fingerprintOf(keyBlob) }, hashAlgorithm };
}

/** The base64 between the BEGIN and END lines, or the refusal. Blank lines around the block are tolerated. */
function dearmor(armored: string): string | { ok: false; reason: string } {
  const lines = armored.trim().split(/\r?\n/);
  if (lines[0]?.trim() !== sshsigBegin) return refuse(`not an SSH signature (expected a "${sshsigBegin}" block)`);
  const end = lines.findIndex((line) => line.trim() === sshsigEnd);
  if (end < 0) return refuse(`the signature is cut short (no "${sshsigEnd}" line)`);
  if (end !== lines.length - 1) return refuse(`unexpected text after "${sshsigEnd}"`);
  return lines.slice(1, end).join('');
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
