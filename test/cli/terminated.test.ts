import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConsoleApi } from '../../cli/console/api';
import type { RunReport } from '../../cli/report/model';
import type { ShownStatus } from '../../cli/run-outcome';
import type { TestEstate } from '../../estate/testing';
import { lifeboat, temporalCli } from '../helpers/cli';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { approveByLeads, estateSnapshot, sql } from '../runbooks/region-helpers';

const runId = 'region-failover/booking';
let ctx: TemporalTestContext;
let estate: TestEstate;
let targetsPath: string;

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ fleetHosts: 4 }, 'cli-terminated'));
});
afterAll(() => closeRunbookSuite({ ctx, estate }, [runId]));

const undosNotRun = [
  { step: 'fence', undo: 'Unfence the source database' },
  { step: 'drain', undo: 'Restore the source region at the load balancer' },
];

test('a failover terminated with the stock temporal CLI while it waits in catchUp shows as terminated everywhere, with its step, the undos that never ran and what to do next', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
  await worker.runUntil(async () => {
    const started = await lifeboat(
      ['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--set', 'catchUpTimeoutSeconds=240', '--as', 'alice'],
      env,
    );
    expect(started.stderr).toBe('');
    const handle = ctx.client.workflow.getHandle(runId);
    await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
    // B stops replaying and A takes one more booking: the standby can never catch up, so catchUp waits (fenced, drained).
    await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_pause()');
    try {
      const booked = await fetch(`${estate.catalog.loadBalancer!.clientUrl}/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ idempotencyKey: `ahead-${taskQueue}`, flight: 'LB901', seat: '2A', passenger: 'Ahead' }),
      });
      expect(booked.status).toBe(201);
      await approveByLeads(handle);
      const waiting = await waitForStatus(handle, (s) => s.currentStep === 'catchUp' && s.steps.some((x) => x.name === 'fence' && x.status === 'succeeded'));
      expect(waiting.state).toBe('running');
      const terminated = await temporalCli(['workflow', 'terminate', '--workflow-id', runId, '--reason', 'standby stuck, giving up'], ctx.address);
      expect(terminated.code, terminated.stderr).toBe(0);
    } finally {
      await sql(estate.catalog, 'B', 'SELECT pg_wal_replay_resume()');
    }
    // The hole the run leaves: A fenced and drained, nobody serves booking, and no undo ran.
    expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'A', A: { fenced: true, lbServer: 'DRAIN' }, B: { role: 'standby' } });

    const text = await lifeboat(['status', runId], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('state: terminated');
    expect(text.stdout).toMatch(/TERMINATED by Temporal at \S+ by \S+: standby stuck, giving up/);
    expect(text.stdout).toContain('it last said "running" and was in catchUp');
    expect(text.stdout).toContain('undos that never ran: fence (Unfence the source database), drain (Restore the source region at the load balancer)');
    expect(text.stdout).toContain('  1. check the estate now: lifeboat targets check --service booking; lifeboat readiness region-failover --target booking');
    expect(text.stdout).toContain(
      '  2. undo by hand, in this order: 1) fence: Unfence the source database; 2) drain: Restore the source region at the load balancer',
    );
    expect(text.stdout).toContain(
      '  3. then, if the service must still move: lifeboat run region-failover --set service=booking --set mode=planned --as <you>',
    );
    // No gate or abort hint for a run that can take no decision any more.
    expect(text.stdout).not.toContain('next: lifeboat approve');

    const json = await lifeboat(['status', runId, '--json'], env);
    const status = JSON.parse(json.stdout) as ShownStatus;
    expect(status.state).toBe('terminated');
    expect(status.endedByTemporal).toMatchObject({
      how: 'terminated',
      reason: 'standby stuck, giving up',
      by: expect.any(String),
      lastState: 'running',
      inStep: 'catchUp',
      undosNotRun,
      statusRead: true,
    });
    expect(status.outcome).toContain('undos never run: fence, drain');

    const list = await lifeboat(['list'], env);
    expect(list.stdout).toMatch(new RegExp(`${runId} +terminated +alice `));
    const listed = JSON.parse((await lifeboat(['list', '--json', '--state', 'terminated'], env)).stdout) as Record<string, string>[];
    expect(listed).toEqual([expect.objectContaining({ runId, state: 'terminated', lastState: 'running', temporalStatus: 'TERMINATED' })]);
    expect(JSON.parse((await lifeboat(['list', '--json', '--state', 'running'], env)).stdout)).toEqual([]);

    const report = JSON.parse((await lifeboat(['report', runId, '--format', 'json'], env)).stdout) as RunReport;
    expect(report.state).toBe('terminated');
    expect(report.endedByTemporal).toMatchObject({ inStep: 'catchUp', undosNotRun });
    const md = (await lifeboat(['report', runId], env)).stdout;
    expect(md).toContain('**terminated**: terminated by Temporal');
    expect(md).toContain('## Ended by Temporal, not by Lifeboat');
    expect(md).toContain('| fence | Unfence the source database |');
    expect(md).toContain('lifeboat run region-failover --set service=booking --set mode=planned --as &lt;you&gt;');

    const api = new ConsoleApi({ client: ctx.rawClient, namespace: ctx.namespace, taskQueue, rpId: 'localhost', drillControls: false });
    const page = JSON.parse(JSON.stringify(await api.run(runId))) as { status: ShownStatus };
    expect(page.status).toMatchObject({ state: 'terminated', endedByTemporal: { inStep: 'catchUp', undosNotRun } });
    expect(await api.runs({})).toEqual([expect.objectContaining({ runId, state: 'terminated' })]);
    await expect(api.prepareDecision(runId, { kind: 'abort', by: 'bob' })).rejects.toThrow(`${runId} was terminated by Temporal; it takes no decisions`);
  });

  // With no worker to replay it, the state still comes from Temporal; the steps are then unknown and status says so.
  const alone = JSON.parse((await lifeboat(['status', runId, '--json'], env)).stdout) as ShownStatus;
  expect(alone).toMatchObject({ state: 'terminated', endedByTemporal: { how: 'terminated', statusRead: false, lastState: 'running' } });
  expect(alone.endedByTemporal!.next[0]).toMatch(/^no worker answered .* start a worker/);
}, 180_000);
