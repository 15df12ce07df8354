import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { Ed25519 } from '../kit/trust';

/** The DER header of a PKCS #8 Ed25519 private key (RFC 8410), which the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const privateKeyOf = (seed32: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed32]), format: 'der', type: 'pkcs8' });

/**
 * Ed25519 from Node's own crypto: the same bytes as the kit's portable one (Ed25519 is deterministic), without the
 * tens of milliseconds a JavaScript implementation spends warming up on a process's first signature, which is the
 * only one a CLI call makes.
 */
export const nodeEd25519: Ed25519 = {
  publicKey: (seed32) => new Uint8Array(createPublicKey(privateKeyOf(seed32)).export({ format: 'der', type: 'spki' }).subarray(-32)),
  sign: (data, seed32) => new Uint8Array(sign(null, data, privateKeyOf(seed32))),
};
