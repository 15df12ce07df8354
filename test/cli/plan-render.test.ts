import { expect, test } from 'vitest';
import { z } from 'zod';
import { planRunView } from '../../cli/plan-run-view';
import { previewPlan } from '../../cli/recovery-plan-preview';
import { renderPlanRun } from '../../cli/render-plan-run';
import { renderRecoveryPlan, span } from '../../cli/render-recovery-plan';
import { renderStatus } from '../../cli/render';
import { definePlan, defineRunbook, gate, type PlanMemberView, type RunStatus, step } from '../../kit';
import { regionFailover } from '../../runbooks';
import { expectInert, hostile } from '../helpers/hostile-status';

/** The renderers of recovery plans on constructed plans and plan runs: what a commander reads before and during. */

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 5, 3, 0, 0) + seconds * 1000).toISOString();
const verified = { fingerprint: 'SHA256:abc', keyType: 'ssh-ed25519', nonce: 'n' };

/** A plan run of evacuate-region, approved by three, with booking done, crew running and checkin failed. */
function planRun(overrides: Partial<RunStatus> = {}, members: Record<string, Partial<PlanMemberView>> = {}): RunStatus {
  const view = (runId: string, after: string[], rest: Partial<PlanMemberView>): PlanMemberView => ({
    runbook: 'region-failover',
    runId,
    target: runId.split('/')[1]!,
    after,
    state: 'waiting',
    ...rest,
  });
  return {
    runId: 'plan/evacuate-region/A',
    runbook: 'plan/evacuate-region',
    title: 'Evacuate a region: move the airline core to the other one',
    target: 'A',
    state: 'needs-intervention',
    requestedBy: 'alice',
    objectives: { rtoSeconds: 2700, rpoSeconds: 60 },
    startedAt: at(0),
    updatedAt: at(100),
    steps: [
      { name: 'booking', title: 'booking', kind: 'step', status: 'succeeded', startedAt: at(10), attempts: 1 },
      { name: 'crew', title: 'crew', kind: 'step', status: 'running', startedAt: at(10), attempts: 1 },
      {
        name: 'checkin',
        title: 'checkin',
        kind: 'step',
        status: 'needs-intervention',
        startedAt: at(53),
        attempts: 1,
        lastError: 'member checkin (region-failover/checkin) ended failed',
      },
    ],
    gates: [
      {
        name: 'approve-plan',
        title: 'Two SRE leads and airline operations approve evacuating the region',
        status: 'approved',
        openedAt: at(1),
        decidedAt: at(9),
        quorum: 3,
        approvers: { groups: ['sre-leads', 'airline-ops'] },
        requires: [
          { group: 'sre-leads', atLeast: 2, eligible: ['bob', 'carol'] },
          { group: 'airline-ops', atLeast: 1, eligible: ['dave'] },
        ],
        eligible: ['bob', 'carol', 'dave'],
        votes: ['bob', 'carol', 'dave'].map((by) => ({ by, decision: 'approve' as const, at: at(5), verified })),
        escalations: 0,
        expiresAt: at(3600),
        onExpiry: 'abort',
      },
    ],
    intervention: { step: 'checkin', error: 'member checkin (region-failover/checkin) ended failed', since: at(60), options: ['retry', 'skip', 'abort'] },
    compensation: [],
    audit: [],
    details: {
      members: {
        booking: view('region-failover/booking', [], {
          state: 'succeeded',
          startedAt: at(10),
          finishedAt: at(52.5),
          rtoSeconds: 40.1,
          rpoSeconds: 0,
          rpoWrites: 0,
          ...members.booking,
        }),
        checkin: view('region-failover/checkin', ['booking'], {
          state: 'needs-operator',
          startedAt: at(53),
          finishedAt: at(60),
          error: 'region-failover/checkin ended failed: the standby in B is not streaming',
          ...members.checkin,
        }),
        crew: view('region-failover/crew', [], { state: 'running', startedAt: at(10), ...members.crew }),
        flightStatus: view('region-failover/flight-status', ['booking', 'checkin', 'crew'], { ...members.flightStatus }),
      },
    },
    ...overrides,
  };
}

/** Crew's own run, held at a gate of its own that the plan's approval does not stand for. */
const crewWaiting = {
  state: 'waiting-approval',
  gates: [
    {
      name: 'approve',
      title: 'Airline ops approve moving crew scheduling',
      status: 'open',
      quorum: 1,
      approvers: { groups: ['airline-ops'] },
      votes: [],
    },
  ],
} as unknown as RunStatus;

test('a plan run shows its members, critical path, RTO, decision, and each held member with its error and exact commands', () => {
  const lines = renderPlanRun(planRunView(planRun(), { 'region-failover/crew': crewWaiting }));
  const text = lines.join('\n');
  expect(lines[0]).toBe('plan evacuate-region: 4 members; 1 succeeded, 1 needs-operator, 1 running, 1 waiting');
  expect(text).toMatch(/^ {2}MEMBER +RUN +STATE +RTO +RPO +WAITS FOR$/m);
  expect(text).toMatch(/^ {2}booking +region-failover\/booking +succeeded +40\.1s +0s, 0 writes lost +nobody$/m);
  expect(text).toMatch(/^ {2}crew +region-failover\/crew +running \(its run: waiting-approval\) +nobody$/m);
  expect(text).toMatch(/^ {2}flightStatus +region-failover\/flight-status +waiting +booking, checkin \(needs-operator\), crew \(running\)$/m);
  // Booking counts for what it took; the members still to come count at their runbook's objective.
  expect(text).toContain('critical path: booking (42.5s) → checkin (15m, its objective) → flightStatus (15m, its objective) = 30m42.5s');
  expect(text).toContain('plan RTO: not measured yet (objective 45m)');
  expect(text).toContain(
    'decision: approve-plan approved at 2026-12-05T03:00:09.000Z by bob, carol, dave (needs 3 approvals from group sre-leads or group airline-ops, including 2 of group sre-leads and 1 of group airline-ops)',
  );
  expect(text).toContain(
    'member checkin (region-failover/checkin) waits for an operator of the plan:\n' +
      '  error: region-failover/checkin ended failed: the standby in B is not streaming\n' +
      '  next: lifeboat retry plan/evacuate-region/A --reason "..."   or   lifeboat skip plan/evacuate-region/A --reason "..."   or   lifeboat abort plan/evacuate-region/A --reason "..."   or   lifeboat status region-failover/checkin',
  );
  expect(text).toContain(
    'member crew (region-failover/crew) waits for a person on its own run:\n' +
      '  error: its gate approve waits for its own people (Airline ops approve moving crew scheduling): needs 1 approval from group airline-ops\n' +
      '  next: lifeboat approve region-failover/crew --as <you>   or   lifeboat reject region-failover/crew --as <you> --comment "why"',
  );
});

test("a member's own run waiting for an operator is named with its step's error and the member's commands", () => {
  const own = {
    state: 'needs-intervention',
    gates: [],
    intervention: { step: 'promote', error: 'pg_ctl promote timed out', since: at(70), options: ['retry', 'abort'] },
  };
  const view = planRunView(planRun(), { 'region-failover/crew': own as unknown as RunStatus });
  expect(view.waiting.find((w) => w.member === 'crew')).toEqual({
    member: 'crew',
    runId: 'region-failover/crew',
    on: 'member',
    error: 'its step promote: pg_ctl promote timed out',
    commands: ['lifeboat retry region-failover/crew --reason "..."', 'lifeboat abort region-failover/crew --reason "..."'],
  });
});

test('a finished plan shows its RTO from detection against the objective, its worst loss and its forecast; an aborted one what stays moved', () => {
  const done = planRun(
    { state: 'succeeded', intervention: undefined, measurements: { rtoSeconds: 1500.2, rtoFromDetectionSeconds: 1620, rpoSeconds: 0, rpoWrites: 0 } },
    { checkin: { state: 'succeeded', error: undefined }, crew: { state: 'succeeded' }, flightStatus: { state: 'succeeded' } },
  );
  done.steps = done.steps.map((s) => ({ ...s, status: 'succeeded' }));
  done.details.forecast = { summary: '25m (20m to 31m) from 5 runs' };
  const text = renderPlanRun(planRunView(done)).join('\n');
  expect(text).toContain('plan RTO: 25m0.2s from its start, 27m from detection (objective 45m: met); worst loss: RPO 0s, 0 writes lost');
  expect(text).toContain('forecast: 25m (20m to 31m) from 5 runs');
  expect(text).not.toContain('waits for an operator');
  const aborted = planRunView(planRun({ state: 'aborted', intervention: undefined }, { checkin: { state: 'aborted' }, crew: { state: 'succeeded' } }));
  const abortedText = renderPlanRun(aborted).join('\n');
  expect(abortedText).toContain('finished before the plan ended, and stay where they moved: booking, crew');
  // An ended plan takes no retry or skip: none is offered.
  expect(abortedText).not.toContain('lifeboat retry');
});

test('an open plan decision says who it still needs and the command that signs it', () => {
  const status = planRun({ state: 'waiting-approval', intervention: undefined });
  status.gates[0] = { ...status.gates[0]!, status: 'open', votes: [status.gates[0]!.votes[0]!] };
  delete status.gates[0].decidedAt;
  const text = renderPlanRun(planRunView(status)).join('\n');
  expect(text).toContain('decision: approve-plan open (Two SRE leads and airline operations approve evacuating the region): needs 3 approvals');
  expect(text).toContain('signed so far by bob; approve with lifeboat approve plan/evacuate-region/A --as <you>');
});

test('the plan section sits in the status before the details, and text from outside stays inert', () => {
  const status = planRun({}, { checkin: { error: `boom${hostile}` } });
  const text = renderStatus(status, 8, { sections: [renderPlanRun(planRunView(status))] });
  expect(text.indexOf('plan evacuate-region: 4 members')).toBeLessThan(text.indexOf('details:'));
  expectInert(text);
  // A runbook's status is as before: no plan section when none is given.
  expect(renderStatus(status)).not.toContain('plan evacuate-region: 4 members');
});

test('durations read as a person says them', () => {
  expect([0, 42.13, 60, 312.4, 2700, 5400, 3661].map(span)).toEqual(['0s', '42.1s', '1m', '5m12.4s', '45m', '1h30m', '1h1m1s']);
});

test('the plan view lists, by member, the gates that still wait for their own people', () => {
  const deskRunbook = defineRunbook({
    id: 'desk-return',
    title: 'Return the desks to normal',
    description: 'Hand the desks back once airline ops say so.',
    workflowType: 'deskReturn',
    input: z.object({ service: z.string() }),
    target: (input) => input.service,
    objectives: { rtoSeconds: 600 },
    procedure: {
      prepare: step({ title: 'Prepare' }),
      approve: gate({ title: 'SRE approves', policy: { approvers: { groups: ['sre-leads'] } } }),
      handBack: gate({ title: 'Airline ops hand the desks back', delegable: false, policy: { approvers: { groups: ['airline-ops'] } } }),
    },
  });
  const plan = definePlan({
    id: 'move-and-hand-back',
    title: 'Move booking, then hand the desks back',
    description: 'A plan with a gate its approval does not cover.',
    input: z.object({ from: z.string(), to: z.string() }),
    target: (input) => input.from,
    members: {
      booking: { runbook: regionFailover, input: (i) => ({ service: 'booking', source: i.from, target: i.to, mode: 'planned' }) },
      desks: { runbook: deskRunbook, input: () => ({ service: 'desks' }), after: ['booking'] },
    },
    gate: { title: 'SRE leads approve', policy: { approvers: { groups: ['sre-leads'] }, quorum: 2 } },
    objectives: { rtoSeconds: 1800 },
    examples: [{ from: 'A', to: 'B' }],
  });
  const preview = previewPlan(plan, undefined);
  expect(preview.undelegatedGates).toEqual([
    {
      member: 'desks',
      runbook: 'desk-return',
      runId: 'desk-return/desks',
      gate: 'handBack',
      title: 'Airline ops hand the desks back',
      needs: '1 approval from group airline-ops',
    },
  ]);
  expect(preview.criticalPath).toEqual({ members: ['booking', 'desks'], seconds: 900 + 600 });
  const text = renderRecoveryPlan(preview);
  expect(text).toContain("it stands for the members' own gates (region-failover: approve; desk-return: approve); each member checks");
  expect(text).toContain(
    "Gates that still wait for their own people (delegable: false; the plan's decision does not stand for them):\n" +
      '  - desks: desk-return gate handBack — Airline ops hand the desks back\n' +
      '    needs 1 approval from group airline-ops; approve with lifeboat approve desk-return/desks --as <you>',
  );
  expect(text).toContain("Critical path (each member at its runbook's RTO objective): booking (15m) → desks (10m) = 25m");
  expect(text).toContain("Objectives: RTO 30m from the plan's start\n");
});

test('a plan run whose members are known nowhere says so and where to look, instead of an empty table', () => {
  const status = planRun({ state: 'terminated' as RunStatus['state'], details: {}, intervention: undefined });
  const lines = renderPlanRun(planRunView(status));
  expect(lines[0]).toBe(
    'plan evacuate-region: its members are not known here (the run published none this CLI could read); lifeboat plan evacuate-region lists them, and lifeboat status <member run> shows each',
  );
  expect(lines.join('\n')).not.toContain('MEMBER');
});
