import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeyring } from './codec-keys';

/** The encoding an encrypted payload carries; anything else passes through decode untouched. */
export const encryptedEncoding = 'binary/encrypted';
/** The metadata key naming the key that encrypted a payload, so a rotated-out key still decrypts old runs. */
export const keyIdMetadataKey = 'encryption-key-id';

const ivBytes = 12;
const tagBytes = 16;

/** A payload marked encrypted names a key id this process does not hold. */
export class CodecKeyNotFoundError extends Error {
  override readonly name = 'CodecKeyNotFoundError';
  constructor(
    readonly keyId: string,
    held: readonly string[],
    source: string,
  ) {
    super(
      `a payload is encrypted with key "${keyId}", which ${source} does not hold (it holds: ${held.join(', ')}); ` +
        `add key "${keyId}" back to the keys file: keep old keys for as long as runs encrypted with them exist`,
    );
  }
}

/**
 * An encrypted payload that cannot be decrypted: it was altered, cut short, or the key with its id is not the key
 * that encrypted it. Retrying will not help.
 */
export class CodecDecryptError extends Error {
  override readonly name = 'CodecDecryptError';
}

/**
 * Encrypts every payload with AES-256-GCM under the keyring's current key. The whole inner Payload (its metadata and
 * data) is serialized and encrypted, so even the encoding is hidden; the outer payload only says `binary/encrypted`
 * and which key id to decrypt with. Data is IV (12 random bytes) || ciphertext || tag (16 bytes).
 *
 * Runs on the worker and client side only; workflow code never sees it.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeyring) {
    if (!keyring.keys.has(keyring.currentId)) throw new Error(`the current key "${keyring.currentId}" is not in the keyring`);
  }

  /** The id new payloads are encrypted with. */
  get currentKeyId(): string {
    return this.keyring.currentId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentId;
    const key = this.keyring.keys.get(keyId)!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(encryptedEncoding), [keyIdMetadataKey]: Buffer.from(keyId) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || Buffer.from(encoding).toString() !== encryptedEncoding) return payload;
      const keyIdBytes = payload.metadata?.[keyIdMetadataKey];
      if (!keyIdBytes || keyIdBytes.length === 0) {
        throw new CodecDecryptError(`an encrypted payload has no ${keyIdMetadataKey} in its metadata, so no key can be chosen to decrypt it`);
      }
      const keyId = Buffer.from(keyIdBytes).toString();
      const key = this.keyring.keys.get(keyId);
      if (!key) throw new CodecKeyNotFoundError(keyId, [...this.keyring.keys.keys()], this.keyring.source);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < ivBytes + tagBytes) {
        throw new CodecDecryptError(`an encrypted payload (key "${keyId}") is ${data.length} bytes, shorter than its IV and tag`);
      }
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, ivBytes), { authTagLength: tagBytes });
      decipher.setAuthTag(data.subarray(data.length - tagBytes));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(ivBytes, data.length - tagBytes)), decipher.final()]);
      } catch {
        throw new CodecDecryptError(
          `an encrypted payload failed authentication with key "${keyId}": it was altered, or the key under that id is not the one that encrypted it`,
        );
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
