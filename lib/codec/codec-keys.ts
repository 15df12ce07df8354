import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The AES-256 key size; GCM with a shorter key would silently be AES-128 or AES-192. */
export const keyBytes = 32;

const makeKeyHint = 'make one with `openssl rand -base64 32`';

/** One key of the keyring. The id goes into every payload it encrypts, so it must never be reused for another key. */
export const CodecKeyEntry = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id is 1 to 64 letters, digits, dots, dashes or underscores, such as "2026-11"')
    .describe('Written into each payload as encryption-key-id; the key that decrypts it is found by this id'),
  key: z
    .string()
    .describe('The key: base64 of 32 random bytes')
    .superRefine((value, ctx) => {
      const problem = keyProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  current: z.boolean().optional().describe('Encrypt new payloads with this key; without it, the last key does'),
});
export type CodecKeyEntry = z.infer<typeof CodecKeyEntry>;

/** The keys file named by LIFEBOAT_CODEC_KEYS. Old keys stay in it for as long as runs encrypted with them exist. */
export const CodecKeyFile = z.object({ keys: z.array(CodecKeyEntry).min(1, 'list at least one key') }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.keys.forEach((entry, index) => {
    if (seen.has(entry.id)) ctx.addIssue({ code: 'custom', path: ['keys', index, 'id'], message: `key id "${entry.id}" appears twice; ids must be unique` });
    seen.add(entry.id);
  });
  const current = file.keys.flatMap((entry, index) => (entry.current ? [index] : []));
  if (current.length > 1) {
    const message = `only one key may be "current": true (keys ${current.join(' and ')} are)`;
    ctx.addIssue({ code: 'custom', path: ['keys', current[1]!, 'current'], message });
  }
});
export type CodecKeyFile = z.infer<typeof CodecKeyFile>;

/** The keys a process holds, and which of them encrypts. */
export interface CodecKeyring {
  keys: ReadonlyMap<string, Buffer>;
  currentId: string;
  /** Where the keys came from, for messages. */
  source: string;
}

/**
 * Keys that cannot be used as configured. The message says what is wrong and how to fix it; `problem` and
 * `suggestion` carry the two halves apart for the CLI's error printer.
 */
export class CodecConfigError extends Error {
  override readonly name = 'CodecConfigError';
  constructor(
    readonly problem: string,
    readonly suggestion: string,
  ) {
    super(`${problem}\n  fix: ${suggestion}`);
  }
}

/** Why a base64 key is unusable, or undefined when it is a 32-byte key. */
function keyProblem(value: string): string | undefined {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 !== 0) return `key is not base64; ${makeKeyHint}`;
  const length = Buffer.from(trimmed, 'base64').length;
  if (length !== keyBytes) return `key is ${length} bytes, AES-256 needs exactly ${keyBytes}; ${makeKeyHint}`;
  return undefined;
}

/** Builds a keyring from validated entries: the entry marked current encrypts, else the last one. */
export function keyringFrom(entries: readonly CodecKeyEntry[], source: string): CodecKeyring {
  const keys = new Map(entries.map((entry) => [entry.id, Buffer.from(entry.key.trim(), 'base64')] as const));
  const current = entries.find((entry) => entry.current) ?? entries[entries.length - 1];
  if (!current) throw new CodecConfigError(`${source} holds no keys`, 'list at least one key');
  return { keys, currentId: current.id, source };
}

/** Parses a keys file's text; `path` is only for messages. */
export function parseKeyFile(text: string, path: string): CodecKeyring {
  const source = `the codec keys file ${path} (LIFEBOAT_CODEC_KEYS)`;
  const fileFormat = 'the file is {"keys":[{"id":"2026-11","key":"<base64 of 32 bytes>"}]}; the last key, or the one marked "current": true, encrypts';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CodecConfigError(`${source} is not valid JSON: ${(err as Error).message}`, fileFormat);
  }
  const parsed = CodecKeyFile.safeParse(json);
  if (!parsed.success) throw new CodecConfigError(`${source} is invalid:\n${z.prettifyError(parsed.error)}`, fileFormat);
  return keyringFrom(parsed.data.keys, source);
}

/** Reads the keys file named by LIFEBOAT_CODEC_KEYS. */
export function readKeyFile(path: string): CodecKeyring {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CodecConfigError(
      `cannot read the codec keys file ${path} (LIFEBOAT_CODEC_KEYS): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'point LIFEBOAT_CODEC_KEYS at a readable keys file, or unset it to run without encryption',
    );
  }
  return parseKeyFile(text, path);
}

/** Parses LIFEBOAT_CODEC_KEY, `<id>:<base64 key>`: a single key, for a quick start or a test. */
export function parseKeyVariable(value: string): CodecKeyring {
  const source = 'LIFEBOAT_CODEC_KEY';
  const colon = value.indexOf(':');
  if (colon < 0) {
    throw new CodecConfigError(`${source} is not <id>:<base64 key>`, 'set it like LIFEBOAT_CODEC_KEY=2026-11:$(openssl rand -base64 32)');
  }
  const entry = { id: value.slice(0, colon).trim(), key: value.slice(colon + 1).trim() };
  const parsed = CodecKeyEntry.safeParse(entry);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path[0] === 'id' ? 'the id before the colon' : 'the key after the colon';
    throw new CodecConfigError(`${source}: ${field}: ${issue.message}`, 'set it like LIFEBOAT_CODEC_KEY=2026-11:$(openssl rand -base64 32)');
  }
  return keyringFrom([parsed.data], source);
}

/**
 * The keyring the environment configures: LIFEBOAT_CODEC_KEYS (a keys file) or LIFEBOAT_CODEC_KEY (one key), or
 * undefined when neither is set and payloads travel unencrypted. Setting both is refused rather than guessing
 * which key should encrypt.
 */
export function keyringFromEnv(env: NodeJS.ProcessEnv): CodecKeyring | undefined {
  const file = env.LIFEBOAT_CODEC_KEYS?.trim();
  const single = env.LIFEBOAT_CODEC_KEY?.trim();
  if (file && single) {
    throw new CodecConfigError(
      'both LIFEBOAT_CODEC_KEYS and LIFEBOAT_CODEC_KEY are set',
      'set one: a keys file (LIFEBOAT_CODEC_KEYS) holds several keys for rotation; LIFEBOAT_CODEC_KEY holds a single one',
    );
  }
  if (file) return readKeyFile(file);
  if (single) return parseKeyVariable(single);
  return undefined;
}
