import { readFileSync } from 'node:fs';
import { expect, inject, test } from 'vitest';
import { checkPlanDelegation, type MemberRunRecord, type PlanRunRecord } from '../../cli/verify/plan-delegation';
import type { RunLifecycle } from '../../cli/verify/lifecycle';
import type { GateRecord, RunStatus } from '../../kit';
import { checkPlanApproval, digestOf, Roster, type SignedDecision } from '../../kit/trust';
import { evacuateRegion } from '../../plans';
import { signAs, statementOf } from '../helpers/signing';

/*
 * `lifeboat verify plan/...`'s check of one member's delegation, on runs built as Temporal records them, signed with
 * the test people's real keys: bob and carol (SRE leads) and dave (airline ops) approve the plan; alice started it.
 */
const roster = Roster.parse(JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')));
const namespace = 'default';
const planId = 'plan/evacuate-region/A';
const planRunId = 'first-run-of-the-plan';
const planInput = { from: 'A', to: 'B', mode: 'planned' };
const bookingInput = evacuateRegion.members.booking!.input(evacuateRegion.input.parse(planInput));
const startedMs = Date.parse('2026-12-05T03:00:00Z');

const planStart = signAs(
  statementOf(
    {
      kind: 'start',
      namespace,
      workflowId: planId,
      runId: '',
      inputDigest: digestOf(planInput),
      by: 'alice',
      body: { runbook: 'plan/evacuate-region', drill: 'none' },
    },
    startedMs,
  ),
);

function approval(by: string, runId = planRunId): SignedDecision {
  return signAs(
    statementOf(
      { kind: 'approve', namespace, workflowId: planId, runId, inputDigest: digestOf(planInput), by, body: { gate: 'approve-plan' } },
      startedMs + 60_000,
    ),
  );
}

function lifecycle(fields: Partial<RunLifecycle> & Pick<RunLifecycle, 'workflowId' | 'workflowType' | 'firstExecutionRunId' | 'request'>): RunLifecycle {
  return {
    taskQueue: 'lifeboat',
    startedAt: new Date(startedMs).toISOString(),
    originalExecutionRunId: fields.firstExecutionRunId,
    resets: [],
    activities: [],
    ...fields,
  };
}

const nonceOf = (signed: SignedDecision) => (JSON.parse(signed.statement) as { nonce: string }).nonce;

/** The plan run: alice's start, and its gate's votes as its status counts them (the approvals given). */
function planRun(counted: SignedDecision[]): PlanRunRecord {
  const votes = counted.map((a) => {
    const s = JSON.parse(a.statement) as { by: string; issuedAt: string; nonce: string };
    return {
      by: s.by,
      decision: 'approve' as const,
      at: s.issuedAt,
      verified: { fingerprint: 'SHA256:as-the-plan-saw-it', keyType: 'ssh-ed25519', nonce: s.nonce },
    };
  });
  const gate = { name: 'approve-plan', status: 'approved', votes } as unknown as GateRecord;
  return {
    plan: evacuateRegion,
    namespace,
    first: lifecycle({
      workflowId: planId,
      workflowType: 'recoveryPlan',
      firstExecutionRunId: planRunId,
      request: { input: planInput, requestedBy: 'alice', start: planStart },
    }),
    status: { gates: [gate], audit: [], details: {} } as unknown as RunStatus,
  };
}

/**
 * The booking member as the plan starts it, with the approvals it carries, and its status as the kit records a gate
 * the plan's approval stood for: the plan's run named, its signers as votes with the keys that signed.
 */
function member(
  carried: SignedDecision[],
  options: { parent?: { workflowId: string; runId: string }; parentFirstRunId?: string; gateFrom?: string } = {},
): MemberRunRecord {
  const parentRef = options.parent ?? { workflowId: planId, runId: planRunId };
  const first = lifecycle({
    workflowId: 'region-failover/booking',
    workflowType: 'regionFailover',
    firstExecutionRunId: 'booking-run',
    parent: parentRef,
    request: { input: bookingInput, requestedBy: 'alice', start: planStart, planApproval: carried },
  });
  const parent = lifecycle({
    workflowId: parentRef.workflowId,
    workflowType: 'recoveryPlan',
    firstExecutionRunId: options.parentFirstRunId ?? parentRef.runId,
    originalExecutionRunId: parentRef.runId,
    request: { input: planInput, requestedBy: 'alice', start: planStart },
  });
  // The member's own check, as its workflow ran it, gives the votes its gate recorded.
  const verdict = checkPlanApproval(
    { plan: evacuateRegion, namespace, workflowId: planId, runId: options.gateFrom ?? planRunId, input: planInput, startedMs, requestedBy: 'alice' },
    carried,
    roster,
  );
  const signers = verdict.ok ? verdict.signers : [];
  const gate = {
    name: 'approve-failover',
    status: 'approved',
    votes: signers.map((s) => ({ by: s.by, decision: 'approve', at: s.issuedAt, verified: s.proof })),
    delegatedFrom: { plan: 'evacuate-region', workflowId: planId, runId: options.gateFrom ?? planRunId },
  } as unknown as GateRecord;
  const status = {
    gates: [gate],
    audit: [],
    details: {},
    trust: { start: { delegatedBy: parentRef.workflowId, planMember: 'booking' } },
  } as unknown as RunStatus;
  return { first, parent, roster, status };
}

const threeOf = (runId = planRunId) => [approval('bob', runId), approval('carol', runId), approval('dave', runId)];

test("a member started by this plan run, carrying the approvals the plan's gate counted, verifies: its gate's votes are the plan's signers", () => {
  const approvals = threeOf();
  const found = checkPlanDelegation(planRun(approvals), member(approvals));
  expect(found.problems).toEqual([]);
  expect(found.signers).toEqual(['bob', 'carol', 'dave']);
  expect(found.delegatedGates).toEqual(['approve-failover']);
});

test('approvals signed for another run of the same plan ID do not hold for this plan run', () => {
  const counted = threeOf();
  const other = threeOf('an-earlier-run-of-the-plan');
  const found = checkPlanDelegation(planRun(counted), member(other, { gateFrom: 'an-earlier-run-of-the-plan' }));
  expect(found.problems).toContainEqual(
    expect.stringMatching(/^the plan's approval it carries does not hold: .*is for run an-earlier-run-of-the-plan, not this run first-run-of-the-plan/),
  );
  expect(found.problems).toContainEqual(
    `its gate approve-failover counts the approval of plan run ${planId} (run an-earlier-run-of-the-plan) (evacuate-region), not of ${planId} (run ${planRunId})`,
  );
  expect(found.signers).toEqual([]);
});

test('a member whose parent is not this plan run fails: another run of the plan, or another workflow', () => {
  const approvals = threeOf();
  const earlier = checkPlanDelegation(
    planRun(approvals),
    member(approvals, { parent: { workflowId: planId, runId: 'r2' }, parentFirstRunId: 'an-earlier-run-of-the-plan' }),
  );
  expect(earlier.problems).toEqual([
    `it was started by run r2 of ${planId}, whose chain began with run an-earlier-run-of-the-plan: another run of that plan, not this plan run ${planId} (run ${planRunId})`,
  ]);
  const borrowed = checkPlanDelegation(planRun(approvals), member(approvals, { parent: { workflowId: 'evil/parent', runId: 'e1' } }));
  expect(borrowed.problems).toEqual([`it was started by evil/parent, not by plan run ${planId} (run ${planRunId})`]);
});

test('valid approvals of this plan run that are not the ones its gate counted fail, naming both sets', () => {
  const counted = threeOf();
  const fresh = threeOf();
  const found = checkPlanDelegation(planRun(counted), member(fresh));
  const list = (approvals: SignedDecision[]) => approvals.map((a, i) => `${['bob', 'carol', 'dave'][i]} (nonce ${nonceOf(a)})`).join(', ');
  expect(found.problems).toEqual([
    `the approvals it carries, ${list(fresh)}, are not the ones plan run ${planId} (run ${planRunId})'s gate approve-plan counted, ${list(counted)}`,
  ]);
  // Each one holds on its own: the kit's check passes, only the plan did not count them.
  expect(found.signers).toEqual(['bob', 'carol', 'dave']);
});

test("a gate whose votes are not the plan's signers with their keys fails", () => {
  const approvals = threeOf();
  const record = member(approvals);
  const gate = record.status!.gates[0]!;
  gate.votes = gate.votes.map((v) => (v.by === 'dave' ? { ...v, verified: { ...v.verified!, fingerprint: 'SHA256:someone-elses-key' } } : v));
  const found = checkPlanDelegation(planRun(approvals), record);
  expect(found.problems).toEqual(["its gate approve-failover's votes (bob, carol, dave) are not the plan's signers with their keys (bob, carol, dave)"]);
});

test('a member that carries no approval while a gate says the plan approved it fails', () => {
  const approvals = threeOf();
  const record = member(approvals);
  (record.first.request as { planApproval?: unknown }).planApproval = undefined;
  const found = checkPlanDelegation(planRun(approvals), record);
  expect(found.problems).toContainEqual("its gate approve-failover counts the plan's approval, which its start does not carry");
});

test("a plan's abort a member took counts only when the plan run counted it", () => {
  const approvals = threeOf();
  const plan = planRun(approvals);
  plan.status!.audit.push({
    at: new Date(startedMs).toISOString(),
    actor: 'alice',
    action: 'abort',
    verified: { fingerprint: 'SHA256:x', keyType: 'ssh-ed25519', nonce: 'the-plans-abort' },
  });
  expect(checkPlanDelegation(plan, { ...member(approvals), planAborts: ['the-plans-abort'] }).problems).toEqual([]);
  expect(checkPlanDelegation(plan, { ...member(approvals), planAborts: ['an-abort-of-another-run'] }).problems).toEqual([
    `it took a plan's abort (nonce an-abort-of-another-run) that plan run ${planId} (run ${planRunId}) never counted`,
  ]);
});
