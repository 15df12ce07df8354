import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/**
 * Recovery plans as drills: `lifeboat run <plan> --drill ...` says what each member will do, a plan whose member
 * refuses the kind of drill is refused before anything starts, and `lifeboat drill schedule <plan>` starts the plan
 * run from its schedule's launcher. The runs stop at the plan's decision (approvals by people), so no member starts and
 * no estate is needed. Each run evacuates a region name of its own, so its run ID is this test's alone.
 */
let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
const evacuate = (from: string) => ['--set', `from=${from}`, '--set', 'to=B', '--set', 'mode=planned', '--as', 'alice'];

test('a dry run of a plan drill says what each member does in that drill, and who answers the decision', async () => {
  const isolated = await lifeboatInProcess(['run', 'evacuate-region', ...evacuate('A'), '--drill', 'isolated', '--dry-run'], offline);
  expect(isolated.code).toBe(0);
  expect(isolated.stdout).toContain(
    "isolated drill of plan evacuate-region: each member runs as an isolated drill, and each member's drill ends before the members after it start\n" +
      "  approvals by policy: the plan's decision and every member's gates approve themselves; nobody signs\n",
  );
  expect(isolated.stdout).toMatch(/^ {2}booking +region-failover\/booking +rehearses the database side on a clone of the target standby/m);
  expect(isolated.stdout).toMatch(/^ {2}flightStatus +region-failover\/flight-status +rehearses the database side/m);

  const live = await lifeboatInProcess(['run', 'evacuate-region', ...evacuate('A'), '--drill', 'live', '--dry-run', '--json'], offline);
  expect(live.code).toBe(0);
  const json = JSON.parse(live.stdout) as { drill: unknown; memberDrills: { member: string; runId: string; does: string }[]; decision: string };
  expect(json.drill).toEqual({ kind: 'live', approvals: 'people' });
  expect(json.memberDrills.map((m) => [m.member, m.runId])).toEqual([
    ['booking', 'region-failover/booking'],
    ['checkin', 'region-failover/checkin'],
    ['crew', 'region-failover/crew'],
    ['flightStatus', 'region-failover/flight-status'],
  ]);
  expect(json.memberDrills[0]!.does).toBe('runs the real failover, then fails back to the home region, so the estate ends where it started');
  expect(json.decision).toMatch(/^approvals by people: the plan's decision waits for its signers \(lifeboat plan evacuate-region says who\)/);
});

test('a plan whose member refuses a kind of drill is refused before anything starts or is scheduled, naming the member', async () => {
  const expected =
    'error: return-home has no isolated drill: its member flightStatus runs region-failback, which has none: it rebuilds real databases. ' +
    'Rehearse it with --drill live on a drill estate, after a live failover drill\n  fix: see lifeboat plan region-failback\n';
  const run = await lifeboatInProcess(['run', 'return-home', '--set', 'region=A', '--as', 'alice', '--drill', 'isolated'], offline);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(expected);
  // drill schedule defaults to an isolated drill.
  const schedule = await lifeboatInProcess(['drill', 'schedule', 'return-home', '--set', 'region=A', '--as', 'alice', '--every', '24h'], offline);
  expect(schedule.code).toBe(2);
  expect(schedule.stderr).toBe(expected);
});

test('lifeboat run <plan> --drill live starts the plan as a live drill, says what each member does, and waits for people at its gate', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const region = `live-${randomUUID().slice(0, 8)}`;
  const runId = `plan/evacuate-region/${region}`;
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(['run', 'evacuate-region', ...evacuate(region), '--drill', 'live'], env);
    try {
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      expect(started.stdout).toMatch(new RegExp(`^started live drill ${runId}\\nlive drill of plan evacuate-region: each member runs as a live drill`));
      expect(started.stdout).toMatch(/^ {2}checkin +region-failover\/checkin +runs the real failover, then fails back to the home region/m);
      const status = await waitForStatus(ctx.client.workflow.getHandle(runId), (s) => s.state === 'waiting-approval');
      expect(status).toMatchObject({ runbook: 'plan/evacuate-region', requestedBy: 'alice', drill: { kind: 'live', approvals: 'people' } });
    } finally {
      await ctx.client.workflow
        .getHandle(runId)
        .terminate('test over')
        .catch(() => undefined);
    }
  });
});

test('lifeboat drill schedule <plan> starts the plan run from the schedule, under plan/<plan>/<target>, as the drill it signed', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const region = `drill-${randomUUID().slice(0, 8)}`;
  const runId = `plan/evacuate-region/${region}`;
  const scheduleId = `drill/${runId}`;
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const created = await lifeboatInProcess(
      ['drill', 'schedule', 'evacuate-region', '--every', '1h', ...evacuate(region), '--drill-approvals', 'people', '--json'],
      env,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const schedule = JSON.parse(created.stdout) as { memberDrills: { member: string; does: string }[] };
    expect(schedule).toMatchObject({ scheduleId, runbook: 'plan/evacuate-region', drill: { kind: 'isolated', approvals: 'people' } });
    // What each member will do when the schedule fires, as lifeboat run <plan> --drill says it.
    expect(schedule.memberDrills.map((m) => m.member)).toEqual(['booking', 'checkin', 'crew', 'flightStatus']);
    expect(schedule.memberDrills[0]!.does).toMatch(/^rehearses the database side on a clone of the target standby/);
    try {
      expect((await lifeboatInProcess(['drill', 'trigger', scheduleId], env)).code).toBe(0);
      // The launcher checked the schedule's signed authorisation and started the plan; the plan run checked it again.
      const handle = ctx.client.workflow.getHandle(runId);
      const status = await waitForStatus(handle, (s) => s.state === 'waiting-approval', 45_000);
      expect(status).toMatchObject({ runbook: 'plan/evacuate-region', target: region, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'people' } });
      const described = await handle.describe();
      expect(described.type).toBe('recoveryPlan');
      expect(described.parentExecution?.workflowId).toMatch(new RegExp(`^${scheduleId}-`));
      const listed = JSON.parse((await lifeboatInProcess(['drill', 'list', '--json'], env)).stdout) as {
        scheduleId: string;
        runbook: string;
        target: string;
      }[];
      expect(listed.find((s) => s.scheduleId === scheduleId)).toMatchObject({ runbook: 'plan/evacuate-region', target: region });
    } finally {
      await lifeboatInProcess(['drill', 'delete', scheduleId], env);
      await ctx.client.workflow
        .getHandle(runId)
        .terminate('test over')
        .catch(() => undefined);
    }
  });
});
