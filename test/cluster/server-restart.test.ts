import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { startClusterServer, type ClusterServer } from '../support/cluster-server';
import { approveUpdate, type RunResult } from '../../kit';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { closeRunbookSuite } from '../helpers/runbook-suite';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { estateSnapshot } from '../runbooks/region-helpers';

const runId = 'region-failover/booking';
// A server of this file's own: restarting the one the other files share would pull it from under their runs.
let server: ClusterServer | undefined;
let ctx: TemporalTestContext | undefined;
let estate: TestEstate | undefined;

beforeAll(async () => {
  [server, estate] = await Promise.all([startClusterServer({ namespaces: ['region-failover'] }), startTestEstate({ fleetHosts: 4 })]);
  ctx = await connectToTestServer('region-failover', server.address);
});
afterAll(async () => {
  await closeRunbookSuite({ ctx, estate }, [runId]);
  await server?.stop();
});

test('a failover waiting at its gate survives a server restart and a server crash, then finishes with one promotion and one switch', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx!, taskQueue, {}, join(estate!.dir, 'lifeboat.targets.json'));
  await worker.runUntil(async () => {
    const handle = await ctx!.client.workflow.start('regionFailover', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { service: 'booking', mode: 'planned', verifyWindowSeconds: 1 }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');

    await server!.restart();
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'lag checked' }] });
    const halfway = await waitForStatus(handle, (s) => s.gates[0]?.votes.length === 1);
    expect(halfway.state).toBe('waiting-approval');

    await server!.restart({ crash: true });
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    const result = (await handle.result()) as RunResult<SwitchResult>;

    expect(result.state).toBe('succeeded');
    expect(result.gates[0]).toMatchObject({ status: 'approved', votes: [{ by: 'bob' }, { by: 'carol' }] });
    const once = (name: string) => result.steps.filter((s) => s.name === name);
    expect(once('promote')).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1 })]);
    expect(once('switchTraffic')).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1 })]);
    // The history agrees: the promotion and the switch were each scheduled once, whatever the server went through.
    const scheduled = (await handle.fetchHistory()).events!.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    expect(scheduled.filter((n) => n === 'promoteStandby')).toHaveLength(1);
    expect(scheduled.filter((n) => n === 'setActiveBackend')).toHaveLength(1);
  });
  expect(await estateSnapshot(estate!.catalog)).toMatchObject({
    active: 'B',
    A: { role: 'primary', fenced: true, lbServer: 'DRAIN' },
    B: { role: 'primary', fenced: false, mode: 'normal', lbServer: expect.stringMatching(/^UP/) },
  });
}, 240_000);
