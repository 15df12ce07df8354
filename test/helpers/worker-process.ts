import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { inject } from 'vitest';
import type { TemporalTestContext } from './temporal';

/**
 * Starts a worker in its own process (test/runbooks/worker-process.ts), so a test can SIGKILL it the way a host dies,
 * and resolves once it polls. `env` adds test hooks: LIFEBOAT_TEST_STALL_AFTER, LIFEBOAT_WORKER_IDENTITY.
 */
export function startWorkerProcess(
  ctx: TemporalTestContext,
  opts: { taskQueue: string; targetsPath: string; env?: Record<string, string> },
): Promise<ChildProcess> {
  const script = resolve(__dirname, '../runbooks/worker-process.ts');
  const child = spawn(process.execPath, ['-e', `require('tsx/cjs/api').register(); require(${JSON.stringify(script)})`], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: ctx.address,
      LIFEBOAT_TASK_QUEUE: opts.taskQueue,
      LIFEBOAT_TEST_BUNDLE: inject('testBundlePath'),
      LIFEBOAT_ROSTER: inject('testRosterPath'),
      LIFEBOAT_TRUST_ROOT: inject('testTrustRootPath'),
      TEMPORAL_NAMESPACE: ctx.namespace,
      LIFEBOAT_TARGETS: opts.targetsPath,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((ready, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && ready(child));
    child.on('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready: ${err}`)));
  });
}

/** Resolves once the worker process prints `line` (a stalled activity says "stalled <name>"). */
export function printed(child: ChildProcess, line: string): Promise<void> {
  let out = '';
  return new Promise((done) => child.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes(line) && done()));
}
