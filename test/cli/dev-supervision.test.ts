import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { estatePids, stopEstate } from '../../estate/estate';
import { isAlive, stopPid } from '../../estate/processes';
import { readDevRecord } from '../../lib/dev-record';
import { isListening } from '../../lib/free-port';
import { estatePackages, missingPackages, packageHost } from '../../dev/system-packages';
import { lifeboat } from '../helpers/cli';
import { freeDevPort, killDevs, startDev, type DevProcess } from '../helpers/lifeboat-dev';

// `npm start` supervises what it started: through a closed output pipe, after being SIGKILLed, and when its dev server dies.
const stateDirs: string[] = [];
const running: DevProcess[] = [];
const serverPids: number[] = [];
// Directly under /tmp, so the PostgreSQL user reaches the data dirs.
const estate = mkdtempSync(join(tmpdir(), 'lifeboat-dev-estate-'));
// An apt-get that only notes what it was asked, so the test never installs anything on the machine.
const fakeBin = mkdtempSync(join(tmpdir(), 'lifeboat-dev-bin-'));
const aptLog = join(fakeBin, 'apt-get.log');
writeFileSync(join(fakeBin, 'apt-get'), `#!/bin/sh\necho "apt-get $*" >> ${aptLog}\n`);
chmodSync(join(fakeBin, 'apt-get'), 0o755);

afterAll(async () => {
  await killDevs(running, stateDirs);
  for (const pid of serverPids) await stopPid(pid, 5_000);
  await stopEstate(estate).catch(() => undefined);
  for (const dir of [...stateDirs, estate, fakeBin]) rmSync(dir, { recursive: true, force: true });
});

async function devSetup(withEstate: boolean) {
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-dev-state-'));
  stateDirs.push(stateDir);
  const port = await freeDevPort();
  const env = {
    LIFEBOAT_DEV_PORT: String(port),
    LIFEBOAT_TASK_QUEUE: `dev-supervision-${port}`,
    LIFEBOAT_ESTATE_DIR: estate,
    PATH: `${fakeBin}:${process.env.PATH}`,
  };
  const start = (merged = false) => {
    const dev = startDev({ stateDir, env, args: withEstate ? [] : ['--no-estate'], merged });
    running.push(dev);
    return dev;
  };
  /** What the running `lifeboat dev` recorded; its dev server's pid is remembered for the cleanup. */
  const record = () => {
    const r = readDevRecord(join(stateDir, 'dev.json'));
    if (r?.server) serverPids.push(r.server.pid);
    return r;
  };
  return { stateDir, port, env, start, record };
}

test('with its output pipe closed (npm start 2>&1 | tee, then Ctrl-C), npm start still stops the estate and the dev server', async () => {
  const { port, start, record } = await devSetup(true);
  const missing = missingPackages(estatePackages).map((p) => p.name);
  const dev = start(true);
  await dev.waitFor('Lifeboat is up.', 240_000);

  // Before the estate starts, missing system packages are installed as root with apt-get, or named with the command.
  const apt = existsSync(aptLog) ? readFileSync(aptLog, 'utf8') : '';
  if (!missing.length) expect(apt).toBe('');
  else if (packageHost().root) {
    expect(apt).toBe(`apt-get update -qq\napt-get install -y -qq --no-install-recommends ${missing.join(' ')}\n`);
    expect(dev.output()).toContain(`installing missing system packages with apt-get: ${missing[0]}`);
  } else {
    expect(apt).toBe('');
    expect(dev.output()).toContain(`install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  }

  const { server } = record()!;
  expect(server).toMatchObject({ address: `127.0.0.1:${port}`, uiPort: port + 1000 });
  expect(estatePids(estate).length).toBeGreaterThanOrEqual(5);

  dev.child.stdout!.destroy();
  dev.child.kill('SIGINT');
  expect(await dev.exited).toEqual({ code: 0, signal: null });
  expect(estatePids(estate)).toEqual([]);
  expect(isAlive(server!.pid)).toBe(false);
  expect(await isListening(port)).toBe(false);
  expect(record()).toBeUndefined();
}, 300_000);

test('after npm start is SIGKILLed, the next one stops the dev server it left, takes over its estate, and Ctrl-C stops both', async () => {
  const { port, start, record } = await devSetup(true);
  const first = start();
  await first.waitFor('Lifeboat is up.', 240_000);
  const orphan = record()!.server!.pid;
  const estateBefore = estatePids(estate);
  first.child.kill('SIGKILL');
  await first.exited;
  // What a SIGKILL leaves: the dev server and the estate, with nobody to stop them.
  expect(isAlive(orphan)).toBe(true);
  expect(estatePids(estate)).toEqual(estateBefore);

  const second = start();
  await second.waitFor('Lifeboat is up.', 240_000);
  expect(second.output()).toContain(
    `stopping the Temporal dev server an earlier npm start left running (pid ${orphan} on 127.0.0.1:${port}); a fresh one starts on the same database`,
  );
  expect(second.output()).toContain(`taking over the sample estate an earlier npm start left running in ${estate}; Ctrl-C stops it`);
  expect(isAlive(orphan)).toBe(false);
  const fresh = record()!.server!.pid;
  expect(fresh).not.toBe(orphan);
  // Taken over, not restarted: the same processes.
  expect(estatePids(estate).sort()).toEqual(estateBefore.sort());

  second.child.kill('SIGINT');
  expect((await second.exited).code).toBe(0);
  expect(second.output()).toContain('stopping the sample estate (its data is kept)...');
  expect(estatePids(estate)).toEqual([]);
  expect(isAlive(fresh)).toBe(false);
  expect(await isListening(port)).toBe(false);
}, 300_000);

test('when the dev server dies under npm start, it says so, restarts it on the same database, and a run waiting at a gate finishes', async () => {
  const { port, stateDir, env, start, record } = await devSetup(false);
  const dev = start();
  await dev.waitFor('Lifeboat is up.');
  // On its own port the CLI is not on the embedded default, so it is pointed at the demo's keys by hand.
  const cli = {
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    LIFEBOAT_TASK_QUEUE: env.LIFEBOAT_TASK_QUEUE,
    LIFEBOAT_STATE_DIR: stateDir,
    LIFEBOAT_KEYS_DIR: join(stateDir, 'demo-keys'),
  };
  const state = async (runId: string) => (JSON.parse((await lifeboat(['status', runId, '--json'], cli)).stdout || '{}') as { state?: string }).state;

  const started = await lifeboat(['run', 'paging-check', '--set', 'message=dev server restart test', '--as', 'alice', '--json'], cli);
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  const { runId } = JSON.parse(started.stdout) as { runId: string };
  await expect.poll(() => state(runId), { timeout: 30_000, interval: 250 }).toBe('waiting-approval');

  const killed = record()!.server!.pid;
  process.kill(killed, 'SIGKILL');
  await dev.waitFor(
    `the Temporal dev server (pid ${killed}) was killed by SIGKILL; restarting it on the same database (${join(stateDir, 'temporal', 'dev.db')}), so runs carry on`,
  );
  await dev.waitFor(`the Temporal dev server is back on 127.0.0.1:${port}`);
  expect(record()!.server!.pid).not.toBe(killed);
  expect(await state(runId)).toBe('waiting-approval');

  // The gate's approval after the restart. Approvals are being moved to signed decisions (npm start makes demo keys
  // so `--as erin` keeps working); if this step fails while that work is unfinished, the restart above still held.
  const approved = await lifeboat(['approve', runId, '--as', 'erin'], cli);
  expect(approved.stderr).toBe('');
  expect(approved.code).toBe(0);
  await expect.poll(() => state(runId), { timeout: 30_000, interval: 250 }).toBe('succeeded');

  dev.child.kill('SIGINT');
  expect((await dev.exited).code).toBe(0);
  expect(await isListening(port)).toBe(false);
}, 240_000);
