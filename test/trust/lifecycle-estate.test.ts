import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { TestEstate } from '../../estate/testing';
import { createHttpFleet } from '../../providers/http/fleet';
import { approveUpdate, type RunStatus } from '../../kit';
import { lifeboatInProcess, temporalCli, type CliResult } from '../helpers/cli';
import { closeRunbookSuite, openRunbookSuite } from '../helpers/runbook-suite';
import { createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { estateSnapshot } from '../runbooks/region-helpers';

/*
 * Issue 19's two worst reproductions, repeated against the real sample estate through the real `lifeboat` CLI and
 * the stock `temporal` CLI: a reset of a finished failover, and an old start statement sent to the drill launcher.
 * Each is checked where it would have done harm: which region serves booking, and what the fleet's hosts run.
 */

const failoverId = 'region-failover/booking';
const failbackId = 'region-failback/booking';
const pagingId = 'paging-check/sre-oncall';

let ctx: TemporalTestContext;
let estate: TestEstate;
let worker: Worker;
let running: Promise<void>;
let env: Record<string, string>;
const taskQueue = `lifecycle-estate-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  let targetsPath: string;
  ({ ctx, estate, targetsPath } = await openRunbookSuite({ fleetHosts: 12 }, 'lifecycle-estate'));
  env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  ({ worker } = await createTestWorker(ctx, taskQueue, {}, targetsPath));
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await closeRunbookSuite({ ctx, estate }, [failoverId, failbackId, pagingId]);
});

async function cli(args: string[]): Promise<CliResult> {
  return lifeboatInProcess(args, env);
}

async function ok(args: string[]): Promise<string> {
  const result = await cli(args);
  expect(result.stderr, `lifeboat ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result.stdout;
}

function statusOf(workflowId: string, predicate: (s: RunStatus) => boolean, timeoutMs = 120_000): Promise<RunStatus> {
  return waitForStatus(ctx.rawClient.workflow.getHandle(workflowId), predicate, timeoutMs);
}

/** `lifeboat run`, then bob and carol approve with `lifeboat approve`, as the leads would; returns once it succeeded. */
async function approvedRun(runbook: string, workflowId: string, sets: string[]): Promise<RunStatus> {
  expect(await ok(['run', runbook, ...sets.flatMap((s) => ['--set', s]), '--as', 'alice'])).toContain(`started ${workflowId}`);
  await statusOf(workflowId, (s) => s.state === 'waiting-approval');
  await ok(['approve', workflowId, '--as', 'bob']);
  await ok(['approve', workflowId, '--as', 'carol']);
  return statusOf(workflowId, (s) => s.state !== 'running' && s.state !== 'waiting-approval');
}

/** What a person asks the load balancer: whether booking answers, from which region, and whether it takes writes. */
async function bookingHealth(): Promise<{ http: number } & Record<string, unknown>> {
  const res = await fetch(`${estate.catalog.loadBalancer!.clientUrl}/health`);
  const body = await res.text();
  return { http: res.status, ...(res.ok ? (JSON.parse(body) as Record<string, unknown>) : { body: body.slice(0, 200) }) };
}

/** Booking is served from A, as before the outage drill: A the only writable primary, B its standby. */
const homeInA = {
  active: 'A',
  A: { role: 'primary', fenced: false, mode: 'normal', lbServer: 'UP' },
  B: { role: 'standby', fenced: false },
};

test('temporal workflow reset of a finished failover, after failback, waits for fresh approvals and moves nothing in the estate', async () => {
  const failover = await approvedRun('region-failover', failoverId, ['service=booking', 'mode=planned', 'verifyWindowSeconds=1']);
  expect(failover.state).toBe('succeeded');
  expect(await estateSnapshot(estate.catalog)).toMatchObject({ active: 'B', B: { role: 'primary', fenced: false } });
  const failoverRun = (await ctx.rawClient.workflow.getHandle(failoverId).describe()).runId;

  const failback = await approvedRun('region-failback', failbackId, ['service=booking', 'verifyWindowSeconds=1']);
  expect(failback.state).toBe('succeeded');
  const home = await estateSnapshot(estate.catalog);
  expect(home).toMatchObject(homeInA);
  expect(await bookingHealth()).toMatchObject({ http: 200, region: 'A', db: { writable: true } });

  // The insider reads the failover's history and resets it to the workflow task right after the last approval.
  const events = (await ctx.rawClient.workflow.getHandle(failoverId, failoverRun).fetchHistory()).events!;
  const approvals = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === approveUpdate.name);
  expect(approvals).toHaveLength(2);
  const lastApproval = Number(approvals.at(-1)!.eventId);
  const resetPoint = Number(events.find((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) > lastApproval)!.eventId);
  const reset = await temporalCli(
    [
      'workflow',
      'reset',
      '--workflow-id',
      failoverId,
      '--run-id',
      failoverRun,
      '--event-id',
      String(resetPoint),
      '--reason',
      'an insider replays the approvals',
    ],
    ctx.address,
  );
  expect(reset.stderr).toBe('');
  expect(reset.code).toBe(0);

  const waiting = await statusOf(failoverId, (s) => s.reset !== undefined && s.state === 'waiting-approval');
  expect(waiting.gates.at(-1)).toMatchObject({ status: 'open', votes: [] });
  // Nothing Temporal kept or reapplied from before the reset counts: no approval is recorded after it.
  const sinceReset = waiting.audit.slice(waiting.audit.findIndex((a) => a.action === 'reset'));
  expect(sinceReset.filter((a) => a.action === 'approved')).toEqual([]);
  const shown = await ok(['status', failoverId]);
  expect(shown).toMatch(/^state: waiting-approval/m);
  expect(shown).toMatch(/^reset: Temporal reset this run \(asked by .*: an insider replays the approvals\)/m);

  // No step acting on the estate was scheduled in the reset run, and the estate is where the failback left it. Soft,
  // so that a reset that did act is reported with all it moved, and the abort below still puts it right.
  const resetRun = (await ctx.rawClient.workflow.getHandle(failoverId).describe()).runId;
  expect(resetRun).not.toBe(failoverRun);
  const after = (await ctx.rawClient.workflow.getHandle(failoverId, resetRun).fetchHistory()).events!;
  const actedAfterReset = after
    .filter((e) => Number(e.eventId) >= resetPoint)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((name) => name !== undefined);
  expect.soft(actedAfterReset.filter((name) => /drain|fence|promote|switch/i.test(name!))).toEqual([]);
  expect.soft(await estateSnapshot(estate.catalog)).toEqual(home);
  expect.soft(await bookingHealth()).toMatchObject({ http: 200, region: 'A', db: { writable: true } });

  const verified = await cli(['verify', failoverId]);
  expect(verified.code).not.toBe(0);
  expect(verified.stdout).toMatch(/^FAILED:\n {2}- the run was reset by .* \(reason: an insider replays the approvals; from run /m);

  await ok(['abort', failoverId, '--as', 'alice', '--reason', 'nobody asked for this failover']);
  const ended = await statusOf(failoverId, (s) => s.state !== 'waiting-approval' && s.state !== 'running' && s.state !== 'compensating');
  expect(ended.state).toBe('aborted');
  expect(await estateSnapshot(estate.catalog)).toEqual(home);
  expect(await bookingHealth()).toMatchObject({ http: 200, region: 'A', db: { writable: true } });
}, 300_000);

test("an old start statement of alice's paging check, sent to the drill launcher for isolate-vendor-module, starts nothing and touches no host", async () => {
  const fleet = createHttpFleet({ url: estate.catalog.fleet.url });
  const before = await fleet.listHosts();
  expect(before.total).toBeGreaterThan(0);

  // An honest paging check, acknowledged and over: its first event holds alice's signed start.
  expect(await ok(['run', 'paging-check', '--set', 'team=sre-oncall', '--as', 'alice'])).toContain(`started ${pagingId}`);
  await statusOf(pagingId, (s) => s.state === 'waiting-approval');
  await ok(['approve', pagingId, '--as', 'erin']);
  expect((await statusOf(pagingId, (s) => s.state !== 'waiting-approval' && s.state !== 'running')).state).toBe('succeeded');
  const first = (await ctx.rawClient.workflow.getHandle(pagingId).fetchHistory()).events![0]!;
  const payload = first.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  const { start } = JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { start: unknown };
  expect(start).toMatchObject({ statement: expect.any(String), signature: expect.any(String) });

  const evil = {
    runbook: 'isolate-vendor-module',
    input: { badVersion: 'C-00000291', goodVersion: 'C-00000666-EVIL', scope: { role: 'kiosk' }, waves: { canary: 2 } },
    drill: { kind: 'live' },
    requestedBy: 'alice',
    start,
  };
  const launched = await temporalCli(
    ['workflow', 'start', '--type', 'scheduledDrill', '--task-queue', taskQueue, '--workflow-id', pagingId, '--input', JSON.stringify(evil)],
    ctx.address,
  );
  expect(launched.stderr).toBe('');
  expect(launched.code).toBe(0);
  const failure = await ctx.rawClient.workflow
    .getHandle(pagingId)
    .result()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause?.message).toBe('start refused: the statement is for paging-check/sre-oncall, not isolate-vendor-module/kiosk');
  const launcher = (await ctx.rawClient.workflow.getHandle(pagingId).fetchHistory()).events!;
  expect(launcher.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toEqual([]);

  const isolations: string[] = [];
  for await (const run of ctx.rawClient.workflow.list({ query: "WorkflowType = 'isolateVendorModule'" })) isolations.push(run.workflowId);
  expect(isolations).toEqual([]);
  const after = await fleet.listHosts();
  expect(after.hosts.filter((h) => h.agent.pinnedVersion === 'C-00000666-EVIL' || h.agent.contentVersion === 'C-00000666-EVIL')).toEqual([]);
  expect((await fleet.counters()).totals).toEqual({ rollbacks: 0, reboots: 0, quarantines: 0, repairs: 0 });
  expect(after).toEqual(before);
}, 120_000);
