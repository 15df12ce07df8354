import { bigIntToBytes, bytesToBigInt, concat, equalBytes } from './ssh-wire';

/**
 * RSASSA-PKCS1-v1_5 verification (RFC 8017 section 8.2.2) with BigInt arithmetic, because the
 * workflow sandbox has no WebCrypto or node:crypto and noble ships no RSA. Only verification:
 * the public exponent is small, so the modular exponentiation stays cheap.
 */

/** An RSA public key as SSH carries it. */
export interface RsaPublicKey {
  n: bigint;
  e: bigint;
}

/** DER DigestInfo prefixes for the two hashes SSH allows with RSA (RFC 8017 section 9.2, note 1). */
const digestInfoPrefix = {
  sha256: new Uint8Array([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
  sha512: new Uint8Array([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
} as const;

/** Bit length of a positive bigint. */
export function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}

/**
 * Whether `signature` is a valid PKCS#1 v1.5 signature of `digest` (already hashed with `hash`).
 * A signature shorter than the modulus is accepted, as OpenSSH left-pads it.
 */
export function verifyRsaPkcs1(key: RsaPublicKey, hash: keyof typeof digestInfoPrefix, digest: Uint8Array, signature: Uint8Array): boolean {
  const k = Math.ceil(bitLength(key.n) / 8);
  if (signature.length > k) return false;
  const s = bytesToBigInt(signature);
  if (s >= key.n) return false;
  const encoded = bigIntToBytes(modPow(s, key.e, key.n), k);
  const digestInfo = concat(digestInfoPrefix[hash], digest);
  const padLength = k - digestInfo.length - 3;
  if (!encoded || padLength < 8) return false;
  const expected = concat(new Uint8Array([0x00, 0x01]), new Uint8Array(padLength).fill(0xff), new Uint8Array([0x00]), digestInfo);
  return equalBytes(encoded, expected);
}
