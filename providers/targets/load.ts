import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Targets } from './schema';

/** The file name Lifeboat looks for in the working directory. */
export const TARGETS_FILE_NAME = 'lifeboat.targets.json';

/** Thrown when the targets file is missing or invalid; `message` names each bad field and its fix. */
export class TargetsError extends Error {
  readonly issues: { path: string; message: string }[];
  constructor(message: string, issues: { path: string; message: string }[] = []) {
    super(message);
    this.name = 'TargetsError';
    this.issues = issues;
  }
}

/** Where the sample estate writes its targets file: next to its catalog in the estate's state directory. */
export function sampleTargetsPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.LIFEBOAT_ESTATE_DIR ?? resolve(__dirname, '..', '..', '.state', 'estate');
  return resolve(dir, TARGETS_FILE_NAME);
}

/**
 * The targets file to use: `--targets`, else `LIFEBOAT_TARGETS`, else `lifeboat.targets.json` in the working directory,
 * else the one the sample estate wrote. Returns where it looked when none exists, so the error can say.
 */
export function targetsPath(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (explicit) return resolve(explicit);
  if (env.LIFEBOAT_TARGETS) return resolve(env.LIFEBOAT_TARGETS);
  const local = resolve(cwd, TARGETS_FILE_NAME);
  if (existsSync(local)) return local;
  return sampleTargetsPath(env);
}

/** Validates a parsed targets file; each issue names its path (`services.booking.traffic.runtimeApi.port`) and the fix. */
export function parseTargets(value: unknown, source = 'targets file'): Targets {
  const result = Targets.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  throw new TargetsError(`${source} is not valid:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`, issues);
}

/** Reads and validates a targets file, saying how to get one when it is missing. */
export function loadTargets(path: string): Targets {
  if (!existsSync(path)) {
    throw new TargetsError(
      `no targets file at ${path}: pass --targets FILE or set LIFEBOAT_TARGETS, or start the sample estate (npm start, or npm run estate -- up), which writes one`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TargetsError(`targets file ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseTargets(raw, path);
}
