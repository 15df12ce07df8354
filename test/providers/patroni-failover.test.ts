import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunReport } from '../../cli/report/model';
import type { RunResult } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { startPatroniPair, type PatroniPair, sqlOn } from '../helpers/patroni';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/**
 * The same region-failover and region-failback runbooks, with no change to their code, on a Patroni-managed pair:
 * one Patroni cluster per region, B a standby cluster of A. Traffic and the service's modes are the user's own
 * scripts, through the `command` provider.
 */
const failoverId = 'region-failover/booking';
const failbackId = 'region-failback/booking';
const script = resolve(__dirname, '../fixtures/command-estate.mjs');
let ctx: TemporalTestContext;
let pair: PatroniPair;
let dir: string;
let targetsPath: string;
let statePath: string;

beforeAll(async () => {
  [ctx, pair] = await Promise.all([connectToTestServer('patroni-failover'), startPatroniPair({ regions: ['A', 'B'], service: 'booking' })]);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-patroni-e2e-'));
  statePath = join(dir, 'systems.json');
  writeFileSync(statePath, JSON.stringify({ active: 'A', regions: { A: { serving: 'ready', mode: 'normal' }, B: { serving: 'ready', mode: 'normal' } } }));
  process.env.COMMAND_ESTATE_STATE = statePath;
  const command = { provider: 'command', command: [script], passEnv: ['COMMAND_ESTATE_STATE'] };
  targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(
    targetsPath,
    JSON.stringify({
      version: 1,
      services: { booking: { regions: ['A', 'B'], traffic: command, database: pair.settings, serviceMode: command, rebuild: { provider: 'patroni' } } },
    }),
  );
  await sql('A', 'CREATE TABLE bookings (ref text PRIMARY KEY)');
  await sql('A', "INSERT INTO bookings VALUES ('before-failover')");
}, 180_000);

afterAll(async () => {
  for (const id of [failoverId, failbackId])
    await ctx?.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await ctx?.close();
  await pair?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const sql = <T = Record<string, unknown>>(region: string, text: string) => sqlOn<T>(pair, region, text);

const recovery = async (region: string) => (await sql<{ r: boolean }>(region, 'SELECT pg_is_in_recovery() AS r'))[0]!.r;
const refs = async (region: string) => (await sql<{ ref: string }>(region, 'SELECT ref FROM bookings ORDER BY ref')).map((r) => r.ref);
const activeRegion = () => (JSON.parse(readFileSync(statePath, 'utf8')) as { active: string }).active;

test('a planned failover and the failback move a Patroni pair through the CLI, with nothing lost', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue, LIFEBOAT_TARGETS: targetsPath, COMMAND_ESTATE_STATE: statePath };
  // targets check probes the providers, which read their credentials and settings from process.env rather than the
  // env main is given: a real process, so what it sees is exactly the environment the test hands it.
  const check = await lifeboat(['targets', 'check'], env);
  expect(check.stdout).toMatch(/database: patroni/);
  expect(check.code).toBe(0);

  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    expect((await lifeboatInProcess(['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--as', 'alice'], env)).stderr).toBe('');
    const failover = ctx.client.workflow.getHandle(failoverId);
    await waitForStatus(failover, (s) => s.state === 'waiting-approval', 60_000);
    expect((await lifeboatInProcess(['approve', failoverId, '--as', 'bob'], env)).code).toBe(0);
    expect((await lifeboatInProcess(['approve', failoverId, '--as', 'carol'], env)).code).toBe(0);
    const switched = (await failover.result()) as RunResult<SwitchResult>;
    expect(switched.state).toBe('succeeded');
    expect(switched.output).toMatchObject({ source: 'A', target: 'B', rpo: { bytes: 0 } });

    // B's cluster is no longer a standby cluster: it takes writes, with everything A had.
    expect(await recovery('B')).toBe(false);
    expect(activeRegion()).toBe('B');
    await sql('B', "INSERT INTO bookings VALUES ('after-failover')");
    expect(await refs('B')).toEqual(['after-failover', 'before-failover']);
    const report = JSON.parse((await lifeboatInProcess(['report', failoverId, '--format', 'json'], env)).stdout) as RunReport;
    expect(report.actedThrough.promote).toMatch(/^patroni /);
    expect(report.actedThrough.switchTraffic).toMatch(/^command \(/);

    // Failback: Patroni turns A into a standby cluster of B, then the same switch runs back, then B is reprotected.
    expect((await lifeboatInProcess(['run', 'region-failback', '--set', 'service=booking', '--as', 'alice'], env)).stderr).toBe('');
    const failback = ctx.client.workflow.getHandle(failbackId);
    await waitForStatus(failback, (s) => s.state === 'waiting-approval', 240_000);
    expect(await refs('A')).toEqual(['after-failover', 'before-failover']);
    expect((await lifeboatInProcess(['approve', failbackId, '--as', 'bob'], env)).code).toBe(0);
    expect((await lifeboatInProcess(['approve', failbackId, '--as', 'carol'], env)).code).toBe(0);
    const back = (await failback.result()) as RunResult<{ source: string; target: string }>;
    expect(back.state).toBe('succeeded');
    expect(back.output).toMatchObject({ source: 'B', target: 'A' });
  });
  expect(await recovery('A')).toBe(false);
  expect(await recovery('B')).toBe(true);
  expect(activeRegion()).toBe('A');
  await sql('A', "INSERT INTO bookings VALUES ('after-failback')");
  await expect.poll(() => refs('B'), { timeout: 30_000 }).toEqual(['after-failback', 'after-failover', 'before-failover']);
}, 420_000);
