import { AesGcmCodec } from './aes-gcm-codec';
import { keyringFromEnv } from './codec-keys';

export { AesGcmCodec, CodecDecryptError, CodecKeyNotFoundError, encryptedEncoding, keyIdMetadataKey } from './aes-gcm-codec';
export { CodecConfigError, CodecKeyEntry, CodecKeyFile, keyringFromEnv, parseKeyFile, parseKeyVariable, readKeyFile, type CodecKeyring } from './codec-keys';

/**
 * The payload codec the environment configures (LIFEBOAT_CODEC_KEYS or LIFEBOAT_CODEC_KEY), or undefined when
 * neither is set. Throws CodecConfigError, naming the field and the fix, for keys that cannot be used.
 */
export function codecFromEnv(env: NodeJS.ProcessEnv = process.env): AesGcmCodec | undefined {
  const keyring = keyringFromEnv(env);
  return keyring ? new AesGcmCodec(keyring) : undefined;
}

/**
 * What to pass as `dataConverter` to the worker and to every client, or undefined to leave payloads as they are.
 * Workers and clients must agree: a client without the codec cannot read an encrypted run's status.
 */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): { payloadCodecs: AesGcmCodec[] } | undefined {
  const codec = codecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
