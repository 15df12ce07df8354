import { readFileSync } from 'node:fs';
import { expect, inject, test } from 'vitest';
import { checkPlanApproval, digestOf, planMemberFor, Roster, type PlanRunFacts } from '../../kit/trust';
import { evacuateRegion } from '../../plans';
import { signAs, statementOf } from '../helpers/signing';

/**
 * What a member checks of its plan's approval before its gates take it, with real signatures by the test people's keys
 * (bob and carol are SRE leads, dave is airline ops, alice and erin are on call; mallory's key is on no roster).
 */
const roster = Roster.parse(JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')));
const planInput = { from: 'A', to: 'B', mode: 'planned' };
const startedMs = Date.parse('2026-12-05T03:00:00Z');
const run: PlanRunFacts = {
  plan: evacuateRegion,
  namespace: 'default',
  workflowId: 'plan/evacuate-region/A',
  runId: 'first-run-of-the-plan',
  input: planInput,
  startedMs,
  requestedBy: 'alice',
};

function approval(by: string, overrides: { runId?: string; workflowId?: string; input?: unknown; gate?: string; at?: number; signer?: string } = {}) {
  const statement = statementOf(
    {
      kind: 'approve',
      namespace: 'default',
      workflowId: overrides.workflowId ?? run.workflowId,
      runId: overrides.runId ?? run.runId,
      inputDigest: digestOf(overrides.input ?? planInput),
      by,
      body: { gate: overrides.gate ?? 'approve-plan' },
    },
    overrides.at ?? startedMs + 60_000,
  );
  return signAs(statement, overrides.signer ?? by);
}

const threeOf = () => [approval('bob'), approval('carol'), approval('dave')];

test("two SRE leads and one of airline operations, each signing this plan run's gate, are the plan's approval, even checked long after they expired", () => {
  const verdict = checkPlanApproval(run, threeOf(), roster);
  expect(verdict).toMatchObject({ ok: true });
  if (verdict.ok) {
    expect(verdict.signers.map((s) => s.by)).toEqual(['bob', 'carol', 'dave']);
    for (const s of verdict.signers) expect(s.proof.fingerprint).toMatch(/^SHA256:/);
  }
});

test.each([
  [
    'approvals of another run of the same plan ID',
    () => [approval('bob', { runId: 'another-run' }), approval('carol'), approval('dave')],
    /is for run another-run, not this run/,
  ],
  [
    'approvals of another plan',
    () => [approval('bob', { workflowId: 'plan/return-home/A' }), approval('carol'), approval('dave')],
    /is for plan\/return-home\/A/,
  ],
  [
    'approvals for another input',
    () => [approval('bob', { input: { ...planInput, mode: 'emergency' } }), approval('carol'), approval('dave')],
    /another input/,
  ],
  ['an approval of another gate', () => [approval('bob', { gate: 'approve-failover' }), approval('carol'), approval('dave')], /answers gate approve-failover/],
  [
    'an approval signed before the plan run began',
    () => [approval('bob', { at: startedMs - 10 * 60_000 }), approval('carol'), approval('dave')],
    /before plan run .* began/,
  ],
  [
    'a signature by a key that is not the named person',
    () => [approval('bob', { signer: 'mallory' }), approval('carol'), approval('dave')],
    /not one of bob's keys/,
  ],
  [
    'the requester approving their own plan',
    () => [approval('bob'), approval('carol'), approval('dave'), approval('alice')],
    /alice started plan run .* and may not approve it/,
  ],
  ['somebody the gate does not accept', () => [approval('bob'), approval('carol'), approval('erin')], /erin is not among those the plan's gate accepts/],
  ['the same person twice', () => [approval('bob'), approval('bob'), approval('dave')], /bob approved plan run .* twice/],
  ['two SRE leads without airline operations', () => [approval('bob'), approval('carol')], /2 of the 3 approvals it needs/],
  ['no approval at all', () => [], /no approval of plan run/],
  ['too many approvals', () => Array.from({ length: 9 }, () => approval('bob')), /at most 8/],
])('refused: %s', (_name, approvals, reason) => {
  const verdict = checkPlanApproval(run, approvals(), roster);
  expect(verdict.ok).toBe(false);
  if (!verdict.ok) expect(verdict.reason).toMatch(reason);
});

test("a member is one the plan's definition lists, with the input the plan derives for it, and nothing else", () => {
  expect(planMemberFor(evacuateRegion, planInput, 'region-failover', { service: 'checkin', source: 'A', target: 'B', mode: 'planned' })).toBe('checkin');
  // Same runbook and service, another mode than the plan's input says: not the member.
  expect(planMemberFor(evacuateRegion, planInput, 'region-failover', { service: 'checkin', source: 'A', target: 'B', mode: 'emergency' })).toBeUndefined();
  // A service the plan does not move, and a runbook it does not run.
  expect(planMemberFor(evacuateRegion, planInput, 'region-failover', { service: 'payments', source: 'A', target: 'B', mode: 'planned' })).toBeUndefined();
  expect(planMemberFor(evacuateRegion, planInput, 'region-failback', { service: 'checkin', target: 'A' })).toBeUndefined();
});
