import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { TrustRoot } from './roster-seal';

/**
 * A trust root that cannot be used; the message names the file, the field and the fix. Thrown at worker start, so a
 * worker never runs with a trust root it cannot read.
 */
export class TrustRootError extends Error {
  override readonly name = 'TrustRootError';
}

/** What a trust root file looks like, for messages that tell a person how to write one. */
export const trustRootExample = '{"admins":[{"id":"root-a","keys":["ssh-ed25519 AAAA... root-a@laptop"]},{"id":"root-b","keys":["..."]}],"quorum":2}';

/** The trust root path a worker was given: `--trust-root`, else LIFEBOAT_TRUST_ROOT, else `fallback` (the demo's); undefined when none. */
export function trustRootPathFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, fallback?: string): string | undefined {
  const named = flag ?? env.LIFEBOAT_TRUST_ROOT;
  if (named) return resolve(named);
  return fallback;
}

/** Reads and validates a trust root file, once, when the worker starts. */
export function readTrustRoot(path: string): TrustRoot {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TrustRootError(
      `cannot read the trust root ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; pass --trust-root FILE or set LIFEBOAT_TRUST_ROOT to the file that names the roster admins`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TrustRootError(`the trust root ${path} is not valid JSON: ${(err as Error).message}; it looks like ${trustRootExample}`);
  }
  const parsed = TrustRoot.safeParse(json);
  if (!parsed.success) throw new TrustRootError(`the trust root ${path} is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
