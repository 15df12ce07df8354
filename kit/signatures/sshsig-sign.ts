import { ed25519 } from '@noble/curves/ed25519.js';
import { encodeBase64 } from './base64';
import { concat, sshString, toBytes, uint32 } from './ssh-wire';
import { sshsigBegin, sshsigEnd, sshsigMagic, sshsigSignedData, sshsigVersion } from './sshsig';

/** `ssh-keygen` wraps the armour's base64 at this width. */
const armourLineWidth = 70;

/** Ed25519 itself: the public key of a 32-byte seed, and a signature of some bytes by it. */
export interface Ed25519 {
  publicKey(seed32: Uint8Array): Uint8Array;
  sign(data: Uint8Array, seed32: Uint8Array): Uint8Array;
}

/** Ed25519 in plain JavaScript, which runs anywhere the kit does (the workflow sandbox, a browser, tests). */
const portableEd25519: Ed25519 = { publicKey: (seed) => ed25519.getPublicKey(seed), sign: (data, seed) => ed25519.sign(data, seed) };

/**
 * Signs like `ssh-keygen -Y sign -n <namespace>` with an ed25519 key (sha512, the tool's default),
 * byte for byte the same output, since ed25519 signatures are deterministic. Lets tests, benchmarks
 * and the demo sign in-process in microseconds instead of spawning ssh-keygen for every approval.
 * `seed32` is the 32-byte ed25519 private seed (what an OpenSSH private key file stores first). The CLI passes
 * Node's own Ed25519 (`curve`), which gives the same bytes without warming up a JavaScript implementation first.
 */
export function signSshSignatureEd25519(seed32: Uint8Array, message: Uint8Array | string, namespace: string, curve: Ed25519 = portableEd25519): string {
  if (seed32.length !== 32) throw new Error(`an ed25519 seed is 32 bytes, got ${seed32.length}`);
  if (!namespace) throw new Error('a signature needs a namespace, such as "lifeboat"');
  const publicKeyBlob = concat(sshString('ssh-ed25519'), sshString(curve.publicKey(seed32)));
  const signature = curve.sign(sshsigSignedData(namespace, 'sha512', toBytes(message)), seed32);
  const blob = concat(
    toBytes(sshsigMagic),
    uint32(sshsigVersion),
    sshString(publicKeyBlob),
    sshString(namespace),
    sshString(new Uint8Array(0)),
    sshString('sha512'),
    sshString(concat(sshString('ssh-ed25519'), sshString(signature))),
  );
  const base64 = encodeBase64(blob);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += armourLineWidth) lines.push(base64.slice(i, i + armourLineWidth));
  return `${sshsigBegin}\n${lines.join('\n')}\n${sshsigEnd}\n`;
}
