import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPlanForecastActivities } from '../../activities/plan-forecast';
import type { RunStatus } from '../../kit';
import { runSearchAttributes } from '../../kit/trust';
import type { PlanForecastReport } from '../../lib/plan-forecast';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, testTaskQueue, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer('plan-forecast');
});
afterAll(() => ctx.close());

/**
 * A finished run of `region-failover/<service>` in Temporal, through a stand-in workflow that returns the status it is
 * given: `workSeconds` of work, after a gate that waited `gateSeconds` for approvers. Returns Temporal's run ID.
 */
async function finishedRun(taskQueue: string, service: string, workSeconds: number, gateSeconds = 0, drill?: 'isolated'): Promise<string> {
  const end = Date.now() - 60_000;
  const start = end - (workSeconds + gateSeconds) * 1000;
  const iso = (ms: number) => new Date(ms).toISOString();
  const status: RunStatus = {
    runId: `region-failover/${service}`,
    runbook: 'region-failover',
    title: 'Region failover',
    target: service,
    state: 'succeeded',
    requestedBy: 'alice',
    ...(drill ? { drill: { kind: drill, approvals: 'policy' as const } } : {}),
    startedAt: iso(start),
    updatedAt: iso(end),
    finishedAt: iso(end),
    steps: [],
    gates:
      gateSeconds > 0
        ? [
            {
              name: 'approve',
              title: 'Approve the failover',
              status: 'approved',
              openedAt: iso(start + 10_000),
              decidedAt: iso(start + 10_000 + gateSeconds * 1000),
              quorum: 2,
              approvers: { groups: ['sre-leads'] },
              eligible: [],
              votes: [],
              escalations: 0,
              expiresAt: iso(end + 3_600_000),
              onExpiry: 'abort',
            },
          ]
        : [],
    compensation: [],
    details: {},
    audit: [],
  };
  const handle = await ctx.rawClient.workflow.start('finishedRunStandIn', {
    taskQueue,
    workflowId: `region-failover/${service}`,
    args: [status],
    typedSearchAttributes: runSearchAttributes({ runbook: 'region-failover', target: service, state: 'succeeded', ...(drill ? { drill } : {}) }),
  });
  await handle.result();
  return handle.firstExecutionRunId;
}

/** Waits until Temporal's list of runs shows `count` succeeded runs of the workflow ID, as the forecast reads them. */
async function listed(workflowId: string, count: number): Promise<void> {
  const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed' AND LifeboatState = 'succeeded'`;
  await expect.poll(async () => (await ctx.rawClient.workflow.count(query)).count).toBe(count);
}

test('lifeboat readiness <plan> forecasts the RTO from the members’ finished runs, and is not ready while a member has none or is too slow; the worker’s activity gives the same report', async () => {
  const taskQueue = testTaskQueue();
  const worker = await Worker.create({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    workflowsPath: resolve(__dirname, '../fixtures/finished-run/workflows.ts'),
    identity: `plan-forecast-${randomUUID().slice(0, 8)}`,
  });
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  await worker.runUntil(async () => {
    // booking waited 20 minutes for its approvers once: that wait is no part of a plan, whose gate approves it at once.
    const bookingRuns = [await finishedRun(taskQueue, 'booking', 600, 1200), await finishedRun(taskQueue, 'booking', 480)];
    await finishedRun(taskQueue, 'checkin', 300, 0, 'isolated');
    await finishedRun(taskQueue, 'checkin', 360);
    await finishedRun(taskQueue, 'flight-status', 60);
    await Promise.all([listed('region-failover/booking', 2), listed('region-failover/checkin', 2), listed('region-failover/flight-status', 1)]);

    const unknown = await lifeboatInProcess(['readiness', 'evacuate-region', '--set', 'from=A', '--set', 'to=B', '--set', 'mode=planned'], env);
    expect(unknown.stderr).toBe('');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('forecast:      unknown (no history for crew)');
    expect(unknown.stdout).toContain('NOT READY: crew has no succeeded run of region-failover/crew in the last 30 days');

    await finishedRun(taskQueue, 'crew', 200);
    await listed('region-failover/crew', 1);
    // No --set: the plan's first example (from A to B, planned).
    const ready = await lifeboatInProcess(['readiness', 'evacuate-region'], env);
    expect(ready.stderr).toBe('');
    expect(ready.code).toBe(0);
    expect(ready.stdout).toContain('objective:     45m');
    // Medians along booking → checkin → flightStatus: 9m (540 s) + 5m 30s (330 s) + 1m.
    expect(ready.stdout).toContain('forecast:      15m 30s (range 14m–17m)');
    expect(ready.stdout).toContain('based on:      6 succeeded runs in the last 30 days');
    expect(ready.stdout).toContain('critical path: booking → checkin → flightStatus');
    expect(ready.stdout.trimEnd().split('\n').at(-1)).toBe('ready');

    const json = await lifeboatInProcess(['readiness', 'evacuate-region', '--json'], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as PlanForecastReport;
    expect(report.ready).toBe(true);
    expect(report.summary).toBe('forecast 15m 30s (14m–17m) from 6 runs, objective 45m; critical path booking → checkin → flightStatus');
    const booking = report.members.find((m) => m.member === 'booking')!;
    expect(booking.runs.map((r) => r.temporalRunId).sort()).toEqual([...bookingRuns].sort());
    expect(booking.runs.map((r) => r.seconds).sort()).toEqual([480, 600]);
    expect(
      report.members
        .find((m) => m.member === 'checkin')!
        .runs.map((r) => r.drill)
        .sort(),
    ).toEqual(['isolated', 'none']);

    // The activity the plan's run calls before its gate reads the same runs, and refuses a plan that does not exist.
    const { forecastPlanRto } = createPlanForecastActivities();
    const activity = new MockActivityEnvironment({}, { client: ctx.rawClient });
    const fromWorker: PlanForecastReport = await activity.run(forecastPlanRto, { plan: 'evacuate-region', input: { from: 'A', to: 'B', mode: 'planned' } });
    expect(fromWorker.summary).toBe(report.summary);
    const unknownPlan = await activity.run(forecastPlanRto, { plan: 'evacuate-regoin', input: {} }).catch((err: unknown) => err);
    expect(unknownPlan).toBeInstanceOf(ApplicationFailure);
    expect((unknownPlan as ApplicationFailure).nonRetryable).toBe(true);
    expect((unknownPlan as ApplicationFailure).message).toBe('no recovery plan evacuate-regoin; the plans are evacuate-region, return-home');

    // Three slow check-ins: its median of the five newest is 40 minutes, which takes the plan past its 45.
    for (let i = 0; i < 3; i++) await finishedRun(taskQueue, 'checkin', 2400);
    await listed('region-failover/checkin', 5);
    const slow = await lifeboatInProcess(['readiness', 'evacuate-region', '--set', 'from=A', '--set', 'to=B', '--set', 'mode=emergency'], env);
    expect(slow.code).toBe(1);
    expect(slow.stdout).toContain('NOT READY: checkin is too slow: along the critical path it is forecast to end at 49m, past the objective of 45m');
  });
});

test('lifeboat readiness <plan> refuses an input its plan refuses, naming the field, before asking Temporal anything', async () => {
  const env = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const bad = await lifeboatInProcess(['readiness', 'evacuate-region', '--set', 'from=A', '--set', 'to=B', '--set', 'mode=sideways'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('invalid input for plan evacuate-region');
  expect(bad.stderr).toContain('→ at mode');
  const typo = await lifeboatInProcess(['readiness', 'evacuate-region', '--set', 'form=A', '--set', 'to=B', '--set', 'mode=planned'], env);
  expect(typo.code).toBe(2);
  expect(typo.stderr).toContain('plan evacuate-region has no input field form');
  const runbookWithSet = await lifeboatInProcess(['readiness', 'region-failover', '--set', 'service=booking'], env);
  expect(runbookWithSet.code).toBe(2);
  expect(runbookWithSet.stderr).toContain('--set is for a recovery plan');
});
