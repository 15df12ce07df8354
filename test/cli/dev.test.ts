import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort, isListening } from '../../lib/free-port';
import { lifeboat } from '../helpers/cli';
import { freeDevPort, killDevs, startDev, type DevProcess } from '../helpers/lifeboat-dev';

const stateDirs: string[] = [];
const running: DevProcess[] = [];
afterAll(async () => {
  await killDevs(running, stateDirs);
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

/** A state folder of its own for each start, so no test's server meets another's database or records. */
function newStateDir(): string {
  stateDirs.push(mkdtempSync(join(tmpdir(), 'lifeboat-dev-')));
  return stateDirs.at(-1)!;
}

/** `lifeboat dev` without the estate (tested apart), on its own ports, in the given state folder. */
function startDevOnly(env: Record<string, string>, stateDir = newStateDir()): DevProcess {
  const dev = startDev({ stateDir, env, args: ['--no-estate'] });
  running.push(dev);
  return dev;
}

test('npm start brings up the dev server and a worker, refuses a second start, and Ctrl-C stops what it started', async () => {
  const port = await freeDevPort();
  const [alertsPort, consolePort] = [await freePort(), await freePort()];
  const env = {
    LIFEBOAT_DEV_PORT: String(port),
    LIFEBOAT_TASK_QUEUE: `dev-test-${port}`,
    LIFEBOAT_ALERTS_PORT: String(alertsPort),
    LIFEBOAT_CONSOLE_PORT: String(consolePort),
  };
  const stateDir = newStateDir();
  const dev = startDevOnly(env, stateDir);
  await dev.waitFor('Lifeboat is up.');
  // The demo's alert receiver, with the sample rules, answers only with its token.
  expect(dev.output()).toContain(
    `  alerts:       http://127.0.0.1:${alertsPort}/alerts (bearer token in ${join(stateDir, 'alerts-token')}); rules alert-rules.sample.json`,
  );
  expect((await fetch(`http://127.0.0.1:${alertsPort}/alerts`, { method: 'POST', body: '{}' })).status).toBe(401);
  // The console, on loopback, with the demo roster's people.
  expect(dev.output()).toContain(`  console:      http://localhost:${consolePort} (loopback only;`);
  expect(await (await fetch(`http://localhost:${consolePort}/api/config`)).json()).toMatchObject({
    rpId: 'localhost',
    temporalUiUrl: `http://localhost:${port + 1000}`,
    people: expect.arrayContaining([expect.objectContaining({ id: 'dave' })]),
  });
  expect(dev.output()).toMatch(new RegExp(`Temporal dev server started on 127\\.0\\.0\\.1:${port} \\(pid \\d+\\); web UI http://localhost:${port + 1000}`));
  expect(dev.output()).toContain(`  Temporal UI:  http://localhost:${port + 1000}`);
  expect(dev.output()).toContain('npx lifeboat run region-failover --set service=booking --set mode=planned --as alice');

  // The web UI follows the server's port (1,000 above it, as the temporal CLI does), and the CLI reaches the server.
  expect((await fetch(`http://127.0.0.1:${port + 1000}/`)).ok).toBe(true);
  const listed = await lifeboat(['list', '--json'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  expect(listed.code).toBe(0);

  const second = await lifeboat(['dev', '--no-estate'], { ...env, LIFEBOAT_STATE_DIR: stateDir, TEMPORAL_ADDRESS: undefined });
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(new RegExp(`^error: Lifeboat dev is already running \\(pid ${dev.child.pid}\\)`));

  dev.child.kill('SIGINT');
  expect((await dev.exited).code).toBe(0);
  expect(dev.output()).toContain('stopping the Temporal dev server...');
  expect(dev.output()).toContain('stopped.');
  expect(await isListening(port)).toBe(false);
  expect(await isListening(port + 1000)).toBe(false);
  expect(await isListening(alertsPort)).toBe(false);
  expect(await isListening(consolePort)).toBe(false);
}, 150_000);

test('LIFEBOAT_DEV_UI_PORT puts the web UI on a port of its own', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const dev = startDevOnly({ LIFEBOAT_DEV_PORT: String(port), LIFEBOAT_DEV_UI_PORT: String(uiPort), LIFEBOAT_TASK_QUEUE: `dev-test-${port}` });
  await dev.waitFor('Lifeboat is up.');
  expect(dev.output()).toContain(`  Temporal UI:  http://localhost:${uiPort}`);
  expect((await fetch(`http://127.0.0.1:${uiPort}/`)).ok).toBe(true);
  dev.child.kill('SIGINT');
  expect((await dev.exited).code).toBe(0);
  expect(await isListening(uiPort)).toBe(false);
}, 150_000);

test('a port taken by something that is not Temporal is named, with the variable that changes it', async () => {
  const blocker = createServer(() => undefined);
  const port = await freePort();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  try {
    const dev = startDevOnly({ LIFEBOAT_DEV_PORT: String(port) });
    expect((await dev.exited).code).toBe(1);
    expect(dev.output()).toContain(`error: port ${port} is taken by a program that is not a Temporal server; stop it, or set LIFEBOAT_DEV_PORT`);
  } finally {
    blocker.close();
  }
}, 60_000);
