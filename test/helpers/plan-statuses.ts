import type { GateRecord, PlanMemberView, RunStatus } from '../../kit';
import type { MemberStatusRead } from '../../cli/report/plan-model';

/**
 * Statuses of an evacuation of region A as the plan's run and its members would record them, built by hand so the
 * report's and the console's renderers can be checked without a worker. Times are seconds after 04:10:00.
 */
const at = (s: number) => new Date(Date.parse('2024-07-19T04:10:00.000Z') + s * 1000).toISOString();
const key = (n: number) => ({ keyType: 'ssh-ed25519', fingerprint: `SHA256:key-of-signer-${n}`, nonce: `n${n}` });

function gate(name: string, openedAt: number, decidedAt: number | undefined, extra: Partial<GateRecord> = {}): GateRecord {
  return {
    name,
    title: `${name} gate`,
    status: decidedAt === undefined ? 'open' : 'approved',
    openedAt: at(openedAt),
    ...(decidedAt !== undefined ? { decidedAt: at(decidedAt) } : {}),
    quorum: 1,
    approvers: { groups: ['sre-leads'] },
    eligible: ['bob', 'carol'],
    votes: [],
    escalations: 0,
    expiresAt: at(3600),
    onExpiry: 'abort',
    ...extra,
  };
}

function runStatus(over: Partial<RunStatus> & Pick<RunStatus, 'runId' | 'runbook' | 'startedAt'>): RunStatus {
  return {
    title: over.runbook,
    target: 'A',
    state: 'succeeded',
    requestedBy: 'alice',
    updatedAt: over.finishedAt ?? over.startedAt,
    steps: [],
    gates: [],
    compensation: [],
    details: {},
    audit: [],
    ...over,
  };
}

const delegated = { plan: 'evacuate-region', workflowId: 'plan/evacuate-region/A', runId: 'plan-run-1' };

function member(runId: string, startedAt: number, finishedAt: number, extra: Partial<RunStatus> = {}): RunStatus {
  return runStatus({
    runId,
    runbook: 'region-failover',
    startedAt: at(startedAt),
    finishedAt: at(finishedAt),
    trust: { namespace: 'default', temporalRunId: `${runId}-run`, inputDigest: 'd', rosterDigest: 'r', start: { planMember: 'x' } },
    gates: [gate('approve', startedAt + 1, startedAt + 1, { delegatedFrom: delegated })],
    ...extra,
  });
}

function view(
  runId: string,
  after: string[],
  state: PlanMemberView['state'],
  startedAt?: number,
  finishedAt?: number,
  extra: Partial<PlanMemberView> = {},
): PlanMemberView {
  return {
    runbook: 'region-failover',
    runId,
    temporalRunId: `${runId}-run`,
    target: runId.split('/')[1]!,
    after,
    state,
    ...(startedAt !== undefined ? { startedAt: at(startedAt) } : {}),
    ...(finishedAt !== undefined ? { finishedAt: at(finishedAt) } : {}),
    ...extra,
  };
}

/**
 * A finished evacuation: the plan's decision took two minutes (three signers with keys); booking and crew went at
 * once; checkin went after booking and waited a minute for an operator in its own run; flight-status was skipped.
 */
export function finishedEvacuation(): { plan: RunStatus; members: Record<string, MemberStatusRead> } {
  const plan = runStatus({
    runId: 'plan/evacuate-region/A',
    runbook: 'plan/evacuate-region',
    title: 'Evacuate a region',
    startedAt: at(0),
    finishedAt: at(500),
    objectives: { rtoSeconds: 2700, rpoSeconds: 60 },
    measurements: { rtoSeconds: 500, rtoFromDetectionSeconds: 560, rpoSeconds: 2, rpoWrites: 0 },
    gates: [
      gate('approve-plan', 1, 121, {
        quorum: 3,
        requires: [
          { group: 'sre-leads', atLeast: 2, eligible: ['bob', 'carol'] },
          { group: 'airline-ops', atLeast: 1, eligible: ['dave'] },
        ],
        votes: [
          { by: 'bob', decision: 'approve', at: at(30), comment: 'go', verified: key(1) },
          { by: 'carol', decision: 'approve', at: at(90), verified: key(2) },
          { by: 'dave', decision: 'approve', at: at(121), verified: key(3) },
        ],
      }),
    ],
    steps: [
      { name: 'booking', title: 'booking', kind: 'step', status: 'succeeded', startedAt: at(122), finishedAt: at(240), attempts: 1 },
      { name: 'crew', title: 'crew', kind: 'step', status: 'succeeded', startedAt: at(122), finishedAt: at(180), attempts: 1 },
      { name: 'checkin', title: 'checkin', kind: 'step', status: 'succeeded', startedAt: at(241), finishedAt: at(480), attempts: 1 },
      { name: 'flightStatus', title: 'flightStatus', kind: 'step', status: 'skipped', startedAt: at(481), finishedAt: at(500), attempts: 1 },
    ],
    audit: [
      { at: at(481), actor: 'lifeboat', action: 'intervention-needed', detail: 'flightStatus: region-failover/flight-status is already running' },
      { at: at(500), actor: 'erin', action: 'skip', comment: 'status page moved by hand', verified: key(4) },
    ],
    details: {
      members: {
        booking: view('region-failover/booking', [], 'succeeded', 122, 240, { rtoSeconds: 110, rpoSeconds: 2, rpoWrites: 0, outcome: 'succeeded' }),
        checkin: view('region-failover/checkin', ['booking'], 'succeeded', 241, 480, { rtoSeconds: 230, rpoSeconds: 0, outcome: 'succeeded' }),
        crew: view('region-failover/crew', [], 'succeeded', 122, 180, { rtoSeconds: 50, rpoSeconds: 1, outcome: 'succeeded' }),
        flightStatus: view('region-failover/flight-status', ['booking', 'checkin', 'crew'], 'skipped'),
      },
      forecast: {
        plan: 'evacuate-region',
        objectiveSeconds: 2700,
        summary: 'forecast 5m 40s (5m–7m) from 12 runs, objective 45m; critical path booking → checkin → flightStatus',
        criticalPath: ['booking', 'checkin', 'flightStatus'],
        forecast: {
          objectiveSeconds: 2700,
          ranges: [],
          unknown: [],
          forecast: { min: { seconds: 300, path: [] }, median: { seconds: 340, path: [] }, max: { seconds: 420, path: [] } },
        },
      },
    },
  });
  const members: Record<string, MemberStatusRead> = {
    booking: { status: member('region-failover/booking', 122, 240) },
    crew: { status: member('region-failover/crew', 122, 180) },
    checkin: {
      status: member('region-failover/checkin', 241, 480, {
        audit: [
          { at: at(300), actor: 'lifeboat', action: 'intervention-needed', detail: 'promote: standby not caught up' },
          { at: at(360), actor: 'erin', action: 'retry', comment: 'caught up now', verified: key(5) },
        ],
      }),
    },
  };
  return { plan, members };
}

/**
 * An evacuation still running: booking done, crew's own gate (not delegable) open and waiting for its own people,
 * checkin and flight-status not started yet.
 */
export function runningEvacuation(): { plan: RunStatus; members: Record<string, MemberStatusRead> } {
  const plan = runStatus({
    runId: 'plan/evacuate-region/A',
    runbook: 'plan/evacuate-region',
    title: 'Evacuate a region',
    state: 'running',
    startedAt: at(0),
    updatedAt: at(300),
    objectives: { rtoSeconds: 2700 },
    gates: [gate('approve-plan', 1, 60, { votes: [{ by: 'bob', decision: 'approve', at: at(60), verified: key(1) }] })],
    details: {
      members: {
        booking: view('region-failover/booking', [], 'succeeded', 61, 200, { rtoSeconds: 130 }),
        checkin: view('region-failover/checkin', ['booking'], 'running', 201),
        crew: view('region-failover/crew', [], 'running', 61),
        flightStatus: view('region-failover/flight-status', ['booking', 'checkin', 'crew'], 'waiting'),
      },
    },
  });
  const members: Record<string, MemberStatusRead> = {
    booking: { status: member('region-failover/booking', 61, 200) },
    checkin: { note: 'its own status could not be read (no worker answered); its waits for people are not shown' },
    crew: {
      status: runStatus({
        runId: 'region-failover/crew',
        runbook: 'region-failover',
        state: 'waiting-approval',
        startedAt: at(61),
        updatedAt: at(300),
        gates: [gate('return-to-normal', 100, undefined)],
      }),
    },
  };
  return { plan, members };
}
