import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunStatus } from '../../kit';
import type { ScheduledDrillResult } from '../../workflows/scheduled-drill';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../cli/report/model';
import { renderedDom } from '../helpers/browser';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The results of the workflows a schedule has started so far. */
async function scheduledResults(scheduleId: string): Promise<ScheduledDrillResult[]> {
  const description = await ctx.client.schedule.getHandle(scheduleId).describe();
  const results: ScheduledDrillResult[] = [];
  for (const action of description.info.recentActions) {
    const handle = ctx.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
    const info = await handle.describe();
    if (info.status.name === 'COMPLETED') results.push((await handle.result()) as ScheduledDrillResult);
  }
  return results;
}

test('a drill schedule created from the CLI fires, and pause, resume, trigger and delete behave as in temporal schedule', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const team = `drill-${taskQueue}`.slice(0, 40);
  const scheduleId = `drill/paging-check/${team}`;
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const created = await lifeboatInProcess(
      ['drill', 'schedule', 'paging-check', '--every', '2s', '--set', `team=${team}`, '--objective', 'rto=600', '--as', 'alice', '--json'],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ scheduleId, drill: { kind: 'isolated', approvals: 'policy' }, objectives: { rtoSeconds: 600 } });
    try {
      // It fires on its own schedule, and the drill run passes.
      const first = await eventually('the schedule to fire', async () => (await scheduledResults(scheduleId)).find((r) => r.ran));
      expect(first.runId).toBe(`paging-check/${team}`);
      const run = (first as Extract<ScheduledDrillResult, { ran: true }>).result;
      expect(run).toMatchObject({
        state: 'succeeded',
        drill: { kind: 'isolated', approvals: 'policy' },
        objectives: { rtoSeconds: 600 },
        details: { drillResult: 'passed' },
      });

      const paused = await lifeboatInProcess(['drill', 'pause', scheduleId, '--reason', 'change freeze'], env);
      expect(paused.code).toBe(0);
      const listed = JSON.parse((await lifeboatInProcess(['drill', 'list', '--json'], env)).stdout) as { scheduleId: string; paused: boolean; note: string }[];
      expect(listed.find((s) => s.scheduleId === scheduleId)).toMatchObject({ paused: true, note: 'change freeze' });

      // A paused schedule still runs when triggered by hand, as with temporal schedule trigger.
      const before = (await ctx.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken;
      expect((await lifeboatInProcess(['drill', 'trigger', scheduleId], env)).code).toBe(0);
      await eventually('the triggered action', async () =>
        (await ctx.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken > before ? true : undefined,
      );

      expect((await lifeboatInProcess(['drill', 'resume', scheduleId], env)).code).toBe(0);
      const resumed = JSON.parse((await lifeboatInProcess(['drill', 'list', '--json'], env)).stdout) as { scheduleId: string; paused: boolean }[];
      expect(resumed.find((s) => s.scheduleId === scheduleId)?.paused).toBe(false);

      const history = await eventually('drill history', async () => {
        const out = await lifeboatInProcess(['drill', 'history', 'paging-check', '--json'], env);
        const entries = (JSON.parse(out.stdout) as { runId: string; passed: boolean }[]).filter((e) => e.runId === `paging-check/${team}`);
        return entries.length > 0 ? entries : undefined;
      });
      expect(history.every((e) => e.passed)).toBe(true);
      const text = await lifeboatInProcess(['drill', 'history', 'paging-check'], env);
      expect(text.stdout).toContain('pass');
      expect(text.stdout).toContain('RTO, newest first:');

      // The drill's report: marked as a drill, measured against the schedule's objective, and passed.
      // The schedule keeps firing; pause it so the latest drill run can finish before its report is read.
      expect((await lifeboatInProcess(['drill', 'pause', scheduleId], env)).code).toBe(0);
      const report = await eventually('the latest drill to finish', async () => {
        // A drill the schedule started a moment ago answers no status query until it has checked its start: wait for it.
        const shown = await lifeboatInProcess(['report', `paging-check/${team}`, '--json'], env);
        if (shown.code !== 0 && shown.stderr.includes('did not register a handler for status')) return undefined;
        const latest = JSON.parse(shown.stdout) as RunReport;
        return latest.finishedAt ? latest : undefined;
      });
      expect(report).toMatchObject({ runbook: 'paging-check', drill: { kind: 'isolated', approvals: 'policy' }, drillProblems: [] });
      expect(report.objectives).toEqual([expect.objectContaining({ objective: 'rto', targetSeconds: 600, met: true })]);

      // The history as a page: the browser draws one point per drill that measured its RTO.
      const page = join(tmpdir(), `drills-${taskQueue}.html`);
      expect((await lifeboatInProcess(['drill', 'history', 'paging-check', '--format', 'html', '--out', page], env)).code).toBe(0);
      const dom = await renderedDom(page);
      rmSync(page, { force: true });
      const rows = [...dom.matchAll(/<tr>((?:<td>.*?<\/td>)+)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]!));
      const measured = rows.flatMap((cells) => [cells[3], cells[4]]).filter((cell) => cell !== '-').length;
      expect(rows.length).toBeGreaterThan(0);
      expect(measured).toBeGreaterThan(0);
      expect(Number(/data-drawn-points="(\d+)"/.exec(dom)?.[1])).toBe(measured);
    } finally {
      const deleted = await lifeboatInProcess(['drill', 'delete', scheduleId], env);
      expect(deleted.code).toBe(0);
    }
    const gone = await lifeboatInProcess(['drill', 'trigger', scheduleId], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`no drill schedule ${scheduleId}`);
  });
});

test('a drill never overlaps a real run of the same runbook and target', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(['run', 'paging-check', '--set', 'team=airline-ops', '--as', 'alice', '--json'], env);
    expect(started.code).toBe(0);
    const real = ctx.client.workflow.getHandle('paging-check/airline-ops');
    await waitForStatus(real, (s) => s.state === 'waiting-approval');
    const scheduleId = 'drill/paging-check/airline-ops';
    expect((await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', '1h', '--set', 'team=airline-ops', '--as', 'erin'], env)).code).toBe(0);
    try {
      expect((await lifeboatInProcess(['drill', 'trigger', scheduleId], env)).code).toBe(0);
      const skipped = await eventually('the triggered drill', async () => (await scheduledResults(scheduleId))[0]);
      expect(skipped).toEqual({
        ran: false,
        runId: 'paging-check/airline-ops',
        reason: 'paging-check/airline-ops was already running, so this drill was skipped to avoid overlapping it',
      });
      const status = (await real.query('status')) as RunStatus;
      expect(status.state).toBe('waiting-approval');
      expect(status.drill).toBeUndefined();
    } finally {
      await lifeboatInProcess(['drill', 'delete', scheduleId], env);
      await real.terminate('test done');
    }
  });
});

test('drill flags are checked before anything is scheduled', async () => {
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const both = await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', '1h', '--cron', '0 3 * * *'], env);
  expect(both.code).toBe(2);
  expect(both.stderr).toContain('exactly one of --cron or --every');
  const badEvery = await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', 'daily'], env);
  expect(badEvery.code).toBe(2);
  expect(badEvery.stderr).toContain('--every daily is not a duration');
  const badKind = await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', '1h', '--drill', 'pretend'], env);
  expect(badKind.code).toBe(2);
  expect(badKind.stderr).toContain('use --drill isolated (a throwaway copy) or --drill live (a game day)');
  const badObjective = await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', '1h', '--objective', 'rto=fast'], env);
  expect(badObjective.code).toBe(2);
});
