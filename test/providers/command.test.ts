import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeEach, expect, test } from 'vitest';
import { commandDatabase, commandFleet, commandRebuild, commandTraffic } from '../../providers/command/providers';
import { CommandSettings } from '../../providers/command/settings';
import { ProviderErrorType } from '../../providers/contracts/errors';

/** The guide's example script, run exactly as a user's would be: docs/adding-a-provider.md describes it. */
const script = resolve(__dirname, '..', '..', 'docs', 'examples', 'traffic-command.sh');
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-command-'));
const stateFile = join(dir, 'traffic.json');
const settings = CommandSettings.parse({ provider: 'command', command: [script], passEnv: ['TRAFFIC_STATE_FILE'], timeoutSeconds: 10 });
const traffic = commandTraffic(settings);

beforeEach(() => {
  process.env.TRAFFIC_STATE_FILE = stateFile;
  const regions = { A: { endpoint: 'pool-a', serving: 'ready' }, B: { endpoint: 'pool-b', serving: 'ready' } };
  writeFileSync(stateFile, JSON.stringify({ active: 'A', regions }));
});

afterEach(() => {
  delete process.env.TRAFFIC_STATE_FILE;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A small program of the test's own, as a user would write one: an `sh` script answering every operation with `body`. */
function program(name: string, body: string, timeoutSeconds = 10): CommandSettings {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return CommandSettings.parse({ provider: 'command', command: [path], timeoutSeconds });
}

/** What a call rejected with, so a test can say whether the activity would retry it. */
async function failureOf(call: Promise<unknown>): Promise<Error> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!err) throw new Error('expected the call to fail');
  return err;
}

test('reads the active region, health and serving state from the script', async () => {
  expect(await traffic.active()).toEqual({ region: 'A', endpoint: 'pool-a' });
  expect(await traffic.health()).toEqual([
    { region: 'A', endpoint: 'pool-a', healthy: true, status: 'UP' },
    { region: 'B', endpoint: 'pool-b', healthy: true, status: 'UP' },
  ]);
  expect(await traffic.serving('B')).toEqual({ state: 'ready', status: 'READY' });
  expect(traffic.describe()).toBe(`command (${script})`);
  expect(await traffic.probe()).toEqual([{ check: 'read the traffic state', ok: true, detail: 'clients go to region A (pool-a)' }]);
});

test('switches, and a second switch to the same region changes nothing', async () => {
  expect(await traffic.switchTo('B')).toEqual({ region: 'B', previous: 'A', changed: true });
  expect(await traffic.active()).toEqual({ region: 'B', endpoint: 'pool-b' });
  expect(await traffic.switchTo('B')).toEqual({ region: 'B', previous: 'B', changed: false });
  expect(await traffic.active()).toEqual({ region: 'B', endpoint: 'pool-b' });
});

test('drains a region and readies it again', async () => {
  expect(await traffic.setServing('A', 'drain')).toEqual({ state: 'drain', applied: true });
  expect(await traffic.serving('A')).toEqual({ state: 'drain', status: 'DRAIN' });
  expect(await traffic.setServing('A', 'ready')).toEqual({ state: 'ready', applied: true });
  expect(await traffic.serving('A')).toEqual({ state: 'ready', status: 'READY' });
});

test('exit 75 is a plain error, which the activity retries', async () => {
  rmSync(stateFile);
  const err = await failureOf(traffic.active());
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(err.message).toBe(`${script} traffic active: asked to retry: the traffic system does not answer: cannot read ${stateFile}`);
});

test('any other exit is a non-retryable refusal carrying stderr', async () => {
  const err = await failureOf(traffic.switchTo('C'));
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toBe(`${script} traffic switch: exit 1: no region 'C': the regions are A, B`);
  expect(await traffic.active()).toEqual({ region: 'A', endpoint: 'pool-a' });
});

test('the program sees only the environment passEnv lists', async () => {
  const withoutPassEnv = commandTraffic(CommandSettings.parse({ provider: 'command', command: [script] }));
  const err = await failureOf(withoutPassEnv.active());
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toMatch(/exit 1: TRAFFIC_STATE_FILE is not set: list it in "passEnv" in the targets file$/);
});

test('an answer that is not JSON is refused', async () => {
  const chatty = commandTraffic(CommandSettings.parse({ provider: 'command', command: ['/bin/echo', 'switched'] }));
  const err = await failureOf(chatty.switchTo('B'));
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toBe('/bin/echo traffic switch: stdout is not JSON: switched traffic switch');
});

test('the arguments arrive as JSON on stdin, capability and operation as arguments and in the environment', async () => {
  const seen = join(dir, 'seen.json');
  const spy = program(
    'spy.sh',
    `printf '{"argv": "%s %s", "env": "%s %s", "stdin": %s}' "$1" "$2" "$LIFEBOAT_CAPABILITY" "$LIFEBOAT_OPERATION" "$(cat)" >${seen}
echo '{"state": "maint", "applied": true}'`,
  );
  expect(await commandTraffic(spy).setServing('B', 'maint')).toEqual({ state: 'maint', applied: true });
  expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({ argv: 'traffic set-serving', env: 'traffic set-serving', stdin: { region: 'B', state: 'maint' } });
});

test('a field of the wrong type is refused, naming the field, what was expected and what to print', async () => {
  const settings = program('active-number.sh', `echo '{"region": 3, "endpoint": "pool-a"}'`);
  const err = await failureOf(commandTraffic(settings).active());
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toBe(
    `${settings.command[0]} traffic active: answer .region is 3: expected a region name, or null when clients go to none; print {"region": "A", "endpoint": "pool-a"}`,
  );
});

test('a missing field is refused with its path in the answer', async () => {
  const settings = program(
    'health-missing.sh',
    `echo '[{"region": "A", "endpoint": "pool-a", "healthy": true, "status": "UP"}, {"region": "B", "endpoint": "pool-b", "status": "UP"}]'`,
  );
  const err = await failureOf(commandTraffic(settings).health());
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toBe(
    `${settings.command[0]} traffic health: answer .[1].healthy is missing: expected true or false; print [{"region": "A", "endpoint": "pool-a", "healthy": true, "status": "UP"}, ...]`,
  );
});

test('an answer that is not an object, or no answer at all, is refused', async () => {
  const word = program('switch-word.sh', `echo '"switched"'`);
  const err = await failureOf(commandTraffic(word).switchTo('B'));
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toBe(
    `${word.command[0]} traffic switch: answer is "switched": expected an object; print {"region": "B", "previous": "A", "changed": true}`,
  );

  const silent = program('promote-silent.sh', 'exit 0');
  const database = commandDatabase(silent, ['A', 'B']);
  expect((await failureOf(database.promote('B', 30))).message).toBe(
    `${silent.command[0]} database promote: answer is null: expected an object; print {"alreadyPromoted": false, "lsn": "0/3000060"}`,
  );
});

test('a wrong value among several is named, and the rest counted', async () => {
  const settings = program('serving-wrong.sh', `echo '{"state": "draining", "status": 7}'`);
  const err = await failureOf(commandTraffic(settings).serving('A'));
  expect(err.message).toBe(
    `${settings.command[0]} traffic serving: answer .state is "draining": expected one of "ready", "drain", "maint" (and 1 more problem); print {"state": "ready", "status": "UP"}`,
  );
});

test('a long wrong answer is quoted only in part', async () => {
  const settings = program('long.sh', `printf '{"region": "A", "endpoint": ["%s"]}' "$(printf 'x%.0s' $(seq 1 5000))"`);
  const err = await failureOf(commandTraffic(settings).active());
  expect(err.message).toMatch(/^\S+ traffic active: answer \.endpoint is \["x{50,60}…: expected a string; print \{"region": "A", "endpoint": "pool-a"\}$/);
  expect(err.message.length).toBeLessThan(settings.command[0]!.length + 200);
});

test('a wrong answer to probe or status is reported as such, not thrown', async () => {
  const settings = program('db-probe-wrong.sh', `[ "$2" = probe ] && echo '{"ok": true}' || echo '{"reachable": "yes"}'`);
  const database = commandDatabase(settings, ['A', 'B']);
  expect(await database.probe()).toEqual([
    {
      check: 'database probe',
      ok: false,
      detail: `${settings.command[0]} database probe: answer is {"ok":true}: expected a list of checks; print [{"check": "reach the system", "ok": true, "detail": "what was seen"}]`,
    },
  ]);
  expect(await database.status('A')).toEqual({
    region: 'A',
    reachable: false,
    error: `${settings.command[0]} database status: answer .reachable is "yes": expected true or false; print {"reachable": true, "inRecovery": false, "fenced": false, "lsn": "0/3000060"}`,
  });
});

test('a rebuild may answer nothing; a wrong method is refused', async () => {
  const silent = program('rebuild-silent.sh', 'cat >/dev/null');
  expect(await commandRebuild(silent).rebuildAsStandby({ region: 'A', primary: 'B' }, () => undefined)).toEqual({
    region: 'A',
    primary: 'B',
    method: 'command',
  });
  const wrong = program('rebuild-wrong.sh', `echo '{"method": 2}'`);
  const err = await failureOf(commandRebuild(wrong).rebuildAsStandby({ region: 'A', primary: 'B' }, () => undefined));
  expect(err.message).toBe(`${wrong.command[0]} rebuild rebuild: answer .method is 2: expected a string; print nothing, or {"method": "pg_rewind"}`);
});

test('fleet answers are checked for the fields runbooks read, and keep the rest', async () => {
  const host = { id: 'k-1', region: 'A', role: 'kiosk', tags: ['lobby'], health: 'healthy', handsOnOnly: false, counters: { reboots: 0 } };
  const agent = { version: '7.1', contentVersion: 'C-290', lastKnownGood: 'C-290', moduleQuarantined: false };
  const good = program('fleet-good.sh', `echo '${JSON.stringify({ total: 1, hosts: [{ ...host, agent: { ...agent, channel: 'open' } }] })}'`);
  expect(await commandFleet(good).listHosts({})).toEqual({ total: 1, hosts: [{ ...host, agent: { ...agent, channel: 'open' } }] });

  const bad = program('fleet-bad.sh', `echo '${JSON.stringify({ total: 1, hosts: [{ ...host, agent }] })}'`);
  const err = await failureOf(commandFleet(bad).listHosts({}));
  expect(err).toMatchObject({ type: ProviderErrorType.Refused, nonRetryable: true });
  expect(err.message).toBe(
    `${bad.command[0]} fleet listHosts: answer .hosts[0].agent.channel is missing: expected one of "open", "pinned", "blocked"; print what listHosts answers in docs/api/fleet.openapi.json`,
  );
  expect((commandFleet(good) as unknown as Record<string, unknown>).deleteEverything).toBeUndefined();
});

test('a program killed by a signal other than the timeout is retried, and not called a timeout', async () => {
  const settings = program('killed.sh', `echo 'out of memory, probably' >&2\nkill -TERM $$`);
  const err = await failureOf(commandTraffic(settings).active());
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(err.message).toBe(`${settings.command[0]} traffic active: killed by SIGTERM: out of memory, probably`);
});

test('a program still running at timeoutSeconds is killed, and the error says which setting to raise', async () => {
  const settings = program('slow.sh', 'exec sleep 30', 1);
  const err = await failureOf(commandTraffic(settings).active());
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(err.message).toBe(
    `${settings.command[0]} traffic active: timed out after 1 s and was killed; raise "timeoutSeconds" (now 1) in the targets file if it needs longer`,
  );
});

test('the timeout kills what the program started too, so nothing it began goes on acting after the retry', async () => {
  const pidFile = join(dir, 'child.pid');
  const settings = program('spawns.sh', `sleep 30 &\necho $! > ${pidFile}\nsleep 30`, 1);
  const err = await failureOf(commandTraffic(settings).active());
  expect(err.message).toMatch(/timed out after 1 s and was killed/);
  const child = Number(readFileSync(pidFile, 'utf8').trim());
  expect(child).toBeGreaterThan(0);
  await expect.poll(() => running(child), { timeout: 5000 }).toBe(false);
});

test('a step cancelled while its program runs (the worker shutting down) kills the program and what it started', async () => {
  const pidFile = join(dir, 'cancelled-child.pid');
  const settings = program('cancelled.sh', `sleep 30 &\necho $! > ${pidFile}\nsleep 30`, 60);
  const env = new MockActivityEnvironment();
  const call = env.run(() => commandTraffic(settings).active());
  const outcome = call.then(
    () => 'answered',
    (e: unknown) => e,
  );
  await expect.poll(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', { timeout: 5000 }).toBe(true);
  const child = Number(readFileSync(pidFile, 'utf8').trim());
  expect(running(child)).toBe(true);
  env.cancel();
  expect(await outcome).toBeInstanceOf(CancelledFailure);
  await expect.poll(() => running(child), { timeout: 5000 }).toBe(false);
});

/** Whether a process is still running: gone, or a zombie nobody has reaped yet, counts as not running. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
