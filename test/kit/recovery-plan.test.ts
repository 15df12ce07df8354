import { z } from 'zod';
import { expect, test } from 'vitest';
import { definePlan, type RecoveryPlanMember, type RunbookDefinition } from '../../kit';
import { criticalPath, planLayers, rtoForecast } from '../../kit/trust';
import { evacuateRegion, plans, returnHome } from '../../plans';
import { regionFailback, regionFailover } from '../../runbooks';

const Regions = z.object({ from: z.string(), to: z.string() });
type Regions = z.infer<typeof Regions>;

/** A plan of failovers between the regions of its input, with the members given, for the validation tests. */
function testPlan(members: Record<string, RecoveryPlanMember<Regions>>) {
  return definePlan({
    id: 'test-plan',
    title: 'A test plan',
    description: 'Members under test.',
    input: Regions,
    target: (input) => input.from,
    members,
    gate: { title: 'Two leads approve', policy: { approvers: { groups: ['sre-leads'] }, quorum: 2 } },
    objectives: { rtoSeconds: 600 },
    examples: [{ from: 'A', to: 'B' }],
  });
}

const failover = (service: string, after?: string[]): RecoveryPlanMember<Regions> => ({
  runbook: regionFailover,
  input: (input) => ({ service, source: input.from, target: input.to, mode: 'planned' }),
  ...(after ? { after } : {}),
});

test('an after that names no member is refused, naming the member, the name and the members there are', () => {
  expect(() => testPlan({ booking: failover('booking'), checkin: failover('checkin', ['bookng']) })).toThrow(
    'plan test-plan, member checkin: after names bookng, which is not a member (members: booking, checkin); fix the name or add the member',
  );
});

test('members that wait for each other in a circle are refused, named in the order they wait', () => {
  expect(() => testPlan({ a: failover('a', ['c']), b: failover('b', ['a']), c: failover('c', ['b']), d: failover('d') })).toThrow(
    'plan test-plan: members a → c → b → a wait for each other in a circle (each waits for the next), so none of them could start; remove one of those after entries',
  );
  expect(() => testPlan({ self: failover('self', ['self']) })).toThrow('members self → self wait for each other in a circle');
});

test('a member whose runbook is not a runbook definition is refused', () => {
  const notARunbook = { id: 'region-failover' } as unknown as RunbookDefinition;
  expect(() => testPlan({ booking: { runbook: notARunbook, input: () => ({}) } })).toThrow(
    'plan test-plan, member booking: its runbook is not a runbook definition; import one from runbooks/ (built with defineRunbook)',
  );
});

test("a member input its runbook's schema refuses is named by member and field", () => {
  const wrongMode: RecoveryPlanMember<Regions> = {
    runbook: regionFailover,
    input: (input) => ({ service: 'crew', source: input.from, target: input.to, mode: 'fast' }),
  };
  expect(() => testPlan({ booking: failover('booking'), crew: wrongMode })).toThrow(
    /^plan test-plan, member crew: for example 1 its input fails region-failover's schema at field mode: .*; fix members\.crew\.input$/,
  );
  const sameRegions: RecoveryPlanMember<Regions> = { runbook: regionFailback, input: (input) => ({ service: 'crew', source: input.from, target: input.from }) };
  expect(() => testPlan({ crew: sameRegions })).toThrow(/member crew: for example 1 its input fails region-failback's schema at field target:/);
  // Zod would drop a field the runbook does not take; its workflow refuses it, so the plan is refused first.
  const extraField: RecoveryPlanMember<Regions> = { runbook: regionFailback, input: (input) => ({ service: 'crew', target: input.from, mode: 'planned' }) };
  expect(() => testPlan({ crew: extraField })).toThrow(
    'plan test-plan, member crew: for example 1 its input has field mode, which region-failback does not take (the schema does not declare it); the run would refuse it, so remove it from members.crew.input',
  );
});

test('two members acting on the same service are refused, even through different runbooks', () => {
  const failBack: RecoveryPlanMember<Regions> = { runbook: regionFailback, input: (input) => ({ service: 'booking', target: input.from }) };
  expect(() => testPlan({ out: failover('booking'), back: failBack })).toThrow(
    'plan test-plan, member back: it acts on booking, as member out does (region-failover and region-failback); a plan acts on each service once, so drop one or make it a plan of its own',
  );
  expect(() => testPlan({ one: failover('crew'), two: failover('crew', ['one']) })).toThrow('member two: it acts on crew, as member one does');
});

test('a plan without examples, or with one its own input refuses, is refused', () => {
  const members = { booking: failover('booking') };
  const base = { id: 'test-plan', title: 't', description: 'd', input: Regions, target: (i: Regions) => i.from, members, objectives: { rtoSeconds: 60 } };
  const gate = { title: 'g', policy: { approvers: { groups: ['sre-leads'] } } };
  expect(() => definePlan({ ...base, gate, examples: [] })).toThrow('plan test-plan has no examples');
  expect(() => definePlan({ ...base, gate, examples: [{ from: 'A' } as Regions] })).toThrow("plan test-plan: example 1 fails the plan's own input at to:");
});

test('a defined plan is frozen, and its gate takes the default policy for what it leaves out', () => {
  const plan = testPlan({ booking: failover('booking') });
  expect(Object.isFrozen(plan) && Object.isFrozen(plan.members) && Object.isFrozen(plan.gate.policy)).toBe(true);
  expect(plan.gate.policy).toMatchObject({ quorum: 2, onExpiry: 'abort', expireAfter: '2 hours' });
});

test('evacuate-region runs booking and crew first, checkin after booking, and flight-status last', () => {
  expect(planLayers(evacuateRegion)).toEqual([['booking', 'crew'], ['checkin'], ['flightStatus']]);
  const services = Object.values(evacuateRegion.members).map((m) => m.runbook.target(m.runbook.input.parse(m.input({ from: 'A', to: 'B', mode: 'planned' }))));
  expect(services).toEqual(['booking', 'checkin', 'crew', 'flight-status']);
  expect(evacuateRegion.target({ from: 'A', to: 'B', mode: 'emergency' })).toBe('A');
});

test("evacuate-region's critical path follows whichever of booking→checkin and crew is longer, into flight-status", () => {
  const slowCrew = { booking: 300, checkin: 200, crew: 600, flightStatus: 60 };
  expect(criticalPath(evacuateRegion, (m) => slowCrew[m as keyof typeof slowCrew])).toEqual({ members: ['crew', 'flightStatus'], seconds: 660 });
  const quickCrew = { ...slowCrew, crew: 400 };
  expect(criticalPath(evacuateRegion, (m) => quickCrew[m as keyof typeof quickCrew])).toEqual({
    members: ['booking', 'checkin', 'flightStatus'],
    seconds: 560,
  });
});

test('return-home fails back in the reverse order: flight-status, then crew and checkin, booking last', () => {
  expect(planLayers(returnHome)).toEqual([['flightStatus'], ['crew', 'checkin'], ['booking']]);
  expect(Object.values(returnHome.members).every((m) => m.runbook.id === 'region-failback')).toBe(true);
});

test("every shipped plan's member inputs pass their runbooks' schemas for the plan's examples", () => {
  expect(Object.keys(plans)).toEqual(['evacuate-region', 'return-home']);
  for (const plan of Object.values(plans)) {
    expect(plan.examples.length).toBeGreaterThan(0);
    for (const example of plan.examples) {
      const input = plan.input.parse(example);
      for (const [name, member] of Object.entries(plan.members)) {
        const parsed = member.runbook.input.safeParse(member.input(input));
        expect(parsed.success, `${plan.id} ${name}: ${parsed.error?.message}`).toBe(true);
      }
    }
    // Three signatures for the whole plan: two SRE leads and one of airline operations.
    expect(plan.gate.policy).toMatchObject({
      approvers: { groups: ['sre-leads', 'airline-ops'] },
      quorum: 3,
      requires: [
        { group: 'sre-leads', atLeast: 2 },
        { group: 'airline-ops', atLeast: 1 },
      ],
    });
  }
});

test('with no history the forecast is unknown, and every member is named as the reason', () => {
  const forecast = rtoForecast(evacuateRegion, []);
  expect(forecast).toEqual({ objectiveSeconds: 45 * 60, ranges: [], unknown: ['booking', 'checkin', 'crew', 'flightStatus'] });
});

test('with history the forecast gives each range along the critical path and names the member that takes it over the objective', () => {
  const forecast = rtoForecast(evacuateRegion, [
    { member: 'booking', seconds: [800, 600, 700] },
    { member: 'checkin', seconds: [2100, 2000] },
    { member: 'crew', seconds: [300] },
    { member: 'flightStatus', seconds: [60, 90] },
    { member: 'loyalty', seconds: [5] },
  ]);
  expect(forecast.unknown).toEqual([]);
  expect(forecast.ranges).toEqual([
    { member: 'booking', runs: 3, minSeconds: 600, medianSeconds: 700, maxSeconds: 800 },
    { member: 'checkin', runs: 2, minSeconds: 2000, medianSeconds: 2050, maxSeconds: 2100 },
    { member: 'crew', runs: 1, minSeconds: 300, medianSeconds: 300, maxSeconds: 300 },
    { member: 'flightStatus', runs: 2, minSeconds: 60, medianSeconds: 75, maxSeconds: 90 },
  ]);
  const path = ['booking', 'checkin', 'flightStatus'];
  expect(forecast.forecast).toEqual({ min: { seconds: 2660, path }, median: { seconds: 2825, path }, max: { seconds: 2990, path } });
  expect(forecast.overObjective).toEqual({ member: 'checkin', endsAtSeconds: 2750, objectiveSeconds: 2700 });
});

test('a forecast within the objective names no member; with a member unknown it is withheld, yet a known chain already over is named', () => {
  const quick = rtoForecast(evacuateRegion, [
    { member: 'booking', seconds: [600] },
    { member: 'checkin', seconds: [600] },
    { member: 'crew', seconds: [600] },
    { member: 'flightStatus', seconds: [60] },
  ]);
  expect(quick.forecast?.median).toEqual({ seconds: 1260, path: ['booking', 'checkin', 'flightStatus'] });
  expect(quick.overObjective).toBeUndefined();

  const crewUnknown = rtoForecast(evacuateRegion, [
    { member: 'booking', seconds: [1500] },
    { member: 'checkin', seconds: [1300] },
    { member: 'flightStatus', seconds: [60] },
  ]);
  expect(crewUnknown.unknown).toEqual(['crew']);
  expect(crewUnknown.forecast).toBeUndefined();
  expect(crewUnknown.overObjective).toEqual({ member: 'checkin', endsAtSeconds: 2800, objectiveSeconds: 2700 });
});
