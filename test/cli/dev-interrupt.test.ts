import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { estatePids, stopEstate } from '../../estate/estate';
import { isAlive, stopPid } from '../../estate/processes';
import { readDevRecord, type DevRecord } from '../../lib/dev-record';
import { isListening } from '../../lib/free-port';
import { freeDevPort } from '../helpers/lifeboat-dev';

// Ctrl-C on `npm start | tee log` after a part of the estate failed to start: the terminal sends SIGINT to the whole
// pipeline (npm, lifeboat dev, tee), and everything npm start started must stop.
const checkout = resolve(__dirname, '../..');
const folders: string[] = [];
const runs: { estate: string; record?: DevRecord }[] = [];
// An HAProxy that refuses to start, found before the real one; and an apt-get that installs nothing.
const fakeBin = mkdtempSync(join(tmpdir(), 'lifeboat-dev-bin-'));
writeFileSync(join(fakeBin, 'haproxy'), '#!/bin/sh\necho "haproxy: cannot bind socket (test)" >&2\nexit 1\n');
writeFileSync(join(fakeBin, 'apt-get'), '#!/bin/sh\nexit 0\n');
for (const tool of ['haproxy', 'apt-get']) chmodSync(join(fakeBin, tool), 0o755);

afterAll(async () => {
  for (const { estate, record } of runs) {
    if (record?.pid && isAlive(record.pid)) process.kill(record.pid, 'SIGKILL');
    if (record?.server) await stopPid(record.server.pid, 5_000);
    await stopEstate(estate).catch(() => undefined);
  }
  for (const dir of [...folders, fakeBin]) rmSync(dir, { recursive: true, force: true });
});

// SIGINT is a terminal's Ctrl-C, SIGHUP the terminal closing, SIGTERM a plain kill of the group; each goes to every
// process of the group. Once with the demo up, and once (Ctrl-C) while the estate is starting, as HAProxy fails.
const cases = [
  ['SIGINT', 'up'],
  ['SIGHUP', 'up'],
  ['SIGTERM', 'up'],
  ['SIGINT', 'starting'],
] as const;
test.each(cases)(
  '%s to `npm start | cat` (demo %s) after HAProxy failed to start stops the dev server and every estate process',
  async (signal, moment) => {
    // Directly under /tmp, so the PostgreSQL user reaches the data dirs.
    const estate = mkdtempSync(join(tmpdir(), 'lifeboat-dev-estate-'));
    const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-dev-state-'));
    folders.push(estate, stateDir);
    const run: (typeof runs)[number] = { estate };
    runs.push(run);
    const port = await freeDevPort();
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: undefined,
      LIFEBOAT_TRUST_ROOT: undefined,
      LIFEBOAT_STATE_DIR: stateDir,
      LIFEBOAT_LOG_LEVEL: 'WARN',
      LIFEBOAT_DEV_PORT: String(port),
      LIFEBOAT_TASK_QUEUE: `dev-interrupt-${port}`,
      LIFEBOAT_ESTATE_DIR: estate,
      PATH: `${fakeBin}:${process.env.PATH}`,
    };
    // A process group of its own, as a terminal gives a pipeline; its stderr is the "terminal" this test reads.
    const pipeline = spawn('sh', ['-c', 'npm start --silent | cat > /dev/null'], { cwd: checkout, env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    pipeline.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const awaited = moment === 'up' ? 'Lifeboat is up.' : 'start HAProxy: booking on port';
      await expect.poll(() => output.includes(awaited) || pipeline.exitCode !== null, { timeout: 240_000, interval: 100 }).toBe(true);
      expect(output).toContain(awaited);
      if (moment === 'up') expect(output).toContain('cannot bind socket (test)');
      const seen = readDevRecord(join(stateDir, 'dev.json'));
      run.record = seen;
      expect(seen?.server).toBeDefined();
      expect(estatePids(estate).length).toBeGreaterThanOrEqual(5);

      process.kill(-pipeline.pid!, signal);
      await expect.poll(() => isAlive(run.record!.pid), { timeout: 60_000, interval: 200 }).toBe(false);
    } finally {
      // Whatever the shell did, nothing of the group may linger past the test.
      try {
        process.kill(-pipeline.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    expect(estatePids(estate), output).toEqual([]);
    expect(isAlive(run.record!.server!.pid), output).toBe(false);
    expect(await isListening(port)).toBe(false);
    expect(readDevRecord(join(stateDir, 'dev.json'))).toBeUndefined();
  },
  300_000,
);
