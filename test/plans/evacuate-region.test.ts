import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { finishAirlineLoads, startAirlineLoads } from '../../dev/estate/airline-load';
import { estateStatus } from '../../dev/estate/status';
import { sampleEstateAwsEnv } from '../../estate/flight-status-service';
import { ESTATE_SERVICES } from '../../estate/services';
import type { TestEstate } from '../../estate/testing';
import { approveUpdate, interveneUpdate, type PlanMemberView, type RunResult, type RunStatus, statusQuery } from '../../kit';
import { breakRegion } from '../../estate/estate';
import { recordHistory } from '../helpers/histories';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/**
 * Recovery plans on the airline estate, end to end: the whole of region A evacuated under one signed decision (two SRE
 * leads and one of airline operations), each service moved by its own member run in dependency order, and brought
 * home again the same way. One estate for the file.
 */
let ctx: TemporalTestContext;
let estate: TestEstate;
let targetsPath: string;

const memberRuns = ESTATE_SERVICES.filter((s) => s !== 'loyalty').flatMap((s) => [`region-failover/${s}`, `region-failback/${s}`]);

beforeAll(async () => {
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ services: [...ESTATE_SERVICES], fleetHosts: 2 }, 'plan-estate'));
  Object.assign(process.env, sampleEstateAwsEnv(estate.catalog, process.env));
}, 300_000);
afterAll(() => closeRunbookSuite({ ctx, estate }, ['plan/evacuate-region/A', 'plan/return-home/A', ...memberRuns]));

async function activeRegions(): Promise<Record<string, string | null>> {
  const status = await estateStatus(estate.catalog);
  return Object.fromEntries(status.services.map((s) => [s.service, s.active]));
}

/** The plan's one decision: two SRE leads and one of airline operations, each signing with their own key. */
async function approvePlan(handle: WorkflowHandle): Promise<void> {
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'region A is sick; B is caught up' }] });
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave', comment: 'stations told' }] });
}

async function memberStatus(runId: string): Promise<RunStatus> {
  // A finished member's result is its status: read without a worker, after the test's worker has stopped.
  return (await ctx.client.workflow.getHandle(runId).result()) as RunStatus;
}

test(
  'a planned evacuation of region A moves every service to B in dependency order under three signatures, losing nothing; return-home brings it back',
  { timeout: 900_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    expect(await activeRegions()).toEqual({ booking: 'A', loyalty: 'A', checkin: 'A', crew: 'A', 'flight-status': 'A' });
    const loads = startAirlineLoads(estate.catalog, { ratePerSecond: 10 });
    let evacuated: RunResult<Record<string, PlanMemberView>> | undefined;
    let returned: RunResult<Record<string, PlanMemberView>> | undefined;
    const memberStatuses: Record<string, RunStatus> = {};
    try {
      await worker.runUntil(async () => {
        const handle = await ctx.client.workflow.start('recoveryPlan', {
          taskQueue,
          workflowId: 'plan/evacuate-region/A',
          args: [{ input: { from: 'A', to: 'B', mode: 'planned' }, requestedBy: 'alice' }],
        });
        const waiting = await waitForStatus(handle, (s) => s.state !== 'running', 60_000);
        expect(waiting.state, waiting.outcome).toBe('waiting-approval');
        // Two approvals are not enough: the gate also needs one of airline operations.
        await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
        await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
        expect((await handle.query(statusQuery)).state).toBe('waiting-approval');
        await handle.executeUpdate(approveUpdate, { args: [{ by: 'dave' }] });
        evacuated = (await handle.result()) as RunResult<Record<string, PlanMemberView>>;
        for (const view of Object.values(evacuated.output ?? {})) memberStatuses[view.runId] = await memberStatus(view.runId);
        await recordHistory(handle, 'plan-evacuate-region-planned');
        await recordHistory(ctx.client.workflow.getHandle('region-failover/checkin'), 'region-failover-plan-member');

        const home = await ctx.client.workflow.start('recoveryPlan', {
          taskQueue,
          workflowId: 'plan/return-home/A',
          args: [{ input: { region: 'A' }, requestedBy: 'alice' }],
        });
        await waitForStatus(home, (s) => s.state === 'waiting-approval', 60_000);
        await approvePlan(home);
        returned = (await home.result()) as RunResult<Record<string, PlanMemberView>>;
        await recordHistory(home, 'plan-return-home-planned');
      });
    } finally {
      await Promise.all(loads.map((l) => l.run.stop()));
    }
    const finished = await finishAirlineLoads(loads, (line) => console.log(line));

    expect(evacuated!.state, evacuated!.outcome).toBe('succeeded');
    const members = evacuated!.output!;
    expect(Object.fromEntries(Object.entries(members).map(([name, m]) => [name, m.state]))).toEqual({
      booking: 'succeeded',
      checkin: 'succeeded',
      crew: 'succeeded',
      flightStatus: 'succeeded',
    });
    // In dependency order: checkin after booking, the status page after everyone.
    const end = (name: string) => Date.parse(members[name]!.finishedAt!);
    const start = (name: string) => Date.parse(members[name]!.startedAt!);
    expect(start('checkin')).toBeGreaterThanOrEqual(end('booking'));
    expect(start('flightStatus')).toBeGreaterThanOrEqual(Math.max(end('booking'), end('checkin'), end('crew')));
    // Crew waited for nobody: it ran beside booking.
    expect(start('crew')).toBeLessThan(end('booking'));

    // Three signatures for the plan; every member's gates stood on them, checked by the member itself.
    const planGate = evacuated!.gates.find((g) => g.name === 'approve-plan')!;
    expect(planGate.votes.map((v) => v.by).sort()).toEqual(['bob', 'carol', 'dave']);
    for (const status of Object.values(memberStatuses)) {
      expect(status.state).toBe('succeeded');
      expect(status.trust?.start.delegatedBy).toBe('plan/evacuate-region/A');
      expect(status.trust?.planApproval?.signers.sort()).toEqual(['bob', 'carol', 'dave']);
      for (const gate of status.gates) {
        expect(gate.delegatedFrom).toMatchObject({ plan: 'evacuate-region', workflowId: 'plan/evacuate-region/A' });
        expect(gate.votes.every((v) => v.verified?.fingerprint.startsWith('SHA256:'))).toBe(true);
      }
    }

    expect(returned!.state, returned!.outcome).toBe('succeeded');
    expect(await activeRegions()).toEqual({ booking: 'A', loyalty: 'A', checkin: 'A', crew: 'A', 'flight-status': 'A' });
    const lost = Object.fromEntries(finished.filter((f) => f.service !== 'flight-status').map((f) => [f.service, f.counters.lost?.lost]));
    expect(lost).toEqual({ booking: 0, loyalty: 0, checkin: 0, crew: 0 });
    console.log(`evacuate-region: RTO ${evacuated!.measurements?.rtoSeconds}s; return-home: RTO ${returned!.measurements?.rtoSeconds}s`);
  },
);

test(
  'an isolated drill of the plan rehearses booking and checkin on clones of their standbys, stops for an operator at crew (no clone of a Patroni cluster), passes over flight-status, and moves nothing',
  { timeout: 600_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    const result = await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('recoveryPlan', {
        taskQueue,
        workflowId: 'plan/evacuate-region/A',
        args: [{ input: { from: 'A', to: 'B', mode: 'planned' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
      });
      // Crew's own run says why it cannot rehearse in isolation; the operator ends it, and skips crew in the plan.
      const crew = ctx.client.workflow.getHandle('region-failover/crew');
      const stuck = await waitForStatus(crew, (s) => s.state === 'needs-intervention', 300_000);
      expect(stuck.intervention?.error).toContain('sampleEstate');
      await crew.executeUpdate(interveneUpdate, { args: [{ action: 'abort', by: 'alice', reason: 'crew has no isolated drill here' }] });
      await waitForStatus(handle, (s) => s.state === 'needs-intervention' && s.intervention?.step === 'crew', 300_000);
      await handle.executeUpdate(interveneUpdate, { args: [{ action: 'skip', by: 'alice', reason: 'rehearse crew with a live drill' }] });
      return (await handle.result()) as RunResult<Record<string, PlanMemberView>>;
    });
    expect(result.state, result.outcome).toBe('succeeded');
    expect(result.gates.find((g) => g.name === 'approve-plan')?.votes.map((v) => v.by)).toEqual(['drill-policy']);
    const members = result.output!;
    expect(Object.fromEntries(Object.entries(members).map(([name, m]) => [name, m.state]))).toEqual({
      booking: 'succeeded',
      checkin: 'succeeded',
      crew: 'skipped',
      flightStatus: 'skipped',
    });
    expect(members.flightStatus!.error).toContain('nothing to rehearse in an isolated drill');
    for (const name of ['booking', 'checkin']) {
      const status = await memberStatus(members[name]!.runId);
      expect(status.drill).toMatchObject({ kind: 'isolated' });
      expect(status.trust?.start.delegatedBy).toBe('plan/evacuate-region/A');
    }
    expect(await activeRegions()).toEqual({ booking: 'A', loyalty: 'A', checkin: 'A', crew: 'A', 'flight-status': 'A' });
  },
);

test(
  'an emergency evacuation after region A breaks: every service serves from B, and the plan measures its RTO from detection',
  { timeout: 600_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const { worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    const detectedAt = new Date().toISOString();
    expect(await breakRegion(estate.dir, 'A')).toHaveLength(ESTATE_SERVICES.length);
    const result = await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('recoveryPlan', {
        taskQueue,
        workflowId: 'plan/evacuate-region/A',
        args: [{ input: { from: 'A', to: 'B', mode: 'emergency', detectedAt }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
      await approvePlan(handle);
      return (await handle.result()) as RunResult<Record<string, PlanMemberView>>;
    });
    expect(result.state, result.outcome).toBe('succeeded');
    expect(Object.values(result.output!).map((m) => m.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(await activeRegions()).toEqual({ booking: 'B', loyalty: 'B', checkin: 'B', crew: 'B', 'flight-status': 'B' });
    // From detection, which came before the plan was even started, so it is the longer of the two.
    expect(result.measurements?.rtoFromDetectionSeconds).toBeGreaterThanOrEqual(result.measurements!.rtoSeconds!);
    console.log(`emergency evacuate-region: RTO ${result.measurements?.rtoSeconds}s, from detection ${result.measurements?.rtoFromDetectionSeconds}s`);
  },
);
