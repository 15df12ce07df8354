import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { stopPid } from '../../estate/processes';
import { readDevRecord } from '../../lib/dev-record';
import { freePort, isListening } from '../../lib/free-port';

const entry = resolve(__dirname, '../../bin/lifeboat.js');

export interface DevProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the output so far contains the text; fails with the output when it exits first or times out. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  output(): string;
}

/**
 * `lifeboat dev` as `npm start` runs it, in its own state folder and on the ports in `env`. With `merged`, its
 * stderr goes into the same pipe as its stdout, as under `npm start 2>&1 | tee log`.
 */
export function startDev(opts: { stateDir: string; env: Record<string, string | undefined>; args?: string[]; merged?: boolean }): DevProcess {
  const args = [entry, 'dev', ...(opts.args ?? [])];
  // The demo gives its worker the demo trust root; the tests' own (LIFEBOAT_TRUST_ROOT) would refuse the demo roster.
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: undefined,
    LIFEBOAT_TRUST_ROOT: undefined,
    LIFEBOAT_STATE_DIR: opts.stateDir,
    LIFEBOAT_LOG_LEVEL: 'WARN',
    ...opts.env,
  };
  const child = opts.merged
    ? spawn('bash', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const waitFor = async (text: string, timeoutMs = 120_000) => {
    const state = () => (output.includes(text) ? 'printed' : child.exitCode !== null || child.signalCode !== null ? 'exited' : 'waiting');
    await expect.poll(state, { timeout: timeoutMs, interval: 100 }).not.toBe('waiting');
    expect(state(), `lifeboat dev exited before it printed "${text}":\n${output}`).toBe('printed');
  };
  return { child, exited, waitFor, output: () => output };
}

/** A free port for the dev server whose web UI port (1,000 above, the default) is free too. */
export async function freeDevPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 <= 65535 && !(await isListening(port + 1000))) return port;
  }
}

/** After a failed test: kills what is left of each `lifeboat dev`, then the dev server each one recorded, which a SIGKILL orphans. */
export async function killDevs(devs: DevProcess[], stateDirs: string[]): Promise<void> {
  for (const dev of devs) dev.child.kill('SIGKILL');
  await Promise.all(devs.map((dev) => dev.exited));
  for (const dir of stateDirs) {
    const pid = readDevRecord(join(dir, 'dev.json'))?.server?.pid;
    if (pid) await stopPid(pid, 5_000);
  }
}
