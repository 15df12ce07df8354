import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunResult } from '../../kit';
import type { FailbackResult } from '../../workflows/region-failback';
import type { SwitchResult } from '../../workflows/region-switch-facts';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { approveByLeads } from './region-helpers';

/**
 * The switch's own decisions, on activities that only record what they were asked: a service that keeps no data
 * (flight-status) moves its traffic and modes and nothing else, and a switch of a failover group names every member.
 * The real activities' side is tested against the estate; here only which ones the workflow calls, in which order.
 */
let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer('region-stateless');
});
afterAll(() => ctx?.close());

type Region = 'A' | 'B';
interface Call {
  activity: string;
  region?: string;
  state?: string;
  mode?: string;
}

/** Region activities that answer as a healthy two-region estate would, and record every call. */
function recordingActivities(regions: { source: Region; target: Region; group: string[]; stateless: boolean }) {
  const calls: Call[] = [];
  const record = (activity: string, args: { region?: string; state?: string; mode?: string } = {}) =>
    calls.push({
      activity,
      ...(args.region ? { region: args.region } : {}),
      ...(args.state ? { state: args.state } : {}),
      ...(args.mode ? { mode: args.mode } : {}),
    });
  const node = (region: string, primary: boolean) => ({
    region,
    reachable: true,
    inRecovery: !primary,
    fenced: false,
    lsn: '0/3000060',
    replayLsn: primary ? null : '0/3000060',
    receiveLsn: primary ? null : '0/3000060',
    streaming: !primary,
  });
  const activities = {
    async resolveRegions(args: { service: string }) {
      record('resolveRegions');
      return {
        service: args.service,
        source: regions.source,
        target: regions.target,
        activeBefore: regions.source,
        group: regions.group,
        stateless: regions.stateless,
      };
    },
    async preflightTarget(args: { region: string }) {
      record('preflightTarget', args);
      return {
        region: args.region,
        database: regions.stateless ? { region: args.region, reachable: false, error: 'keeps no data' } : node(args.region, false),
        service: { region: args.region, reachable: true, status: 'ok', mode: 'normal' },
        loadBalancer: { region: args.region, endpoint: `pool-${args.region}`, healthy: true, status: 'UP' },
      };
    },
    async health(args: { region: string }) {
      record('health', args);
      return { region: args.region, reachable: true, status: 'ok', mode: 'normal' };
    },
    async replicationStatus() {
      record('replicationStatus');
      const nodes = { [regions.source]: node(regions.source, true), [regions.target]: node(regions.target, false) };
      return { nodes, primary: regions.source, standby: regions.target, lagBytes: 0, lagSeconds: 0, checkedAt: new Date().toISOString() };
    },
    async readServerState(args: { region: string }) {
      record('readServerState', args);
      return { region: args.region, state: 'ready', status: 'UP' };
    },
    async drainBackend(args: { region: string; state?: string }) {
      record('drainBackend', { region: args.region, state: args.state ?? 'drain' });
      return { region: args.region, state: args.state ?? 'drain', applied: true, members: [] };
    },
    async readFencing(args: { region: string }) {
      record('readFencing', args);
      return { region: args.region, reachable: true, fenced: false };
    },
    async nodeStatus(args: { region: string }) {
      record('nodeStatus', args);
      return node(args.region, args.region === regions.source);
    },
    async fenceDatabase(args: { region: string }) {
      record('fenceDatabase', args);
      return { region: args.region, fenced: true, alreadyFenced: false, terminatedSessions: 0 };
    },
    async currentWalLsn(args: { region: string }) {
      record('currentWalLsn', args);
      return { region: args.region, lsn: '0/3000060', inRecovery: false };
    },
    async waitForReplay(args: { region: string }) {
      record('waitForReplay', args);
      return { region: args.region, replayLsn: '0/3000060', reached: true };
    },
    async promoteStandby(args: { region: string }) {
      record('promoteStandby', args);
      return { region: args.region, alreadyPromoted: false, lsn: '0/3000060', provider: 'postgres (test)' };
    },
    async countLostAcknowledged(args: { region: string }) {
      record('countLostAcknowledged', args);
      return { present: false };
    },
    async unfenceDatabase(args: { region: string }) {
      record('unfenceDatabase', args);
      return { region: args.region, fenced: false, alreadyUnfenced: true };
    },
    async setMode(args: { region: string; mode: string }) {
      record('setMode', args);
      return { region: args.region, mode: args.mode, previous: 'read-only', changed: true };
    },
    async setActiveBackend(args: { region: string }) {
      record('setActiveBackend', args);
      return { region: args.region, previous: regions.source, changed: true, provider: 'route53 (test)', members: [] };
    },
    async verifyThroughLoadBalancer(args: { region: string }) {
      record('verifyThroughLoadBalancer', args);
      return { bookingRegion: args.region, replayed: false, healthChecks: 1, via: 'route53 (test)' };
    },
    async rebuildStandby(args: { region: string }) {
      record('rebuildStandby', args);
      return { region: args.region, primary: regions.source, method: 'pg_rewind' };
    },
    async waitForStandby(args: { region: string }) {
      record('waitForStandby', args);
      return { region: args.region, lagBytes: 0 };
    },
  };
  return { activities, calls };
}

/** Starts a run as alice, lets the two SRE leads approve it, and returns its result. */
async function approvedRun<T>(taskQueue: string, workflowType: string, runbook: string, input: Record<string, unknown>): Promise<RunResult<T>> {
  const handle = await ctx.client.workflow.start(workflowType, {
    taskQueue,
    workflowId: `${runbook}/${String(input.service)}`,
    args: [{ input, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  await approveByLeads(handle);
  return (await handle.result()) as RunResult<T>;
}

const dataActivities = ['replicationStatus', 'readFencing', 'nodeStatus', 'fenceDatabase', 'currentWalLsn', 'waitForReplay', 'promoteStandby'];
const infoNotices = (notes: { kind: string; title: string; text: string }[]) => notes.filter((n) => n.kind === 'info');

test('a planned failover of flight-status moves traffic and modes only, reports RPO 0 as stateless, and says why the data steps did not run', async () => {
  const taskQueue = testTaskQueue();
  const { activities, calls } = recordingActivities({ source: 'A', target: 'B', group: ['flight-status'], stateless: true });
  const { worker, notifications } = await createTestWorker(ctx, taskQueue, activities);
  const result = await worker.runUntil(
    approvedRun<SwitchResult>(taskQueue, 'regionFailover', 'region-failover', { service: 'flight-status', mode: 'planned' }),
  );

  expect(result.state).toBe('succeeded');
  expect(calls).toEqual([
    { activity: 'resolveRegions' },
    { activity: 'preflightTarget', region: 'B' },
    { activity: 'health', region: 'A' },
    { activity: 'readServerState', region: 'A' },
    { activity: 'drainBackend', region: 'A', state: 'drain' },
    { activity: 'setMode', region: 'B', mode: 'normal' },
    { activity: 'setActiveBackend', region: 'B' },
    { activity: 'verifyThroughLoadBalancer', region: 'B' },
  ]);
  const ran = result.steps.filter((s) => s.kind === 'step').map((s) => s.name);
  for (const step of ['fence', 'catchUp', 'promote', 'measureLoss']) expect(ran).not.toContain(step);
  expect(result.details.stepsNotRun).toEqual({ steps: ['fence', 'catchUp', 'promote', 'measureLoss'], reason: 'flight-status keeps no data' });
  expect(result.audit).toContainEqual(
    expect.objectContaining({
      actor: 'lifeboat',
      action: 'steps-not-run',
      detail: 'fence, catchUp, promote, measureLoss did not run: flight-status keeps no data',
    }),
  );
  expect(result.details.dataAtRisk).toEqual({ sourceServiceAnswers: true, stateless: true, reason: 'flight-status keeps no data' });
  expect(result.output).toMatchObject({
    service: 'flight-status',
    services: ['flight-status'],
    source: 'A',
    target: 'B',
    rpo: { bytes: 0, seconds: 0, lostAcknowledgedBookings: 0, stateless: true },
  });
  expect(result.measurements).toMatchObject({ rpoBytes: 0, rpoSeconds: 0, rpoWrites: 0 });
  const [notice] = infoNotices(notifications);
  expect(notice?.title).toMatch(/: flight-status is in region B$/);
  expect(notice?.text).toContain('flight-status now serves from region B (planned, from A).');
  expect(notice?.text).toContain('RPO 0: flight-status keeps no data.');
}, 60_000);

test('a failback of flight-status rebuilds nothing, and still puts the region it left back in rotation', async () => {
  const taskQueue = testTaskQueue();
  const { activities, calls } = recordingActivities({ source: 'B', target: 'A', group: ['flight-status'], stateless: true });
  const { worker } = await createTestWorker(ctx, taskQueue, activities);
  const result = await worker.runUntil(approvedRun<FailbackResult>(taskQueue, 'regionFailback', 'region-failback', { service: 'flight-status' }));

  expect(result.state).toBe('succeeded');
  const names = calls.map((c) => c.activity);
  for (const activity of [...dataActivities, 'rebuildStandby', 'waitForStandby', 'countLostAcknowledged', 'unfenceDatabase'])
    expect(names).not.toContain(activity);
  // Reprotect's own call, after the switch: region B back in rotation.
  expect(calls.at(-1)).toEqual({ activity: 'drainBackend', region: 'B', state: 'ready' });
  expect(result.output).toMatchObject({
    rebuilt: { region: 'A', method: 'none', notNeeded: 'flight-status keeps no data' },
    reprotected: { region: 'B', method: 'none', notNeeded: 'flight-status keeps no data' },
    rpo: { bytes: 0, stateless: true },
  });
  expect(result.details.stepsNotRun).toEqual({ steps: ['rebuild', 'fence', 'catchUp', 'promote', 'measureLoss'], reason: 'flight-status keeps no data' });
}, 60_000);

test('a failover of a service sharing its database still runs every data step, and the result and notice name the whole group', async () => {
  const taskQueue = testTaskQueue();
  const { activities, calls } = recordingActivities({ source: 'A', target: 'B', group: ['booking', 'loyalty'], stateless: false });
  const { worker, notifications } = await createTestWorker(ctx, taskQueue, activities);
  const result = await worker.runUntil(approvedRun<SwitchResult>(taskQueue, 'regionFailover', 'region-failover', { service: 'loyalty', mode: 'planned' }));

  expect(result.state).toBe('succeeded');
  const names = calls.map((c) => c.activity);
  expect(names.filter((n) => ['fenceDatabase', 'waitForReplay', 'promoteStandby', 'countLostAcknowledged', 'unfenceDatabase'].includes(n))).toEqual([
    'fenceDatabase',
    'waitForReplay',
    'promoteStandby',
    'countLostAcknowledged',
    'unfenceDatabase',
  ]);
  expect(result.details.stepsNotRun).toBeUndefined();
  expect(result.output).toMatchObject({ service: 'loyalty', services: ['booking', 'loyalty'], rpo: { bytes: 0, seconds: 0, lostAcknowledgedBookings: null } });
  expect((result.output as SwitchResult).rpo).not.toHaveProperty('stateless');
  const [notice] = infoNotices(notifications);
  expect(notice?.title).toMatch(/: booking and loyalty are in region B$/);
  expect(notice?.text).toContain('booking and loyalty now serve from region B (planned, from A).');
}, 60_000);
