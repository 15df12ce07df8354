import { afterAll, beforeAll, expect, test } from 'vitest';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/**
 * A recovery plan started, watched and listed through the real CLI, up to its one decision and no further: nothing
 * moves before the plan is approved, so no estate is needed. Region B is evacuated here (plan/evacuate-region/B),
 * a run ID no other test in this namespace uses.
 */
let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

test('lifeboat run starts a plan under its own run ID; status shows its members and the decision it waits for; list shows the plan run', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const runId = 'plan/evacuate-region/B';
  const { worker } = await createTestWorker(ctx, taskQueue);
  await worker.runUntil(async () => {
    const started = await lifeboatInProcess(['run', 'evacuate-region', '--set', 'from=B', '--set', 'to=A', '--set', 'mode=planned', '--as', 'alice'], env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`started ${runId}\n`);
    expect(started.stdout).toContain(`  decide: lifeboat approve ${runId} --as <you>`);
    await waitForStatus(ctx.client.workflow.getHandle(runId), (s) => s.state === 'waiting-approval');

    const status = await lifeboatInProcess(['status', runId], env);
    expect(status.code).toBe(0);
    const text = status.stdout;
    expect(text).toMatch(/^plan\/evacuate-region\/B {2}Evacuate a region/);
    expect(text).toContain('gate approve-plan: Two SRE leads and airline operations approve evacuating the region');
    expect(text).toContain("plan evacuate-region: 4 members; 4 waiting; none starts before the plan's decision");
    expect(text).toMatch(/^ {2}booking +region-failover\/booking +waiting +nobody$/m);
    expect(text).toMatch(/^ {2}checkin +region-failover\/checkin +waiting +booking \(waiting\)$/m);
    expect(text).toContain('critical path: booking (15m, its objective) → checkin (15m, its objective) → flightStatus (15m, its objective) = 45m');
    expect(text).toContain('plan RTO: not measured yet (objective 45m)');
    expect(text).toContain(
      'decision: approve-plan open (Two SRE leads and airline operations approve evacuating the region): needs 3 approvals from group sre-leads or group airline-ops, including 2 of group sre-leads and 1 of group airline-ops; signed so far by nobody',
    );
    // The members are shown as a table, not as the raw detail.
    expect(text).not.toMatch(/^ {2}members: \{/m);

    const json = JSON.parse((await lifeboatInProcess(['status', runId, '--json'], env)).stdout);
    // Before its decision the run publishes no members; the CLI shows them as the plan will start them.
    expect(json.details.members).toBeUndefined();
    expect(json.plan.members.map((m: { name: string; runId: string }) => [m.name, m.runId])).toEqual([
      ['booking', 'region-failover/booking'],
      ['checkin', 'region-failover/checkin'],
      ['crew', 'region-failover/crew'],
      ['flightStatus', 'region-failover/flight-status'],
    ]);

    const listed = await lifeboatInProcess(['list', '--runbook', 'plan/evacuate-region'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^plan\/evacuate-region\/B +waiting-approval +alice +/m);
    // By the plan's own name too, as lifeboat run and lifeboat plan take it.
    const byName = await lifeboatInProcess(['list', '--runbook', 'evacuate-region', '--json'], env);
    expect(JSON.parse(byName.stdout).map((r: { runId: string }) => r.runId)).toContain(runId);

    const aborted = await lifeboatInProcess(['abort', runId, '--as', 'alice', '--reason', 'test over'], env);
    expect(aborted.code, aborted.stderr).toBe(0);
    await waitForStatus(ctx.client.workflow.getHandle(runId), (s) => s.state === 'aborted');
    // Aborted before its decision: no member started, and none will.
    const after = (await lifeboatInProcess(['status', runId], env)).stdout;
    expect(after).toContain('plan evacuate-region: 4 members; 4 not-started\n');
    expect(after).toMatch(/^decision: approve-plan closed at /m);
  });
});
