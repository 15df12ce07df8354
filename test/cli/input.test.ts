import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, expect, inject, test } from 'vitest';
import { CliContext } from '../../cli/context';
import { CliError } from '../../cli/errors';
import { buildInput } from '../../cli/input';
import { main } from '../../cli/main';
import { newStatement, signed } from '../../cli/signing';
import { runbooks } from '../../runbooks';
import { digestOf } from '../../kit/trust';

function refusal(run: () => unknown): { message: string; exitCode: number } {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return { message: (err as CliError).message, exitCode: (err as CliError).exitCode };
  }
  throw new Error('not refused');
}

test('--set nests dotted keys and reads JSON values', () => {
  expect(buildInput(undefined, ['service=booking', 'rpo.seconds=5', 'rpo.strict=true', 'hosts=["a","b"]'])).toEqual({
    service: 'booking',
    rpo: { seconds: 5, strict: true },
    hosts: ['a', 'b'],
  });
});

test('--set refuses __proto__, constructor and prototype at any depth, naming the key, and pollutes nothing', () => {
  for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'a.__proto__.polluted', 'a.b.constructor', 'prototype', 'x.prototype.y']) {
    expect(refusal(() => buildInput(undefined, [`${key}=yes`]))).toEqual({
      message: `--set ${key}: "${key.split('.').find((p) => ['__proto__', 'constructor', 'prototype'].includes(p))}" cannot be an input key`,
      exitCode: 2,
    });
  }
  expect(refusal(() => buildInput(undefined, ['rpo={"__proto__":{"polluted":"yes"}}'])).message).toBe('--set rpo: "__proto__" cannot be an input key');
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
});

test('--input refuses a prototype key anywhere in the file, naming its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-input-'));
  try {
    const file = join(dir, 'input.json');
    writeFileSync(file, '{"service":"booking","rpo":{"constructor":{"prototype":{"polluted":"yes"}}}}');
    expect(refusal(() => buildInput(file, []))).toEqual({ message: `--input ${file}: "rpo.constructor" cannot be an input key`, exitCode: 2 });
    writeFileSync(file, '{"service":"booking"}');
    expect(buildInput(file, ['toString.x=1'])).toEqual({ service: 'booking', toString: { x: 1 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The CLI in process, against the test server, signing with the test people's keys; what it printed and its exit code. */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    args,
    { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
    {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: 'default',
      LIFEBOAT_TASK_QUEUE: 'input-test-nobody-polls',
      LIFEBOAT_KEYS_DIR: inject('testKeysDir'),
      LIFEBOAT_ROSTER: inject('testRosterPath'),
      ...env,
    },
  );
  return { code, stdout, stderr };
}

let temporal: Client | undefined;
const client = async () => (temporal ??= new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) }));
afterAll(async () => temporal?.connection.close());

/** Whether any run was started under the workflow ID. */
async function started(workflowId: string): Promise<boolean> {
  return (await client()).workflow
    .getHandle(workflowId)
    .describe()
    .then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );
}

const unique = () => `input-${randomUUID().slice(0, 8)}`;

test('an incidentId over 256 characters is refused naming the field and the limit, exit 2, and nothing starts; 256 is taken', async () => {
  const service = unique();
  const args = (incidentId: string) => [
    'run',
    'region-failover',
    '--set',
    `service=${service}`,
    '--set',
    'mode=planned',
    '--set',
    `incidentId=${incidentId}`,
    '--as',
    'alice',
  ];
  const refused = await cli(args('I'.repeat(300)));
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('✖ incidentId is at most 256 characters; shorten it\n  → at incidentId');
  expect(refused.stdout).toBe('');
  expect(await started(`region-failover/${service}`)).toBe(false);
  const dryRun = await cli([...args('I'.repeat(256)), '--dry-run']);
  expect(dryRun.code).toBe(0);
  expect(dryRun.stdout).toContain(`would start region-failover/${service} as alice`);
});

test('a whole input over 64 KiB is refused naming the limit and its largest field, before any field is checked', async () => {
  const team = unique();
  const refused = await cli(['run', 'paging-check', '--set', `team=${team}`, '--set', `message=${'m'.repeat(70_000)}`, '--as', 'alice']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/^error: the input for paging-check is 68 KiB, over the limit of 64 KiB; its largest field is message \(68 KiB\)\n/);
  expect(await started(`paging-check/${team}`)).toBe(false);
});

test('every text field of every runbook input is bounded, and every list', () => {
  const long = 'x'.repeat(100_000);
  const refusals = (runbookId: string, input: Record<string, unknown>) => {
    const parsed = runbooks[runbookId]!.input.safeParse(input);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  for (const id of ['region-failover', 'region-failback']) {
    expect(refusals(id, { service: long, mode: 'planned', incidentId: long, detectedAt: `2024-07-19T04:09:00.${'1'.repeat(100)}Z` })).toEqual(
      expect.arrayContaining([
        'service: service is at most 256 characters; shorten it',
        'incidentId: incidentId is at most 256 characters; shorten it',
        'detectedAt: detectedAt is at most 64 characters; write it as 2024-07-19T04:09:00Z',
      ]),
    );
  }
  expect(
    refusals('isolate-vendor-module', {
      module: long,
      badVersion: long,
      goodVersion: 'C-1',
      scope: { tags: Array.from({ length: 33 }, () => long) },
      waves: { sizes: Array.from({ length: 101 }, () => '1%'), soak: long },
      handsOnDeadline: long,
    }),
  ).toEqual(
    expect.arrayContaining([
      'module: module is at most 256 characters; shorten it',
      'badVersion: badVersion is at most 256 characters; shorten it',
      'scope.tags: scope.tags takes at most 32 items; name fewer',
      'waves.sizes: waves.sizes takes at most 100 sizes; the last one repeats until every affected host had its wave',
      'waves.soak: waves.soak is at most 64 characters: set waves.soak from "0 seconds" to "10 minutes"',
      'handsOnDeadline: handsOnDeadline is at most 64 characters: set handsOnDeadline from "0 seconds" to "14 days"',
    ]),
  );
  expect(refusals('isolate-vendor-module', { badVersion: 'C-2', goodVersion: long, scope: { tags: [long] } })).toEqual([
    'goodVersion: goodVersion is at most 256 characters; shorten it',
    'scope.tags.0: scope.tags[] is at most 256 characters; shorten it',
  ]);
  expect(refusals('manual-booking-mode', { reason: long, incident: long, stations: Array.from({ length: 1001 }, (_, i) => `S${i}`) })).toEqual([
    'reason: reason is at most 1000 characters; shorten it',
    'incident: incident is at most 256 characters; shorten it',
    'stations: stations takes at most 1000 stations; run once per group of stations',
  ]);
  expect(refusals('paging-check', { team: long, message: long })).toEqual([
    'team: team is at most 64 characters; shorten it',
    'message: message is at most 256 characters; shorten it',
  ]);
});

test('--as with a Cyrillic а or a zero-width space is refused, exit 2, naming what was read and alice, even with a valid key; nothing starts', async () => {
  for (const [name, shown] of [
    ['\u0430lice', '\\u0430lice'],
    ['alice\u200b', 'alice\\u200b'],
  ] as const) {
    const team = unique();
    const refused = await cli(['run', 'paging-check', '--set', `team=${team}`, '--as', name, '--key', join(inject('testKeysDir'), 'alice')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`^error: --as "${shown.replace(/\\/g, '\\\\')}" is not a roster id: it holds .*\n  fix: did you mean alice\\? `));
    expect(refused.stdout).toBe('');
    expect(await started(`paging-check/${team}`)).toBe(false);
  }
  // The same start as alice herself does start: the refusal above is the name's, not the test's.
  const team = unique();
  const ok = await cli(['run', 'paging-check', '--set', `team=${team}`, '--as', 'alice']);
  expect(ok.stdout).toContain(`started paging-check/${team}`);
  expect(await started(`paging-check/${team}`)).toBe(true);
  await (await client()).workflow.getHandle(`paging-check/${team}`).terminate('input test: nobody polls its task queue');
});

test('every command that takes --as refuses a name that is no roster id before it reaches Temporal', async () => {
  // Nobody listens on port 1: a command that got as far as Temporal would fail with exit 1, "cannot reach Temporal".
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const commands = [
    ['approve', 'paging-check/x'],
    ['reject', 'paging-check/x'],
    ['retry', 'paging-check/x'],
    ['skip', 'paging-check/x'],
    ['abort', 'paging-check/x'],
    ['cancel', 'paging-check/x'],
    ['resume', 'manual-booking-mode/booking'],
    ['resolve', 'manual-booking-mode/booking', '--rule', 'earliest-wins'],
    ['task', 'done', 'isolate-vendor-module/fleet', 'a-kiosk-05'],
    ['run', 'paging-check'],
    ['drill', 'schedule', 'paging-check', '--every', '24h'],
  ];
  for (const command of commands) {
    for (const name of ['b\u043eb', 'bob\u200b', 'ｂｏｂ', 'mallory']) {
      const result = await cli([...command, '--as', name], env);
      expect({ command: command[0], name, code: result.code }).toEqual({ command: command[0], name, code: 2 });
      expect(result.stderr).toMatch(/^error: --as ".*" is not a roster id: /);
    }
  }
  // mallory has a key, but the roster the CLI reads (LIFEBOAT_ROSTER) does not list her.
  expect((await cli(['approve', 'paging-check/x', '--as', 'mallory'], env)).stderr).toContain(`the roster ${inject('testRosterPath')} has no mallory`);
  // A name the roster lists gets as far as Temporal.
  expect((await cli(['approve', 'paging-check/x', '--as', 'Bob'], env)).stderr).toMatch(/^error: cannot reach Temporal at 127\.0\.0\.1:1/);
});

test('signing as a name the roster lacks (the login name, when --as is not given) is refused, exit 2; a statement signed elsewhere is sent as it is', async () => {
  const ctx = new CliContext(
    { stdout: () => undefined, stderr: () => undefined },
    { LIFEBOAT_ROSTER: inject('testRosterPath'), TEMPORAL_ADDRESS: '127.0.0.1:1' },
    false,
  );
  const subject = { namespace: 'default', workflowId: 'paging-check/x', runId: '', inputDigest: digestOf({}) };
  const statement = newStatement('start', subject, 'zed', { runbook: 'paging-check', drill: 'none' });
  const refusal = await signed(ctx, statement, {}).then(
    () => undefined,
    (err: unknown) => err as CliError,
  );
  expect(refusal).toBeInstanceOf(CliError);
  expect(refusal!.exitCode).toBe(2);
  expect(refusal!.message).toBe(`the name to sign as "zed" is not a roster id: the roster ${inject('testRosterPath')} has no zed`);
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-presigned-'));
  try {
    writeFileSync(join(dir, 's.json'), 'the statement');
    writeFileSync(join(dir, 's.json.sig'), 'the signature');
    expect(await signed(ctx, statement, { statement: join(dir, 's.json'), signature: join(dir, 's.json.sig') })).toEqual({
      statement: 'the statement',
      signature: 'the signature',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
