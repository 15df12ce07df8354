import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeEach, expect, test } from 'vitest';
import { commandTraffic } from '../../providers/command/providers';
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
  const echo = 'printf \'{"argv": "%s %s", "env": "%s %s", "stdin": %s}\' "$1" "$2" "$LIFEBOAT_CAPABILITY" "$LIFEBOAT_OPERATION" "$(cat)"';
  const spy = commandTraffic(CommandSettings.parse({ provider: 'command', command: ['/bin/sh', '-c', echo, 'sh'] }));
  expect(await spy.setServing('B', 'maint')).toEqual({ argv: 'traffic set-serving', env: 'traffic set-serving', stdin: { region: 'B', state: 'maint' } });
});
