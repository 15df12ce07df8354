import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { DatabaseProvider } from '../../providers/contracts/database';
import { createPatroniDatabase } from '../../providers/patroni/database';
import { lifeboat } from '../helpers/cli';
import { startPatroniPair, type PatroniPair, sqlOn } from '../helpers/patroni';

// Patroni's REST API with restapi.authentication: what a user sees with the right password, a wrong one, and none.
const passwordEnv = 'LIFEBOAT_TEST_PATRONI_REST_PASSWORD';
const password = randomBytes(12).toString('hex');
const wrongPassword = randomBytes(12).toString('hex');
let pair: PatroniPair;
let db: DatabaseProvider;
let dir: string;
let targetsPath: string;

beforeAll(async () => {
  pair = await startPatroniPair({ regions: ['A', 'B'], service: 'booking', restAuth: { username: 'patroni', password, passwordEnv } });
  db = createPatroniDatabase(pair.settings, pair.regions, 'booking');
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-patroni-auth-'));
  targetsPath = join(dir, 'lifeboat.targets.json');
  const booking = { regions: ['A', 'B'], database: pair.settings, rebuild: { provider: 'patroni' } };
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: { booking } }));
}, 180_000);

afterAll(async () => {
  delete process.env[passwordEnv];
  await pair?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The variable as the worker's environment would have it: a value, or unset. */
function exportPassword(value: string | undefined): void {
  if (value === undefined) delete process.env[passwordEnv];
  else process.env[passwordEnv] = value;
}

const restUrl = (region: string) => pair.settings.regions[region]!.restUrl;
// A real process: Patroni's provider reads the password from process.env, not from the env the CLI's main is given,
// so only a child started with the variable set (or not) sees what an operator's shell would give it.
const targetsCheck = (value: string | undefined) => lifeboat(['targets', 'check'], { LIFEBOAT_TARGETS: targetsPath, [passwordEnv]: value });
const rowOf = (stdout: string, check: string) => stdout.split('\n').find((line) => line.includes(check)) ?? `(no row "${check}")`;

/** When etcd last changed a cluster's dynamic configuration (its key's mod_revision). */
async function configRevision(scope: string): Promise<string> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const res = await fetch(`${pair.etcdUrl}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64('/'), range_end: b64('0'), keys_only: true }) });
  const { kvs } = (await res.json()) as { kvs: { key: string; mod_revision: string }[] };
  const kv = kvs.find((k) => Buffer.from(k.key, 'base64').toString().endsWith(`/${scope}/config`));
  if (!kv) throw new Error(`no configuration key for ${scope} in etcd`);
  return kv.mod_revision;
}

const refusal = (region: string) =>
  `PATCH ${restUrl(region)}/config: HTTP 401: not authenticated; Patroni refused user "patroni" with the password in ${passwordEnv}: ` +
  `make services.booking.database.regions.${region}.restAuth (its username, and the password in that variable) match restapi.authentication ` +
  `in the Patroni configuration of region ${region}`;

const unset =
  `region A: ${passwordEnv} is not set, and services.booking.database.regions.A.restAuth.passwordEnv names it for the password of ` +
  `Patroni's restapi.authentication; set it where the worker and lifeboat targets check run`;

test('Patroni 3.0.2 asks for the password on PATCH /config only: its GETs answer without one', async () => {
  expect((await fetch(`${restUrl('A')}/cluster`)).status).toBe(200);
  expect((await fetch(`${restUrl('A')}/config`)).status).toBe(200);
  const patch = await fetch(`${restUrl('A')}/config`, { method: 'PATCH', body: JSON.stringify({ lifeboat_fresh_read: null }) });
  expect([patch.status, await patch.text()]).toEqual([401, 'no auth header received']);
});

test('targets check with the right password passes, the PATCH check included, and changes no configuration', async () => {
  const before = [await configRevision('booking-a'), await configRevision('booking-b')];
  const check = await targetsCheck(password);
  expect(check.code).toBe(0);
  expect(rowOf(check.stdout, 'region A: Patroni accepts PATCH /config as patroni')).toMatch(/\bok\s+user patroni authorised \(a PATCH that changes nothing\)/);
  expect(rowOf(check.stdout, 'region B: Patroni accepts PATCH /config as patroni')).toMatch(/\bok\b/);
  expect([await configRevision('booking-a'), await configRevision('booking-b')]).toEqual(before);
});

test('targets check with a wrong password fails on the PATCH check, names the setting and the variable, and prints no password', async () => {
  const check = await targetsCheck(wrongPassword);
  expect(check.code).toBe(1);
  for (const region of ['A', 'B']) {
    const row = rowOf(check.stdout, `region ${region}: Patroni accepts PATCH /config as patroni`);
    expect(row).toContain(`FAIL  ${refusal(region)}`);
  }
  // The GET checks cannot see a wrong password: only the PATCH rows fail (each twice, for database and rebuild).
  expect(check.stdout).toMatch(/\n4 of \d+ checks failed\n/);
  expect(check.stdout + check.stderr).not.toContain(wrongPassword);
  expect(check.stdout + check.stderr).not.toContain(password);
});

test('targets check with the variable unset names the variable', async () => {
  const check = await targetsCheck(undefined);
  expect(check.code).toBe(1);
  expect(rowOf(check.stdout, 'region A: Patroni accepts PATCH /config as patroni')).toContain(`FAIL  ${unset}`);
});

test('fence and promote with a wrong password are refused without a retry, name the fix, and change nothing', async () => {
  exportPassword(wrongPassword);
  const fence = await db.fence('A').catch((err: unknown) => err);
  expect(fence).toMatchObject({ type: 'Refused', nonRetryable: true, message: refusal('A') });
  const promote = await db.promote('B', 60).catch((err: unknown) => err);
  expect(promote).toMatchObject({ type: 'Refused', nonRetryable: true, message: refusal('B') });
  expect(JSON.stringify([fence, promote])).not.toContain(wrongPassword);
  expect(await db.status('A')).toMatchObject({ role: 'leader', fenced: false });
  expect(await db.status('B')).toMatchObject({ role: 'standby_leader', inRecovery: true });
});

test('fence with the variable unset says which variable to set, without a retry', async () => {
  exportPassword(undefined);
  await expect(db.fence('A')).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true, message: unset });
  exportPassword('');
  await expect(db.fence('A')).rejects.toMatchObject({ type: 'InvalidInput', message: unset.replace('is not set', 'is empty') });
  expect(await db.status('A')).toMatchObject({ fenced: false });
});

test('settings without restAuth for a Patroni that asks for a password: probe and fence say to add it', async () => {
  const regions = Object.fromEntries(Object.entries(pair.settings.regions).map(([region, { restAuth: _, ...rest }]) => [region, rest]));
  const noAuth = createPatroniDatabase({ ...pair.settings, regions }, pair.regions, 'booking');
  const fix =
    `PATCH ${restUrl('A')}/config: HTTP 401: no auth header received; Patroni's REST API asks for a password (restapi.authentication): ` +
    'add services.booking.database.regions.A.restAuth with its username and passwordEnv, the environment variable holding its password';
  expect((await noAuth.probe()).find((r) => r.check === 'region A: Patroni accepts PATCH /config without a password')).toEqual({
    check: 'region A: Patroni accepts PATCH /config without a password',
    ok: false,
    detail: fix,
  });
  await expect(noAuth.fence('A')).rejects.toMatchObject({ type: 'Refused', nonRetryable: true, message: fix });
});

test('with the right password, fence and unfence A and promote B go through Patroni', async () => {
  exportPassword(password);
  expect(await db.fence('A')).toMatchObject({ alreadyFenced: false });
  await expect(sqlOn(pair, 'A', 'CREATE TABLE refused (id int)')).rejects.toThrow(/read-only transaction/);
  expect(await db.unfence('A')).toEqual({ alreadyUnfenced: false });
  await sqlOn(pair, 'A', 'CREATE TABLE bookings (ref text)');
  expect(await db.promote('B', 60)).toMatchObject({ alreadyPromoted: false });
  expect(await db.status('B')).toMatchObject({ role: 'leader', inRecovery: false });
});
