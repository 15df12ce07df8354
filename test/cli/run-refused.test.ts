import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import { statusQuery, type RunStatus } from '../../kit';
import { Roster } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';
import { testTrustRoot } from '../helpers/roster-seal';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * `lifeboat run` waits for a worker to check the start (roster, signature, claim) before it says "started": a start
 * the worker refuses exits 1 with the reason, as the README promises. The CLI cannot check these refusals itself: they
 * depend on the roster the worker holds.
 */

let ctx: TemporalTestContext;
let worker: Worker;
let running: Promise<void>;
const suffix = randomUUID().slice(0, 8);
const taskQueue = `run-refused-${suffix}`;
/** paging-check targets (teams) no other test uses; the worker picks its roster by the run's team. */
const teams = { noAlice: `no-alice-${suffix}`, broken: `broken-${suffix}`, good: `good-${suffix}`, unchecked: `unchecked-${suffix}` };
let env: Record<string, string>;

beforeAll(async () => {
  ctx = await connectToTestServer();
  env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const sealed = createRosterActivities({ rosterPath: inject('testRosterPath'), trustRoot: testTrustRoot() });
  const roster = await sealed.loadRoster();
  // The roster of a worker whose people list lost alice: her signed start names nobody it knows.
  const withoutAlice = Roster.parse({ ...roster, people: roster.people.filter((p) => p.id !== 'alice') });
  // A roster edited after the admins signed it: the worker refuses to use it at all.
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-run-refused-'));
  const edited = join(dir, 'roster.json');
  writeFileSync(edited, JSON.stringify({ ...JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')), groups: { ...roster.groups, extra: 'added later' } }));
  const broken = createRosterActivities({ rosterPath: edited, trustRoot: testTrustRoot() });
  // The good run's team is a roster group with erin in it, so its gate has someone besides the requester to ask.
  const withTeam = Roster.parse({
    ...roster,
    groups: { ...roster.groups, [teams.good]: 'a paging-check team of this test' },
    people: roster.people.map((p) => (p.id === 'erin' ? { ...p, groups: [...p.groups, teams.good] } : p)),
  });
  const made = await createTestWorker(ctx, taskQueue, {
    loadRoster: () => {
      const runId = Context.current().info.workflowExecution?.workflowId ?? '';
      if (runId.endsWith(`/${teams.noAlice}`)) return Promise.resolve(withoutAlice);
      if (runId.endsWith(`/${teams.broken}`)) return broken.loadRoster();
      if (runId.endsWith(`/${teams.good}`)) return Promise.resolve(withTeam);
      return sealed.loadRoster();
    },
  });
  worker = made.worker;
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await ctx?.close();
});

const statusOf = (runId: string) => ctx.rawClient.workflow.getHandle(runId).query(statusQuery);

test('a start the worker refuses exits 1 with the reason on stderr, and the run shows as refused at start', async () => {
  const runId = `paging-check/${teams.noAlice}`;
  const refused = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.noAlice}`, '--as', 'alice'], env);
  expect(refused.code, refused.stdout + refused.stderr).toBe(1);
  expect(refused.stdout).not.toContain('started');
  expect(refused.stderr).toMatch(new RegExp(`^error: ${runId} was refused at start: start refused: "alice" is not a roster id`));
  expect(refused.stderr).toContain(`  fix: fix what the reason names and run it again; the refused run stays listed as failed (lifeboat status ${runId})`);
  const status: RunStatus = await statusOf(runId);
  expect(status.state).toBe('failed');
  expect(status.audit.map((a) => a.action)).toEqual(['start-refused']);
});

test('a broken roster on the worker refuses the start: --json prints the refusal as a JSON error, exit 1', async () => {
  const refused = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.broken}`, '--as', 'alice', '--json'], env);
  expect(refused.code, refused.stderr).toBe(1);
  expect(refused.stdout).toBe('');
  const { error } = JSON.parse(refused.stderr) as { error: { code: string; message: string } };
  expect(error.code).toBe('start-refused');
  expect(error.message).toMatch(
    new RegExp(`^paging-check/${teams.broken} was refused at start: .*the roster sha256:[0-9a-f]{64} is signed by 0 of the 2 roster admins it needs`, 's'),
  );
});

test('a start the worker accepts still prints "started" and exits 0; --json says the start check passed', async () => {
  const runId = `paging-check/${teams.good}`;
  const started = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.good}`, '--as', 'alice'], env);
  try {
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`^started ${runId}\n  watch:  lifeboat status ${runId} --watch\n`));
    expect(started.stdout).not.toContain('no worker');
    await waitForStatus(ctx.rawClient.workflow.getHandle(runId), (s) => s.state === 'waiting-approval');
  } finally {
    await ctx.rawClient.workflow
      .getHandle(runId)
      .terminate('the test is over')
      .catch(() => undefined);
  }
  const again = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.good}`, '--as', 'alice', '--json'], env);
  try {
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ runId, startCheck: 'passed' });
  } finally {
    await ctx.rawClient.workflow
      .getHandle(runId)
      .terminate('the test is over')
      .catch(() => undefined);
  }
});

test('with no worker to check the start, run says so after a while and exits 0 instead of hanging', { timeout: 90_000 }, async () => {
  const runId = `paging-check/${teams.unchecked}`;
  const idle = testTaskQueue();
  const startedAt = Date.now();
  const started = await lifeboatInProcess(['run', 'paging-check', '--set', `team=${teams.unchecked}`, '--as', 'alice'], { ...env, LIFEBOAT_TASK_QUEUE: idle });
  try {
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`started ${runId}\n`);
    expect(started.stdout).toContain(
      `  no worker has checked its start yet (20s): it runs once a worker polls task queue ${idle}; lifeboat status ${runId} says whether it was accepted`,
    );
    expect(Date.now() - startedAt).toBeLessThan(45_000);
  } finally {
    await ctx.rawClient.workflow
      .getHandle(runId)
      .terminate('the test is over')
      .catch(() => undefined);
  }
});
