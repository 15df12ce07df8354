// @ts-check
// Passkeys (WebAuthn): signing a prepared statement, and making a new passkey to enrol. Decisions are signed here, in
// the browser, with the person's passkey; the server only relays them to the run, which verifies them.

/** @import { PreparedStatement } from './api.js' */

/**
 * Bytes as base64url without padding, as WebAuthn and the roster write them.
 * @param {ArrayBuffer} buffer
 */
export function b64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {string} text */
function fromB64url(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** @param {Uint8Array} bytes */
function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {string} text */
async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/**
 * The `sha256:` digest of a text, as the console writes a statement's.
 * @param {string} text
 */
export async function digestOf(text) {
  return `sha256:${hex(await sha256(text))}`;
}

/**
 * Signs a prepared statement with a passkey: the challenge is SHA-256 of the statement's canonical JSON, computed
 * here from the very text that is sent, so the passkey signs what the page shows.
 * @param {PreparedStatement} prepared
 * @returns {Promise<string>} The signature as the run takes it: `webauthn.v1.` and the assertion's parts.
 */
export async function signWithPasskey(prepared) {
  if (!window.PublicKeyCredential) throw new Error('this browser has no passkey support');
  const canonical = prepared.statement.replace(/\n$/, '');
  const digest = await sha256(canonical);
  if (`sha256:${hex(digest)}` !== prepared.digest) throw new Error('the statement does not match its digest; not signing');
  /** @type {{ by?: string }} */
  const { by } = JSON.parse(canonical);
  if (!prepared.credentialIds.length)
    throw new Error(`${by} has no passkey for ${prepared.rpId} in the roster; enrol one on the Passkeys page (lifeboat passkey add), or use the CLI`);
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: digest,
      rpId: prepared.rpId,
      allowCredentials: prepared.credentialIds.map((id) => ({ type: 'public-key', id: fromB64url(id) })),
      userVerification: 'required',
      timeout: 120000,
    },
  });
  if (!credential) throw new Error('no passkey answered');
  const { rawId, response } = /** @type {PublicKeyCredential} */ (credential);
  const r = /** @type {AuthenticatorAssertionResponse} */ (response);
  return `webauthn.v1.${[b64url(rawId), b64url(r.authenticatorData), b64url(r.clientDataJSON), b64url(r.signature)].join('.')}`;
}

/**
 * A new passkey, made for the console's site and the person enrolling it (ES256 or Ed25519, user verification
 * required): its id, public key and algorithm, for the roster.
 * @param {{ rpId: string, userId: string, displayName: string }} who
 * @returns {Promise<{ credentialId: string, publicKey: string, algorithm: string }>}
 */
export async function createPasskey({ rpId, userId, displayName }) {
  const credential = await navigator.credentials.create({
    publicKey: {
      rp: { id: rpId, name: 'Lifeboat' },
      user: { id: new TextEncoder().encode(userId), name: userId, displayName },
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -8 },
      ],
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      timeout: 120000,
    },
  });
  if (!credential) throw new Error('no passkey answered');
  const { rawId, response } = /** @type {PublicKeyCredential} */ (credential);
  const made = /** @type {AuthenticatorAttestationResponse} */ (response);
  const alg = made.getPublicKeyAlgorithm();
  const publicKey = made.getPublicKey();
  // Null when this browser cannot write the key out (an algorithm it does not know): the roster could not check it.
  if (!publicKey) throw new Error(`this browser cannot export the new passkey's public key (algorithm ${alg}); make it in another browser`);
  return {
    credentialId: b64url(rawId),
    publicKey: b64url(publicKey),
    algorithm: alg === -7 ? 'ES256' : alg === -8 ? 'Ed25519' : `unsupported (${alg})`,
  };
}
