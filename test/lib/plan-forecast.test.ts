import { expect, test } from 'vitest';
import type { GateRecord, RunStatus } from '../../kit';
import { durationOf, durationText, forecastReport, memberWorkflowIdsOf, PlanInputError, workSecondsOf, type MemberHistory } from '../../lib/plan-forecast';
import { evacuateRegion } from '../../plans';

const t0 = Date.parse('2026-11-20T03:00:00Z');
/** An ISO time `seconds` after the synthetic runs' start. */
const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

/** A finished failover run as its result carries it, with the gates and audit entries a test gives. */
function finishedRun(seconds: number, extra: Partial<RunStatus> = {}): RunStatus {
  return {
    runId: 'region-failover/booking',
    runbook: 'region-failover',
    title: 'Region failover',
    target: 'booking',
    state: 'succeeded',
    requestedBy: 'alice',
    startedAt: at(0),
    updatedAt: at(seconds),
    finishedAt: at(seconds),
    steps: [],
    gates: [],
    compensation: [],
    details: {},
    audit: [],
    ...extra,
  };
}

function gate(name: string, openedAt: number, decidedAt?: number): GateRecord {
  return {
    name,
    title: name,
    status: decidedAt === undefined ? 'open' : 'approved',
    openedAt: at(openedAt),
    ...(decidedAt !== undefined ? { decidedAt: at(decidedAt) } : {}),
    quorum: 2,
    approvers: { groups: ['sre-leads'] },
    eligible: [],
    votes: [],
    escalations: 0,
    expiresAt: at(3600),
    onExpiry: 'abort',
  };
}

test('a run with no waits worked from its start to its end; an unfinished run has no work time yet', () => {
  expect(workSecondsOf(finishedRun(600))).toBe(600);
  expect(workSecondsOf({ ...finishedRun(600), finishedAt: undefined })).toBeUndefined();
});

test('the time gates waited for approvers is not work: a run of 20 min that waited 12 min at its gate worked 8 min', () => {
  expect(workSecondsOf(finishedRun(1200, { gates: [gate('approve', 60, 780)] }))).toBe(480);
});

test('the time a step waited for an operator is not work, from intervention-needed to the retry that answered it', () => {
  const status = finishedRun(900, {
    audit: [
      { at: at(100), actor: 'lifeboat', action: 'intervention-needed', detail: 'catchUp: standby 4 MB behind' },
      { at: at(400), actor: 'bob', action: 'retry', detail: 'step catchUp' },
      { at: at(500), actor: 'lifeboat', action: 'intervention-needed', detail: 'verify: no answer' },
      { at: at(560), actor: 'bob', action: 'skip', detail: 'step verify' },
    ],
  });
  expect(workSecondsOf(status)).toBe(900 - 300 - 60);
});

test('waits that overlap count once, and a wait past the run’s end counts only up to it', () => {
  const status = finishedRun(1000, {
    gates: [gate('approve', 100, 300), gate('late', 900)],
    audit: [
      { at: at(200), actor: 'lifeboat', action: 'intervention-needed', detail: 'x: y' },
      { at: at(400), actor: 'bob', action: 'retry', detail: 'step x' },
    ],
  });
  // Waiting from 100 to 400 (gate and operator overlap) and from 900 to the end: 1000 - 300 - 100.
  expect(workSecondsOf(status)).toBe(600);
});

test('a run’s entry in a member’s history names its Temporal run, its work, its drill kind and when it finished', () => {
  expect(durationOf('run-1', finishedRun(700, { gates: [gate('approve', 10, 110)] }))).toEqual({
    temporalRunId: 'run-1',
    seconds: 600,
    drill: 'none',
    finishedAt: at(700),
  });
  expect(durationOf('run-2', finishedRun(300, { drill: { kind: 'isolated', approvals: 'policy' } }))?.drill).toBe('isolated');
});

test('each member’s workflow ID is its runbook and target for the plan input; a bad input is refused naming the field', () => {
  expect(memberWorkflowIdsOf(evacuateRegion, { from: 'A', to: 'B', mode: 'planned' })).toEqual([
    { member: 'booking', target: 'booking', workflowId: 'region-failover/booking' },
    { member: 'checkin', target: 'checkin', workflowId: 'region-failover/checkin' },
    { member: 'crew', target: 'crew', workflowId: 'region-failover/crew' },
    { member: 'flightStatus', target: 'flight-status', workflowId: 'region-failover/flight-status' },
  ]);
  const refused = (() => {
    try {
      memberWorkflowIdsOf(evacuateRegion, { from: 'A', to: 'B', mode: 'sideways' });
    } catch (err) {
      return err;
    }
  })();
  expect(refused).toBeInstanceOf(PlanInputError);
  expect((refused as PlanInputError).field).toBe('mode');
  expect((refused as PlanInputError).message).toContain('invalid input for plan evacuate-region: mode:');
});

/** A member's history of runs with the given work times, finished an hour apart. */
function history(member: string, seconds: number[], drill: 'isolated' | 'live' | 'none' = 'none'): MemberHistory {
  const workflowId = `region-failover/${member === 'flightStatus' ? 'flight-status' : member}`;
  return {
    member,
    target: workflowId.split('/')[1]!,
    workflowId,
    runs: seconds.map((s, i) => ({ temporalRunId: `${member}-${i}`, seconds: s, drill, finishedAt: at(-3600 * (i + 1)) })),
  };
}

const basis = { runsPerMember: 5, lookbackDays: 30, now: new Date(t0) };

test('a forecast within the objective is ready, with its range, the runs it rests on and the critical path in one line', () => {
  const report = forecastReport(
    evacuateRegion,
    [
      history('booking', [400, 500, 600]),
      history('checkin', [300, 360, 420], 'isolated'),
      history('crew', [200, 300, 400]),
      history('flightStatus', [60, 60, 60]),
    ],
    basis,
  );
  expect(report.ready).toBe(true);
  expect(report.reasons).toEqual([]);
  expect(report.objectiveSeconds).toBe(45 * 60);
  expect(report.criticalPath).toEqual(['booking', 'checkin', 'flightStatus']);
  expect(report.forecast.forecast?.median.seconds).toBe(500 + 360 + 60);
  expect(report.members.find((m) => m.member === 'checkin')?.runs[0]).toEqual({
    temporalRunId: 'checkin-0',
    seconds: 300,
    drill: 'isolated',
    finishedAt: at(-3600),
  });
  expect(report.summary).toBe('forecast 15m 20s (12m 40s–18m) from 12 runs, objective 45m; critical path booking → checkin → flightStatus');
  expect(report.notes.some((n) => n.includes('booking: based on 3 runs only'))).toBe(true);
});

test('a forecast over the objective is not ready and names the member that takes it over', () => {
  const report = forecastReport(
    evacuateRegion,
    [history('booking', [900]), history('checkin', [2000]), history('crew', [100]), history('flightStatus', [60])],
    basis,
  );
  expect(report.ready).toBe(false);
  expect(report.tooSlow).toEqual({ member: 'checkin', endsAtSeconds: 2900, objectiveSeconds: 2700 });
  expect(report.reasons).toEqual(['checkin is too slow: along the critical path it is forecast to end at 48m 20s, past the objective of 45m']);
  expect(report.summary).toContain('objective 45m (over it at checkin)');
});

test('a member with no history makes the forecast unknown and the plan not ready, named, never guessed', () => {
  const report = forecastReport(
    evacuateRegion,
    [history('booking', [400]), history('checkin', [300]), history('crew', []), history('flightStatus', [60])],
    basis,
  );
  expect(report.ready).toBe(false);
  expect(report.noHistory).toEqual(['crew']);
  expect(report.forecast.forecast).toBeUndefined();
  expect(report.reasons).toEqual([
    'crew has no succeeded run of region-failover/crew in the last 30 days, so the forecast is unknown; a run or a drill of region-failover/crew gives it one',
  ]);
  expect(report.summary).toBe(
    'forecast unknown: no succeeded run in the last 30 days of crew; objective 45m; critical path by dependencies booking → checkin → flightStatus',
  );
});

test('durations read as a person says them', () => {
  expect([durationText(12.5), durationText(60), durationText(1120), durationText(3900), durationText(7200)]).toEqual(['12.5s', '1m', '18m 40s', '1h 5m', '2h']);
});
