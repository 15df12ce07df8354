import { afterAll, beforeAll, expect, test } from 'vitest';
import { approveUpdate, type PlanMemberView, type RunResult } from '../../kit';
import { startClusterServer, type ClusterServer } from '../support/cluster-server';
import { planServices, switchEstate, type SwitchEstate } from '../helpers/switch-estate';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

const planId = 'plan/evacuate-region/A';
// A server of this file's own: crashing the one the other files share would pull it from under their runs.
let server: ClusterServer | undefined;
let ctx: TemporalTestContext | undefined;
let estate: SwitchEstate | undefined;

beforeAll(async () => {
  server = await startClusterServer({ namespaces: ['plan-operations'] });
  ctx = await connectToTestServer('plan-operations', server.address);
  estate = switchEstate();
});
afterAll(async () => {
  for (const id of [planId, ...planServices.map((s) => `region-failover/${s}`)]) {
    await ctx?.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
  await ctx?.close();
  await server?.stop();
  estate?.remove();
});

test(
  'a Temporal server that crashes while a plan moves its members: the plan resumes and finishes, each member started once',
  { timeout: 240_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx!, taskQueue, {}, estate!.targetsPath);
    const result = await worker.runUntil(async () => {
      const handle = await ctx!.client.workflow.start('recoveryPlan', {
        taskQueue,
        workflowId: planId,
        args: [{ input: { from: 'A', to: 'B', mode: 'emergency' }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
      for (const by of ['bob', 'carol', 'dave']) await handle.executeUpdate(approveUpdate, { args: [{ by }] });
      // Members are on their way (booking and crew started, the others waiting) when the server dies.
      await waitForStatus(handle, (s) => Object.values((s.details.members ?? {}) as Record<string, PlanMemberView>).some((m) => m.state === 'running'), 60_000);
      await server!.restart({ crash: true });
      return (await handle.result()) as RunResult<Record<string, PlanMemberView>>;
    });
    expect(result.state, result.outcome).toBe('succeeded');
    expect(Object.values(result.output!).map((m) => m.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // The plan's own history: one start of each member, whatever the server went through.
    const history = await ctx!.client.workflow.getHandle(planId).fetchHistory();
    const started = history.events!.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
    expect(started.sort()).toEqual(planServices.map((s) => `region-failover/${s}`).sort());
    expect(estate!.active()).toEqual({ booking: 'B', checkin: 'B', crew: 'B', 'flight-status': 'B' });
  },
);
