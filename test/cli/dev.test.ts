import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort, isListening } from '../../lib/free-port';
import { lifeboat } from '../helpers/cli';

const entry = resolve(__dirname, '../../bin/lifeboat.js');
const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-dev-'));
const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

/** `lifeboat dev` as `npm start` runs it, on its own ports and state folder, without the estate (tested apart). */
function startDev(env: Record<string, string>) {
  const child = spawn(process.execPath, [entry, 'dev', '--no-estate'], {
    env: { ...process.env, TEMPORAL_ADDRESS: undefined, LIFEBOAT_STATE_DIR: stateDir, LIFEBOAT_LOG_LEVEL: 'WARN', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = async (text: string, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!output.includes(text)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`lifeboat dev never printed "${text}":\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, waitFor, output: () => output };
}

test('npm start brings up the dev server and a worker, refuses a second start, and Ctrl-C stops what it started', async () => {
  const port = await freePort();
  const env = { LIFEBOAT_DEV_PORT: String(port), LIFEBOAT_UI_PORT: String(await freePort()), LIFEBOAT_TASK_QUEUE: `dev-test-${port}` };
  const dev = startDev(env);
  await dev.waitFor('Lifeboat is up.');
  expect(dev.output()).toContain(`Temporal dev server started on 127.0.0.1:${port}`);
  expect(dev.output()).toContain('npx lifeboat run region-failover --set service=booking --set mode=planned --as alice');

  // The CLI reaches the embedded server on that port.
  const listed = await lifeboat(['list', '--json'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  expect(listed.code).toBe(0);

  const second = await lifeboat(['dev', '--no-estate'], { ...env, LIFEBOAT_STATE_DIR: stateDir, TEMPORAL_ADDRESS: undefined });
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(new RegExp(`^error: Lifeboat dev is already running \\(pid ${dev.child.pid}\\)`));

  dev.child.kill('SIGINT');
  expect(await dev.exited).toBe(0);
  expect(dev.output()).toContain('stopping the Temporal dev server...');
  expect(dev.output()).toContain('stopped.');
  expect(await isListening(port)).toBe(false);
}, 150_000);

test('a port taken by something that is not Temporal is named, with the variable that changes it', async () => {
  const blocker = createServer(() => undefined);
  const port = await freePort();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  try {
    const dev = startDev({ LIFEBOAT_DEV_PORT: String(port), LIFEBOAT_UI_PORT: String(await freePort()) });
    expect(await dev.exited).toBe(1);
    expect(dev.output()).toContain(`error: port ${port} is taken by a program that is not a Temporal server; stop it, or set LIFEBOAT_DEV_PORT`);
  } finally {
    blocker.close();
  }
}, 60_000);
