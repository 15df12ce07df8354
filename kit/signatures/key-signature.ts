import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { verifyRsaPkcs1 } from './rsa';
import type { KeyMaterial } from './ssh-public-key';
import { bigIntToBytes, concat, SshReader, uint32 } from './ssh-wire';

/**
 * Checks one SSH signature blob (`string type, string signature [, FIDO fields]`) against data,
 * for each supported key type. Split from the SSHSIG envelope because the per-algorithm rules
 * (ECDSA's mpint pair, FIDO's flags and counter, RSA's SHA-2 names) are a concern of their own.
 */

/** The user-presence bit of a FIDO signature's flags: someone touched the security key. */
export const fidoUserPresent = 0x01;

/** Verification outcome; the reason is written for the person who made the signature. */
export type KeySignatureResult = { ok: true } | { ok: false; reason: string };

const mismatch: KeySignatureResult = { ok: false, reason: 'signature does not match' };

/**
 * Verifies `signatureBlob` over `data` with `key`. Throws only {@link SshFormatError} for a
 * malformed blob, which the caller turns into a refusal.
 */
export function verifyKeySignature(key: KeyMaterial, signatureBlob: Uint8Array, data: Uint8Array): KeySignatureResult {
  const reader = new SshReader(signatureBlob, 'signature');
  const algorithm = reader.text('signature type');
  if (key.type === 'ssh-rsa') {
    if (algorithm === 'ssh-rsa') return { ok: false, reason: 'the RSA signature uses SHA-1 (ssh-rsa), which is refused; sign with a current ssh-keygen' };
    if (algorithm !== 'rsa-sha2-256' && algorithm !== 'rsa-sha2-512') return wrongAlgorithm(algorithm, key.type);
    const signature = reader.string('RSA signature');
    reader.end();
    const ok =
      algorithm === 'rsa-sha2-256' ? verifyRsaPkcs1(key.rsa, 'sha256', sha256(data), signature) : verifyRsaPkcs1(key.rsa, 'sha512', sha512(data), signature);
    return ok ? { ok: true } : mismatch;
  }
  if (algorithm !== key.type) return wrongAlgorithm(algorithm, key.type);

  switch (key.type) {
    case 'ssh-ed25519': {
      const signature = reader.string('ed25519 signature');
      reader.end();
      return checked(() => ed25519.verify(signature, data, key.point, { zip215: false }));
    }
    case 'ecdsa-sha2-nistp256': {
      const signature = readEcdsaSignature(reader);
      reader.end();
      return checked(() => signature !== undefined && p256.verify(signature, sha256(data), key.point, { prehash: false, lowS: false }));
    }
    case 'sk-ssh-ed25519@openssh.com': {
      const signature = reader.string('ed25519 signature');
      const { flags, signed } = readFidoFields(reader, key.application, data);
      reader.end();
      return withUserPresence(
        flags,
        checked(() => ed25519.verify(signature, signed, key.point, { zip215: false })),
      );
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com': {
      const signature = readEcdsaSignature(reader);
      const { flags, signed } = readFidoFields(reader, key.application, data);
      reader.end();
      const verified = checked(() => signature !== undefined && p256.verify(signature, sha256(signed), key.point, { prehash: false, lowS: false }));
      return withUserPresence(flags, verified);
    }
  }
}

/** SSH's ECDSA signature, `string(mpint r, mpint s)`, as the 64-byte r||s noble takes; undefined when out of range. */
function readEcdsaSignature(reader: SshReader): Uint8Array | undefined {
  const inner = new SshReader(reader.string('ecdsa signature'), 'ecdsa signature');
  const r = inner.mpint('r');
  const s = inner.mpint('s');
  inner.end();
  const rBytes = bigIntToBytes(r, 32);
  const sBytes = bigIntToBytes(s, 32);
  return rBytes && sBytes ? concat(rBytes, sBytes) : undefined;
}

/**
 * A FIDO authenticator signs sha256(application) || flags || counter || sha256(data), not the data
 * itself (OpenSSH PROTOCOL.u2f); the flags and counter travel after the signature.
 */
function readFidoFields(reader: SshReader, application: Uint8Array, data: Uint8Array): { flags: number; signed: Uint8Array } {
  const flags = reader.byte('flags');
  const counter = reader.uint32('counter');
  return { flags, signed: concat(sha256(application), new Uint8Array([flags]), uint32(counter), sha256(data)) };
}

function checked(verify: () => boolean): KeySignatureResult {
  try {
    return verify() ? { ok: true } : mismatch;
  } catch {
    return mismatch;
  }
}

function wrongAlgorithm(algorithm: string, keyType: string): KeySignatureResult {
  return { ok: false, reason: `the signature is of type "${algorithm}", which a ${keyType} key does not make` };
}

/** A genuine FIDO signature made without a touch is refused: a program could have used the plugged-in key unseen. */
function withUserPresence(flags: number, result: KeySignatureResult): KeySignatureResult {
  if (!result.ok || flags & fidoUserPresent) return result;
  return {
    ok: false,
    reason: `the security key did not confirm a touch (flags 0x${flags.toString(16).padStart(2, '0')}); sign again and touch the key when it blinks`,
  };
}
