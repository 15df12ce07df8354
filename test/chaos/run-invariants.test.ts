import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { checkDecisions, decisionViolations, DECISION_ONCE, DECISION_SIGNED, VERIFY_PASSES } from '../../chaos/invariants/decisions';
import { countEffects, type EffectCounts } from '../../chaos/invariants/effects';
import { ledgerLinesBookedTwice } from '../../chaos/invariants/ledger-twice';
import { childRunsOf, childrenStartedTwice } from '../../chaos/invariants/member-starts';
import { checkNothingTwice, NOTHING_TWICE, promotedTwice, rebootedTwice, uncounted } from '../../chaos/invariants/nothing-twice';
import { checkRunOrPlanEnded, checkRunOrPlanUndo } from '../../chaos/invariants/plan-members';
import { checkRunEnded } from '../../chaos/invariants/run-ended';
import { checkUndo, snapshotForUndo, type ServiceUndoState, type UndoSnapshot } from '../../chaos/invariants/undo';
import type { ChaosWorld } from '../../chaos/world-types';
import { estateAdapters } from '../../dev/estate/adapters';
import { startTestEstate } from '../../estate/testing';
import { approveSignal, type RunResult, type RunStatus } from '../../kit';
import { Statement, statementText } from '../../kit/trust';
import { lifeboatInProcess } from '../helpers/cli';
import { signAs, decisionStatement } from '../helpers/signing';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/** A run's status as the kit writes it, with only what a test sets different from a plain finished run. */
function statusOf(overrides: Partial<RunStatus>): RunStatus {
  return {
    runId: 'region-failover/booking',
    runbook: 'region-failover',
    title: 'Region failover',
    target: 'booking',
    state: 'succeeded',
    requestedBy: 'alice',
    startedAt: '2026-12-05T10:00:00.000Z',
    updatedAt: '2026-12-05T10:05:00.000Z',
    steps: [],
    gates: [],
    compensation: [],
    details: {},
    audit: [],
    outcome: 'all steps completed',
    ...overrides,
  };
}

const proof = (nonce: string, fingerprint = 'SHA256:bob') => ({ fingerprint, keyType: 'ssh-ed25519', nonce });

/** A gate of two signed approvals, each in the audit trail with its proof, as the kit records them. */
function approvedGate(votes: { by: string; nonce: string }[]): Pick<RunStatus, 'gates' | 'audit'> {
  return {
    gates: [
      {
        name: 'approve',
        title: 'Leads approve',
        status: 'approved',
        openedAt: '2026-12-05T10:01:00.000Z',
        quorum: votes.length,
        approvers: { groups: ['sre-leads'] },
        eligible: ['bob', 'carol'],
        votes: votes.map((v) => ({ by: v.by, decision: 'approve', at: '2026-12-05T10:02:00.000Z', verified: proof(v.nonce, `SHA256:${v.by}`) })),
        escalations: 0,
        expiresAt: '2026-12-05T11:01:00.000Z',
        onExpiry: 'abort',
      },
    ],
    audit: votes.map((v) => ({ at: '2026-12-05T10:02:00.000Z', actor: v.by, action: 'approved', verified: proof(v.nonce, `SHA256:${v.by}`) })),
  };
}

const booking = (fenced: boolean, active = 'A'): ServiceUndoState => ({
  active,
  regions: {
    A: { role: 'primary', fenced, mode: 'normal', serving: 'ready' },
    B: { role: 'standby', fenced: false, mode: 'normal', serving: 'ready' },
  },
});
const snapshot = (service: ServiceUndoState): UndoSnapshot => ({ services: { booking: service }, fleet: { channels: { open: 10 }, scratchFleets: [] } });
const switchedFrom = (source: 'A' | 'B') => ({ regions: { source, target: source === 'A' ? 'B' : 'A', group: ['booking'] } });

test('a run that ended, or waits for an operator with a reason and choices, has ended well; any other state is stuck', () => {
  expect(checkRunEnded(statusOf({}))).toEqual([]);
  expect(checkRunEnded(statusOf({ state: 'aborted', outcome: 'aborted by erin: wrong target' }))).toEqual([]);
  const waiting = { step: 'promote', error: 'standby unreachable', since: '2026-12-05T10:03:00.000Z', options: ['retry', 'abort'] as ('retry' | 'abort')[] };
  expect(checkRunEnded(statusOf({ state: 'needs-intervention', intervention: waiting, outcome: undefined }))).toEqual([]);

  const stuck = checkRunEnded(
    statusOf({ state: 'waiting-approval', currentStep: 'approve', outcome: undefined, ...approvedGate([{ by: 'bob', nonce: 'n1' }]) }),
  );
  expect(stuck).toHaveLength(1);
  expect(stuck[0]!.evidence).toContain('stuck with no next action: state waiting-approval');
  expect(checkRunEnded(statusOf({ state: 'running', currentStep: 'catchUp', outcome: undefined }))[0]!.evidence).toContain('current step catchUp');
  expect(checkRunEnded(statusOf({ state: 'needs-intervention', intervention: { ...waiting, error: ' ' } }))[0]!.evidence).toContain(
    'gives no reason for step promote',
  );
  expect(checkRunEnded(statusOf({ state: 'needs-intervention', intervention: { ...waiting, options: [] } }))[0]!.evidence).toContain('offers no choice');
  expect(checkRunEnded(statusOf({ state: 'failed', outcome: undefined }))[0]!.evidence).toContain('ended failed without an outcome');
});

test('an abort before the point of no return must leave the source as before; one after it must name the failback', () => {
  const aborted = statusOf({ state: 'aborted', outcome: 'aborted by erin: wrong target', details: switchedFrom('A') });
  expect(checkUndo(snapshot(booking(false)), snapshot(booking(false)), aborted)).toEqual([]);
  // The target region may differ before the point of no return: only the source and the traffic are promised back.
  const targetChanged = snapshot({ ...booking(false), regions: { ...booking(false).regions, B: { ...booking(false).regions.B, mode: 'read-only' } } });
  expect(checkUndo(snapshot(booking(false)), targetChanged, aborted)).toEqual([]);

  const leftFenced = checkUndo(snapshot(booking(false)), snapshot(booking(true)), aborted);
  expect(leftFenced.map((v) => v.evidence)).toEqual([
    'region-failover/booking aborted before the point of no return, yet booking region A fenced is true, was false',
  ]);
  expect(checkUndo(snapshot(booking(false)), snapshot(booking(false, 'B')), aborted)[0]!.evidence).toContain("booking's traffic goes to B, not A");
  const undoFailed = statusOf({ ...aborted, compensation: [{ step: 'fence', status: 'failed', error: 'source unreachable' }] });
  expect(checkUndo(snapshot(booking(false)), snapshot(booking(false)), undoFailed)[0]!.evidence).toContain('undo of fence failed (source unreachable)');
  // A run that did not end aborted promised nothing back.
  expect(checkUndo(snapshot(booking(false)), snapshot(booking(true, 'B')), statusOf({ details: switchedFrom('A') }))).toEqual([]);

  const failback = 'lifeboat run region-failback --set service=booking';
  const pointOfNoReturn = { step: 'promote', at: '2026-12-05T10:04:00.000Z', undoInstead: failback };
  const past = statusOf({
    state: 'aborted',
    pointOfNoReturn,
    details: switchedFrom('A'),
    outcome: `aborted by erin; past the point of no return (promote), so nothing was undone: ${failback}`,
  });
  // Past the point of no return the world has moved on for good: only the status's word is checked.
  expect(checkUndo(snapshot(booking(false)), snapshot(booking(true, 'B')), past)).toEqual([]);
  const silent = checkUndo(snapshot(booking(false)), snapshot(booking(true, 'B')), { ...past, outcome: 'aborted by erin' });
  expect(silent.map((v) => v.invariant)).toEqual(['undo after the point of no return']);
  expect(silent[0]!.evidence).toContain(`does not name the way back (${failback})`);
  const undone = checkUndo(snapshot(booking(false)), snapshot(booking(false)), { ...past, compensation: [{ step: 'drain', status: 'succeeded' }] });
  expect(undone[0]!.evidence).toContain('undos ran after the point of no return: drain');
});

test('a plan waiting on a member that waits for an operator has a next action; a member it still shows running after it ended does not', async () => {
  const member = (state: string) => ({ runbook: 'region-failover', runId: 'region-failover/booking', target: 'booking', after: [], state });
  const plan = (state: string) =>
    statusOf({
      runId: 'plan/evacuate-region/A',
      runbook: 'plan/evacuate-region',
      state: 'running',
      outcome: undefined,
      details: { members: { booking: member(state) } },
    });
  const waiting = { step: 'promote', error: 'standby unreachable', since: '2026-12-05T10:03:00.000Z', options: ['retry', 'abort'] as ('retry' | 'abort')[] };
  const worldWith = (memberStatus: RunStatus | undefined) => ({ status: () => Promise.resolve(memberStatus) });

  const memberWaits = statusOf({ state: 'needs-intervention', intervention: waiting, outcome: undefined });
  expect(await checkRunOrPlanEnded(worldWith(memberWaits), plan('running'))).toEqual([]);
  const memberDone = await checkRunOrPlanEnded(worldWith(statusOf({})), plan('running'));
  expect(memberDone[0]!.evidence).toContain('member region-failover/booking ended succeeded, yet the plan still shows it running');
  const memberStuck = await checkRunOrPlanEnded(worldWith(statusOf({ state: 'waiting-approval', outcome: undefined })), plan('running'));
  expect(memberStuck[0]!.evidence).toContain('region-failover/booking is stuck with no next action');
  expect(await checkRunOrPlanEnded(worldWith(memberWaits), plan('succeeded'))).toHaveLength(1);

  // A plan's abort: the member it aborted is held to its own undo, on its own services.
  const abortedPlan = { ...plan('aborted'), state: 'aborted' as const, outcome: 'aborted by erin' };
  const memberAborted = statusOf({ state: 'aborted', outcome: 'aborted by erin', details: switchedFrom('A') });
  expect(await checkRunOrPlanUndo(worldWith(memberAborted), snapshot(booking(false)), snapshot(booking(false)), abortedPlan)).toEqual([]);
  const leftFenced = await checkRunOrPlanUndo(worldWith(memberAborted), snapshot(booking(false)), snapshot(booking(true)), abortedPlan);
  expect(leftFenced.map((v) => v.evidence)).toEqual([
    'region-failover/booking aborted before the point of no return, yet booking region A fenced is true, was false',
  ]);
  // A member that finished before the abort stays where it is.
  const finishedFirst = { ...abortedPlan, details: { members: { booking: member('succeeded') } } };
  expect(await checkRunOrPlanUndo(worldWith(memberAborted), snapshot(booking(false)), snapshot(booking(true, 'B')), finishedFirst)).toEqual([]);
});

test("a vote counted twice, or counted without a verified signature, is a violation; a policy drill's own approval is not", () => {
  expect(
    decisionViolations(
      statusOf(
        approvedGate([
          { by: 'bob', nonce: 'n1' },
          { by: 'carol', nonce: 'n2' },
        ]),
      ),
    ),
  ).toEqual([]);

  const sameNonce = decisionViolations(
    statusOf(
      approvedGate([
        { by: 'bob', nonce: 'n1' },
        { by: 'carol', nonce: 'n1' },
      ]),
    ),
  );
  expect(sameNonce).toEqual([{ invariant: DECISION_ONCE, evidence: 'region-failover/booking: nonce n1 counted twice in gate approve' }]);
  const samePerson = decisionViolations(
    statusOf(
      approvedGate([
        { by: 'bob', nonce: 'n1' },
        { by: 'bob', nonce: 'n2' },
      ]),
    ),
  );
  expect(samePerson.map((v) => v.evidence)).toContain("region-failover/booking: bob's approve of gate approve counted twice");

  const gate = approvedGate([
    { by: 'bob', nonce: 'n1' },
    { by: 'carol', nonce: 'n2' },
  ]);
  // One signed approval counted at two gates of the run; a plan's approval standing for a member's gate is the exception.
  const twoGates = statusOf({ ...gate, gates: [gate.gates[0]!, { ...gate.gates[0]!, name: 'approveReturn' }] });
  expect(decisionViolations(twoGates).map((v) => v.evidence)).toEqual([
    'region-failover/booking: nonce n1 counted in gate approve and again in gate approveReturn',
    'region-failover/booking: nonce n2 counted in gate approve and again in gate approveReturn',
  ]);
  const delegated = { plan: 'evacuate-region', workflowId: 'plan/evacuate-region/A', runId: 'r1' };
  expect(decisionViolations(statusOf({ ...gate, gates: [gate.gates[0]!, { ...gate.gates[0]!, name: 'approveReturn', delegatedFrom: delegated }] }))).toEqual(
    [],
  );
  const { verified: _dropped, ...unsigned } = gate.gates[0]!.votes[1]!;
  const forged = statusOf({ ...gate, gates: [{ ...gate.gates[0]!, votes: [gate.gates[0]!.votes[0]!, unsigned] }] });
  expect(decisionViolations(forged)).toEqual([
    { invariant: DECISION_SIGNED, evidence: "region-failover/booking: carol's approve of gate approve counted without a verified signature" },
  ]);
  const unaudited = statusOf({ ...gate, audit: gate.audit.slice(0, 1) });
  expect(decisionViolations(unaudited)[0]!.evidence).toContain("carol's approve of gate approve (nonce n2) has no audit entry");
  const unsignedAbort = statusOf({ audit: [{ at: '2026-12-05T10:03:00.000Z', actor: 'mallory', action: 'abort' }] });
  expect(decisionViolations(unsignedAbort)[0]!.evidence).toContain("records mallory's abort at 2026-12-05T10:03:00.000Z without a verified signature");

  const trust = { namespace: 'default', temporalRunId: 'r1', inputDigest: 'sha256:1', rosterDigest: 'sha256:2' };
  expect(decisionViolations(statusOf({ trust: { ...trust, start: { verified: proof('n0', 'SHA256:alice') } } }))).toEqual([]);
  expect(decisionViolations(statusOf({ trust: { ...trust, start: {} } }))).toEqual([
    { invariant: DECISION_SIGNED, evidence: 'region-failover/booking: the run started on an unsigned request by alice' },
  ]);
  const policyVote = { by: 'drill-policy', decision: 'approve' as const, at: '2026-12-05T10:02:00.000Z' };
  const drillGate = { ...gate.gates[0]!, votes: [policyVote] };
  expect(decisionViolations(statusOf({ drill: { kind: 'live', approvals: 'policy' }, gates: [drillGate] }))).toEqual([]);
  expect(decisionViolations(statusOf({ drill: { kind: 'live', approvals: 'people' }, gates: [drillGate] }))).toHaveLength(1);
});

test('a second promotion, a host rebooted twice, a ledger line booked twice and a member restarted after success are each caught', () => {
  const counts = (timeline: number, reboots: Record<string, number>): EffectCounts => ({ timelines: { booking: timeline, checkin: 1 }, reboots });
  expect(promotedTwice(counts(1, {}), counts(2, {}))).toEqual([]);
  expect(promotedTwice(counts(1, {}), counts(3, {}))).toEqual(['database booking was promoted 2 times (timeline 1 to 3), once at most in this run']);
  expect(promotedTwice(counts(1, {}), counts(3, {}), 2)).toEqual([]);
  expect(promotedTwice(counts(1, {}), counts(4, {}), 2)).toEqual(['database booking was promoted 3 times (timeline 1 to 4), at most 2 times in this run']);
  expect(promotedTwice({ timelines: { booking: null }, reboots: null }, counts(3, {}))).toEqual([]);
  // What could not be counted is said, not passed over.
  expect(uncounted(counts(1, {}), counts(2, {}))).toEqual([]);
  expect(uncounted({ timelines: { booking: null, checkin: 1 }, reboots: null }, counts(3, {}))).toEqual([
    'no node of database booking answered before the run, so its promotions were not counted',
    'the fleet API did not answer before the run, so reboots were not counted',
  ]);

  expect(rebootedTwice(counts(1, { h1: 1 }), counts(1, { h1: 2, h2: 1 }), 0)).toEqual([]);
  expect(rebootedTwice(counts(1, {}), counts(1, { h1: 2 }), 0)).toEqual(['fleet host h1 was rebooted 2 times']);
  expect(rebootedTwice(counts(1, {}), counts(1, { h1: 2 }), 1)).toEqual([]);

  const line = { station: 'ATL-T1-03', idempotencyKey: 'T-1', flight: 'LB123', passenger: 'Ada Lovelace' };
  const row = (key: string, passenger = 'ada  lovelace') => ({ idempotencyKey: key, flight: 'LB123', passenger });
  expect(ledgerLinesBookedTwice([line, line], [row('T-1')])).toEqual([]);
  expect(ledgerLinesBookedTwice([line], [row('T-1', 'Someone Else'), row('T-1#ATL-T1-03')])).toEqual([]);
  expect(ledgerLinesBookedTwice([line], [row('T-1'), row('T-1#ATL-T1-03')])).toEqual([
    'ledger line ATL-T1-03:T-1 (Ada Lovelace, LB123) is booked under T-1 and T-1#ATL-T1-03',
  ]);

  type Event = temporal.api.history.v1.IHistoryEvent;
  const member = (runId: string) => ({ workflowId: 'region-failover/booking', runId });
  const started = (runId: string): Event => ({ childWorkflowExecutionStartedEventAttributes: { workflowExecution: member(runId) } });
  const failed = (runId: string): Event => ({ childWorkflowExecutionFailedEventAttributes: { workflowExecution: member(runId) } });
  const completed = (runId: string): Event => ({ childWorkflowExecutionCompletedEventAttributes: { workflowExecution: member(runId) } });
  const neverRead = () => undefined;
  expect(childrenStartedTwice(childRunsOf([started('r1'), failed('r1'), started('r2')]), neverRead)).toEqual([]);
  expect(childrenStartedTwice(childRunsOf([started('r1'), completed('r1'), started('r2')]), (r) => r.runId !== 'r1')).toEqual([]);
  expect(childrenStartedTwice(childRunsOf([started('r1'), completed('r1'), started('r2')]), () => true)).toEqual([
    'region-failover/booking was started again (run r2) although its earlier run r1 succeeded',
  ]);
  expect(childrenStartedTwice(childRunsOf([started('r1'), started('r2')]), neverRead)[0]).toContain('its earlier run r1 had not ended');
});

let ctx: TemporalTestContext;
let dir: string;
beforeAll(async () => {
  ctx = await connectToTestServer();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-run-invariants-'));
});
afterAll(async () => ctx?.close());

test('real runs pass the run-side checks: a signed run with a forgery refused, an abort past the point of no return; a tampered history fails verify', async () => {
  const taskQueue = testTaskQueue();
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const world: Pick<ChaosWorld, 'cli'> = { cli: (args, opts) => lifeboatInProcess([...args, ...(opts?.as ? ['--as', opts.as] : [])], env) };
  const { worker } = await createTestWorker(ctx, taskQueue);
  const signedRun = `kit-exercise/signed-${taskQueue}`;
  const abortedRun = `kit-exercise/aborted-${taskQueue}`;
  const { signed, aborted, stuck, bobsNonce } = await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: signedRun,
      args: [{ input: { target: `signed-${taskQueue}` }, requestedBy: 'alice' }],
    });
    const open = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    // A forgery: bob's approval signed with mallory's key. The run refuses it, so it must not count.
    await ctx.rawClient.workflow.getHandle(signedRun).signal(approveSignal, signAs(decisionStatement(open, 'approve', 'bob', { gate: 'approve' }), 'mallory'));
    await waitForStatus(handle, (s) => s.refused?.count === 1);
    expect((await world.cli(['approve', signedRun], { as: 'bob' })).code).toBe(0);
    expect((await world.cli(['approve', signedRun], { as: 'carol' })).code).toBe(0);
    const signed = (await handle.result()) as RunResult;

    const second = await ctx.client.workflow.start('kitExercise', {
      taskQueue,
      workflowId: abortedRun,
      args: [{ input: { target: `aborted-${taskQueue}`, quorum: 1, noReturnAfterApply: true, failVerify: true }, requestedBy: 'alice' }],
    });
    await waitForStatus(second, (s) => s.state === 'waiting-approval');
    expect((await world.cli(['approve', abortedRun], { as: 'bob' })).code).toBe(0);
    const stuck = await waitForStatus(second, (s) => s.state === 'needs-intervention');
    expect((await world.cli(['abort', abortedRun, '--reason', 'verification keeps failing'], { as: 'erin' })).code).toBe(0);
    const aborted = (await second.result()) as RunResult;
    return { signed, aborted, stuck, bobsNonce: signed.gates[0]!.votes[0]!.verified!.nonce };
  });

  expect(signed.state).toBe('succeeded');
  expect(checkRunEnded(signed)).toEqual([]);
  expect(await checkDecisions(world, signedRun, signed)).toEqual([]);
  expect(checkRunEnded(stuck)).toEqual([]);
  expect(aborted.state).toBe('aborted');
  expect(aborted.pointOfNoReturn?.undoInstead).toBe('run kit-exercise-back to revert');
  expect(checkRunEnded(aborted)).toEqual([]);
  const nothing: UndoSnapshot = { services: {}, fleet: null };
  expect(checkUndo(nothing, nothing, aborted)).toEqual([]);
  expect(await checkDecisions(world, abortedRun, aborted)).toEqual([]);

  // The same run, verified from a history where bob's counted approval was altered after he signed it.
  const history = JSON.parse(historyToJSON(await ctx.client.workflow.getHandle(signedRun).fetchHistory())) as { events: Record<string, unknown>[] };
  expect(alterDecision(history, bobsNonce)).toBe(true);
  const tamperedFile = join(dir, 'tampered.json');
  writeFileSync(tamperedFile, JSON.stringify(history));
  const fromTampered: Pick<ChaosWorld, 'cli'> = { cli: (args) => lifeboatInProcess([...args, '--history', tamperedFile], env) };
  const violations = await checkDecisions(fromTampered, signedRun, signed);
  expect(violations.map((v) => v.invariant)).toEqual([VERIFY_PASSES]);
  expect(violations[0]!.evidence).toMatch(/exited 1: .*does not verify \(bad signature: signature does not match\), yet the run counted it/);
}, 120_000);

type JsonPayload = { data?: string };

/** Rewrites the comment of the signed decision carrying `nonce` in an exported history, leaving its signature as it was. */
function alterDecision(history: { events: Record<string, unknown>[] }, nonce: string): boolean {
  for (const event of history.events) {
    const update = event.workflowExecutionUpdateAcceptedEventAttributes as
      { acceptedRequest?: { input?: { args?: { payloads?: JsonPayload[] } } } } | undefined;
    const payload = update?.acceptedRequest?.input?.args?.payloads?.[0];
    if (!payload?.data) continue;
    const signed = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as { statement?: string };
    if (!signed.statement?.includes(`"nonce":"${nonce}"`)) continue;
    const statement = Statement.parse(JSON.parse(signed.statement));
    const altered = { ...signed, statement: statementText({ ...statement, body: { ...statement.body, comment: 'approved without looking' } }) };
    payload.data = Buffer.from(JSON.stringify(altered)).toString('base64');
    return true;
  }
  return false;
}

/** Posts JSON to one of the estate's HTTP services, as a counter agent's terminal or the fleet console would. */
async function post(url: URL, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.ok, `${url.pathname}: HTTP ${res.status} ${await res.text()}`).toBe(true);
}

test('on a real estate the checkers read what an abort left and what took effect twice: a fence left on, a double reboot, a ledger line booked twice', async () => {
  const estate = await startTestEstate({ fleetHosts: 4 });
  try {
    const { catalog } = estate;
    const adapters = estateAdapters(catalog);
    const undoBefore = await snapshotForUndo(catalog, ['booking']);
    expect(undoBefore).toEqual({
      services: {
        booking: {
          active: 'A',
          regions: {
            A: { role: 'primary', fenced: false, mode: 'normal', serving: 'ready' },
            B: { role: 'standby', fenced: false, mode: 'normal', serving: 'ready' },
          },
        },
      },
      fleet: { channels: { open: 4 }, scratchFleets: [] },
    });
    const before = await countEffects(catalog);
    expect(before).toEqual({ timelines: { booking: 1 }, reboots: {} });

    // An abort whose undos did not run: region A is left drained and fenced.
    const aborted = statusOf({ state: 'aborted', outcome: 'aborted by erin', details: switchedFrom('A') });
    await adapters.fenceDatabase({ service: 'booking', region: 'A' });
    await adapters.drainBackend({ service: 'booking', region: 'A', state: 'drain' });
    const leftBehind = checkUndo(undoBefore, await snapshotForUndo(catalog, ['booking']), aborted).map((v) => v.evidence);
    expect(leftBehind).toEqual([
      'region-failover/booking aborted before the point of no return, yet booking region A fenced is true, was false',
      'region-failover/booking aborted before the point of no return, yet booking region A serving is drain, was ready',
    ]);
    await adapters.unfenceDatabase({ service: 'booking', region: 'A' });
    await adapters.drainBackend({ service: 'booking', region: 'A', state: 'ready' });
    expect(checkUndo(undoBefore, await snapshotForUndo(catalog, ['booking']), aborted)).toEqual([]);

    // A real run with no child runs, and nothing done twice yet.
    const taskQueue = testTaskQueue();
    const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
    const world = { catalog, temporalAddress: ctx.address, namespace: ctx.namespace };
    const runId = `kit-exercise/effects-${taskQueue}`;
    const { worker } = await createTestWorker(ctx, taskQueue);
    const status = await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('kitExercise', {
        taskQueue,
        workflowId: runId,
        args: [{ input: { target: `effects-${taskQueue}`, quorum: 1 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      expect((await lifeboatInProcess(['approve', runId, '--as', 'bob'], env)).code).toBe(0);
      return (await handle.result()) as RunResult;
    });
    expect(await checkNothingTwice(world, runId, status, before)).toEqual([]);

    // One promotion is what a failover does; a host rebooted twice and a counter line booked under two keys are not.
    await adapters.fenceDatabase({ service: 'booking', region: 'A' });
    await adapters.promoteStandby({ service: 'booking', region: 'B' });
    const hosts = (await (await fetch(new URL('/hosts', catalog.fleet.url))).json()) as { hosts: { id: string }[] };
    const hostId = hosts.hosts[0]!.id;
    await post(new URL('/actions/reboot', catalog.fleet.url), { hostIds: [hostId] });
    await post(new URL('/actions/reboot', catalog.fleet.url), { hostIds: [hostId] });
    const booking = catalog.services.booking.regions.B.url;
    const line = { idempotencyKey: 'T-77', station: 'ATL-T1-03', flight: 'LB123', seat: '12C', passenger: 'Ada Lovelace' };
    await post(new URL('/ledger', catalog.services.booking.regions.A.url), line);
    await post(new URL('/admin/bookings', booking), { idempotencyKey: 'T-77', flight: 'LB123', seat: '12C', passenger: 'Ada Lovelace' });
    await post(new URL('/admin/bookings', booking), { idempotencyKey: 'T-77#ATL-T1-03', flight: 'LB123', seat: '14A', passenger: 'Ada Lovelace' });
    expect((await countEffects(catalog)).timelines).toEqual({ booking: 2 });
    const twice = await checkNothingTwice(world, runId, status, before);
    expect(twice).toEqual([
      { invariant: NOTHING_TWICE, evidence: `${runId}: fleet host ${hostId} was rebooted 2 times` },
      { invariant: NOTHING_TWICE, evidence: `${runId}: ledger line ATL-T1-03:T-77 (Ada Lovelace, LB123) is booked under T-77 and T-77#ATL-T1-03` },
    ]);
  } finally {
    await estate.stop();
  }
}, 240_000);
