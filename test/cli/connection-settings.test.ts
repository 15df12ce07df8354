import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { main } from '../../cli/main';
import { connectionSettings, ConnectionConfigError } from '../../lib/connection';
import { talksToDemoServer } from '../../dev/demo-keys';
import { writeDevRecord } from '../../lib/dev-record';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A state folder of its own; no Temporal config file, so only the variables given here count. */
function isolated(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-connection-'));
  dirs.push(stateDir);
  return { LIFEBOAT_STATE_DIR: stateDir, TEMPORAL_CONFIG_FILE: join(stateDir, 'no-temporal.toml'), ...env };
}

/**
 * Records, as a running `npm start` does, a dev server on `port`: a stand-in process whose command line is a dev
 * server's (`start-dev` on the recorded database), since only a live server's record counts.
 */
function recordDevServer(env: NodeJS.ProcessEnv, port: number, alive = true): void {
  const dbFile = join(env.LIFEBOAT_STATE_DIR!, 'temporal', 'dev.db');
  let pid = 999_999;
  if (alive) {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)', 'start-dev', '--db-filename', dbFile], { stdio: 'ignore' });
    children.push(child);
    pid = child.pid!;
  }
  writeDevRecord(
    { pid: process.pid, startedAt: new Date().toISOString(), server: { pid, address: `127.0.0.1:${port}`, uiPort: port + 1000, dbFile, logFile: 'x' } },
    join(env.LIFEBOAT_STATE_DIR!, 'dev.json'),
  );
}

test('LIFEBOAT_DEV_PORT alone: the embedded server on that port, never localhost:7233', () => {
  const settings = connectionSettings(isolated({ LIFEBOAT_DEV_PORT: '7301' }));
  expect(settings.connectionOptions.address).toBe('127.0.0.1:7301');
  expect(settings).toMatchObject({ embedded: true, source: 'LIFEBOAT_DEV_PORT' });
});

test('the dev server a running npm start recorded in .state/dev.json is found, with LIFEBOAT_DEV_PORT or without', () => {
  const env = isolated();
  recordDevServer(env, 7302);
  expect(connectionSettings(env).connectionOptions.address).toBe('127.0.0.1:7302');
  expect(connectionSettings(env).embedded).toBe(true);
  expect(connectionSettings({ ...env, LIFEBOAT_DEV_PORT: '7302' }).connectionOptions.address).toBe('127.0.0.1:7302');
  // Another port named on purpose wins over the record.
  expect(connectionSettings({ ...env, LIFEBOAT_DEV_PORT: '7303' }).connectionOptions.address).toBe('127.0.0.1:7303');
});

test('a record whose server is gone counts for nothing: the default port, or LIFEBOAT_DEV_PORT', () => {
  const env = isolated();
  recordDevServer(env, 7304, false);
  expect(connectionSettings(env).connectionOptions.address).toBe('localhost:7233');
  expect(connectionSettings({ ...env, LIFEBOAT_DEV_PORT: '7304' }).connectionOptions.address).toBe('127.0.0.1:7304');
});

test('TEMPORAL_ADDRESS alone is used as given, and is no embedded server', () => {
  const settings = connectionSettings(isolated({ TEMPORAL_ADDRESS: 'temporal.example.com:7233' }));
  expect(settings.connectionOptions.address).toBe('temporal.example.com:7233');
  expect(settings).toMatchObject({ embedded: false, source: 'TEMPORAL_ADDRESS' });
});

test('TEMPORAL_ADDRESS and LIFEBOAT_DEV_PORT naming the same local server are the embedded server; naming different ones is an error naming both', () => {
  for (const address of ['localhost:7305', '127.0.0.1:7305']) {
    const settings = connectionSettings(isolated({ TEMPORAL_ADDRESS: address, LIFEBOAT_DEV_PORT: '7305' }));
    expect(settings.connectionOptions.address).toBe(address);
    expect(settings.embedded).toBe(true);
  }
  for (const address of ['localhost:7233', 'temporal.example.com:7305']) {
    const conflict = () => connectionSettings(isolated({ TEMPORAL_ADDRESS: address, LIFEBOAT_DEV_PORT: '7305' }));
    expect(conflict).toThrow(ConnectionConfigError);
    expect(conflict).toThrow(`TEMPORAL_ADDRESS is ${address} but LIFEBOAT_DEV_PORT is 7305: they name different Temporal servers`);
  }
  expect(() => connectionSettings(isolated({ LIFEBOAT_DEV_PORT: 'seven' }))).toThrow('LIFEBOAT_DEV_PORT must be a port number, not "seven"');
});

test('the CLI refuses conflicting settings with exit 2, saying which variable to change, before it connects', async () => {
  let stderr = '';
  const code = await main(
    ['list'],
    { stdout: () => undefined, stderr: (t) => void (stderr += t) },
    {
      ...isolated({ TEMPORAL_ADDRESS: 'localhost:7233', LIFEBOAT_DEV_PORT: '7306' }),
      PATH: process.env.PATH,
    },
  );
  expect(code).toBe(2);
  expect(stderr).toBe(
    'error: TEMPORAL_ADDRESS is localhost:7233 but LIFEBOAT_DEV_PORT is 7306: they name different Temporal servers\n' +
      '  fix: to use localhost:7233, unset LIFEBOAT_DEV_PORT; to use the embedded dev server on port 7306, unset TEMPORAL_ADDRESS (or set TEMPORAL_ADDRESS=127.0.0.1:7306)\n',
  );
});

test('demo keys apply to the demo server whatever its address, and never to a configured cluster', () => {
  const env = isolated();
  recordDevServer(env, 7307);
  // As the CLI finds it by itself, by LIFEBOAT_DEV_PORT, and by the address npm start printed.
  for (const extra of [{}, { LIFEBOAT_DEV_PORT: '7307' }, { TEMPORAL_ADDRESS: '127.0.0.1:7307' }, { TEMPORAL_ADDRESS: 'localhost:7307' }]) {
    expect(talksToDemoServer(connectionSettings({ ...env, ...extra }), { ...env, ...extra })).toBe(true);
  }
  const cluster = { ...env, TEMPORAL_ADDRESS: 'temporal.example.com:7307' };
  expect(talksToDemoServer(connectionSettings(cluster), cluster)).toBe(false);
  const otherLocal = { ...env, TEMPORAL_ADDRESS: '127.0.0.1:7308' };
  expect(talksToDemoServer(connectionSettings(otherLocal), otherLocal)).toBe(false);
});
