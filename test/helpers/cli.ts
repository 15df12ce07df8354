import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { inject } from 'vitest';
import { requireTemporalCli } from '../../dev/temporal-binaries';
import { testNamespace } from './temporal';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const entry = resolve(__dirname, '../../bin/lifeboat.js');

/** Runs a program to its end, collecting what it prints and its exit code. */
function runToEnd(program: string, args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(program, args, { ...(env ? { env } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolveResult({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs the real `lifeboat` entry point in a child process, as a user's shell would. */
export function lifeboat(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runToEnd(process.execPath, [entry, ...args], {
    ...process.env,
    // The test people's keys sign as the person `--as` names; the roster lists their public keys.
    LIFEBOAT_USER: undefined,
    LIFEBOAT_KEYS_DIR: inject('testKeysDir'),
    LIFEBOAT_ROSTER: inject('testRosterPath'),
    LIFEBOAT_TRUST_ROOT: inject('testTrustRootPath'),
    TEMPORAL_NAMESPACE: testNamespace(),
    ...env,
  });
}

/** Runs the stock `temporal` CLI against the test server, in this test file's namespace, as an operator's shell would. */
export function temporalCli(args: string[], address: string): Promise<CliResult> {
  return runToEnd(requireTemporalCli().path, [...args, '--address', address, '--namespace', testNamespace()]);
}

/**
 * Runs `lifeboat` in this process through `main(argv, io, env)`, with the environment {@link lifeboat} gives the
 * child, for commands that need no server of their own: faster, and the same code path after argument parsing.
 */
export async function lifeboatInProcess(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const { main } = await import('../../cli/main');
  let stdout = '';
  let stderr = '';
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    LIFEBOAT_USER: undefined,
    LIFEBOAT_KEYS_DIR: inject('testKeysDir'),
    LIFEBOAT_ROSTER: inject('testRosterPath'),
    LIFEBOAT_TRUST_ROOT: inject('testTrustRootPath'),
    TEMPORAL_NAMESPACE: testNamespace(),
    ...env,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const code = await main(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) }, merged);
  return { code, stdout, stderr };
}
