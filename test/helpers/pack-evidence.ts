import type { ScenarioTag } from '../../kit/trust';
import type { RunEvidence } from '../../lib/evidence/bundle';
import { ROSTER_FILE } from '../../lib/evidence/manifest';
import { DEFINITION_FILE, definitionText } from '../../lib/evidence/pack/definition-record';
import { ROSTER_SEAL_FILE } from '../../lib/evidence/roster-anchor';
import { FINDINGS_FILE, type AuditFinding } from '../../lib/findings/record';
import type { RosterFiles } from './evidence';

/**
 * Bundles as the evidence pack reads them: a report.json and verify.json shaped as `lifeboat report --format json` and
 * `lifeboat verify --json` print them (the fields the pack reads), and the definition.json the archiver records.
 */

/** One finished test: who decided it, what it measured, and what it was held to. */
export interface PackRun {
  runbook: string;
  target: string;
  finishedAt: string;
  /** Seconds from start to finish; also the RTO measured unless `rtoSeconds` says otherwise. */
  durationSeconds?: number;
  drill?: boolean;
  state?: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  objectives: { rtoSeconds?: number; rpoSeconds?: number };
  scenarios: ScenarioTag[];
  /** Leave out definition.json, as a bundle archived before scenarios existed. */
  noDefinition?: boolean;
  requestedBy?: string;
  approvals?: { by: string; gate: string }[];
  operators?: { by: string; action: string; on: string }[];
  /** A plan's members; makes the run a plan's. */
  members?: { member: string; runbook: string; target: string; state: string; rtoSeconds?: number }[];
  forecast?: { medianSeconds: number; minSeconds: number; maxSeconds: number; actualAfterDecisionSeconds: number; errorSeconds: number; withinRange: boolean };
  roster: RosterFiles;
  runNumber: number;
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export function packRunEvidence(run: PackRun): RunEvidence {
  const plan = run.members !== undefined;
  const runbook = plan ? `plan/${run.runbook}` : run.runbook;
  const runId = `${runbook}/${run.target}`;
  const duration = run.durationSeconds ?? run.rtoSeconds ?? 600;
  const startedAt = new Date(Date.parse(run.finishedAt) - duration * 1000).toISOString();
  const state = run.state ?? 'succeeded';
  const drill = run.drill ?? true;
  const rto = run.rtoSeconds ?? duration;
  const measurements = { rtoSeconds: rto, ...(run.rpoSeconds !== undefined ? { rpoSeconds: run.rpoSeconds } : {}) };
  const objectives = [
    ...(run.objectives.rtoSeconds !== undefined
      ? [{ objective: 'rto', targetSeconds: run.objectives.rtoSeconds, measuredSeconds: rto, met: rto <= run.objectives.rtoSeconds, countedFrom: 'run start' }]
      : []),
    ...(run.objectives.rpoSeconds !== undefined
      ? [
          {
            objective: 'rpo',
            targetSeconds: run.objectives.rpoSeconds,
            ...(run.rpoSeconds !== undefined ? { measuredSeconds: run.rpoSeconds } : {}),
            met: run.rpoSeconds !== undefined && run.rpoSeconds <= run.objectives.rpoSeconds,
          },
        ]
      : []),
  ];
  const requestedBy = run.requestedBy ?? 'alice';
  const approvals = run.approvals ?? [];
  const common = {
    runId,
    title: `${run.runbook} test`,
    target: run.target,
    state,
    ...(drill ? { drill: { kind: 'isolated', approvals: approvals.some((a) => a.by === 'drill-policy') ? 'policy' : 'people' } } : {}),
    requestedBy,
    startedAt,
    finishedAt: run.finishedAt,
    durationSeconds: duration,
    measurements,
    objectives,
  };
  const report = plan
    ? {
        kind: 'plan',
        plan: run.runbook,
        ...common,
        decision: { gate: 'approve-plan', status: 'approved', signers: approvals.map((a) => ({ by: a.by, decision: 'approve', at: startedAt })) },
        members: run.members,
        skipped: [],
        ...(run.forecast ? { forecast: { summary: 'forecast', objectiveSeconds: run.objectives.rtoSeconds, criticalPath: [], ...run.forecast } } : {}),
      }
    : {
        runbook: run.runbook,
        ...common,
        ...(drill
          ? { drillProblems: rto > (run.objectives.rtoSeconds ?? Infinity) ? [`RTO ${rto}s missed its objective of ${run.objectives.rtoSeconds}s`] : [] }
          : {}),
        approvals: approvals.map((a) => ({ gate: a.gate, by: a.by, decision: 'approve', responseSeconds: 30 })),
        interventions: (run.operators ?? []).map((o) => ({ step: o.on, error: 'failed', at: startedAt, action: o.action, by: o.by })),
      };
  const signed = (kind: string, signer: string, answers: string) => ({ kind, signer, answers, verified: true, counted: true, result: 'verified' });
  const verify = {
    runId,
    requestedBy,
    ok: true,
    decisions: [
      signed('start', requestedBy, runbook),
      ...approvals.filter((a) => a.by !== 'drill-policy').map((a) => signed('approve', a.by, a.gate)),
      ...(run.operators ?? []).map((o) => signed(o.action, o.by, o.on)),
    ],
    problems: [],
  };
  const definition = {
    lifeboat: 'definition/v1' as const,
    kind: plan ? ('plan' as const) : ('runbook' as const),
    id: run.runbook,
    title: `${run.runbook} as archived`,
    scenarios: run.scenarios,
    objectives: run.objectives,
  };
  return {
    runId,
    temporalRunIds: [`run-${run.runNumber}`],
    kind: plan ? 'plan' : 'runbook',
    runbook,
    target: run.target,
    drill,
    state,
    startedAt,
    finishedAt: run.finishedAt,
    files: {
      'report.json': json(report),
      'report.html': `<html><body>${runId}</body></html>\n`,
      'verify.json': json(verify),
      'history.json': json({ events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' }] }),
      ...(run.noDefinition ? {} : { [DEFINITION_FILE]: definitionText(definition) }),
      ...(plan ? { 'members.json': json(run.members!.map((m) => ({ runId: `${m.runbook}/${m.target}`, temporalRunId: 'member' }))) } : {}),
      [ROSTER_FILE]: run.roster.text,
      [ROSTER_SEAL_FILE]: run.roster.sealText,
    },
    targetsDigest: null,
  };
}

/**
 * A findings bundle: the snapshot of a runbook and target's findings at `at`. Archived under `findings/<runbook>` as
 * the findings workflow does; its manifest says `runbook` until the archive's manifests know the `findings` kind.
 */
export function findingsEvidence(opts: { runbook: string; target: string; at: string; findings: AuditFinding[]; roster: RosterFiles }): RunEvidence {
  return {
    runId: `findings/${opts.runbook}/${opts.target}`,
    temporalRunIds: ['findings-run'],
    kind: 'runbook',
    runbook: `findings/${opts.runbook}`,
    target: opts.target,
    drill: false,
    state: 'running',
    startedAt: opts.at,
    finishedAt: opts.at,
    files: {
      [FINDINGS_FILE]: json({ lifeboat: 'findings/v1', runbook: opts.runbook, target: opts.target, at: opts.at, findings: opts.findings }),
      [ROSTER_FILE]: opts.roster.text,
      [ROSTER_SEAL_FILE]: opts.roster.sealText,
    },
    targetsDigest: null,
  };
}

/** The keys of the small archive {@link archivePackRuns} writes. */
export interface PackArchive {
  failedDrill: string;
  realRun: string;
  planDrill: string;
  beforePeriod: string;
}

const failover = { objectives: { rtoSeconds: 900, rpoSeconds: 60 }, scenarios: ['region-loss', 'switchover'] as ScenarioTag[] };

/**
 * A small year in the archive (2026), plus one run of December 2025 before it: region-failover on booking drilled
 * (passing, then failing its RTO) and run for real (its requester retrying a step), isolate-vendor-module drilled with
 * policy approvals, manual-booking-mode run by a requester who also voted, an evacuate-region plan drill over booking
 * and check-in, and booking's findings (one closed by a passing drill, one still open past its deadline).
 */
export async function archivePackRuns(archive: (evidence: RunEvidence) => Promise<string>, roster: RosterFiles): Promise<PackArchive> {
  const beforePeriod = await archive(
    packRunEvidence({
      runbook: 'region-failover',
      target: 'booking',
      finishedAt: '2025-12-20T02:00:00.000Z',
      rtoSeconds: 500,
      rpoSeconds: 10,
      ...failover,
      roster,
      runNumber: 1,
    }),
  );
  await archive(
    packRunEvidence({
      runbook: 'region-failover',
      target: 'booking',
      finishedAt: '2026-02-10T03:15:00.000Z',
      rtoSeconds: 600,
      rpoSeconds: 20,
      ...failover,
      approvals: [
        { by: 'bob', gate: 'approve' },
        { by: 'carol', gate: 'approve' },
      ],
      roster,
      runNumber: 2,
    }),
  );
  const failedDrill = await archive(
    packRunEvidence({
      runbook: 'region-failover',
      target: 'booking',
      finishedAt: '2026-05-10T03:15:00.000Z',
      rtoSeconds: 1000,
      rpoSeconds: 20,
      ...failover,
      approvals: [
        { by: 'bob', gate: 'approve' },
        { by: 'carol', gate: 'approve' },
      ],
      roster,
      runNumber: 3,
    }),
  );
  const realRun = await archive(
    packRunEvidence({
      runbook: 'region-failover',
      target: 'booking',
      finishedAt: '2026-08-01T11:00:00.000Z',
      drill: false,
      rtoSeconds: 700,
      rpoSeconds: 30,
      ...failover,
      requestedBy: 'alice',
      approvals: [
        { by: 'bob', gate: 'approve' },
        { by: 'carol', gate: 'approve' },
      ],
      operators: [{ by: 'alice', action: 'retry', on: 'promote' }],
      roster,
      runNumber: 4,
    }),
  );
  await archive(
    packRunEvidence({
      runbook: 'isolate-vendor-module',
      target: 'fleet',
      finishedAt: '2026-03-03T09:00:00.000Z',
      rtoSeconds: 3600,
      objectives: { rtoSeconds: 14400 },
      scenarios: ['vendor-fault'],
      approvals: [{ by: 'drill-policy', gate: 'approve-waves' }],
      roster,
      runNumber: 5,
    }),
  );
  await archive(
    packRunEvidence({
      runbook: 'manual-booking-mode',
      target: 'booking',
      finishedAt: '2026-06-15T14:00:00.000Z',
      drill: false,
      rtoSeconds: 300,
      objectives: { rtoSeconds: 900 },
      scenarios: ['vendor-fault'],
      noDefinition: true,
      requestedBy: 'dave',
      approvals: [{ by: 'dave', gate: 'go-manual' }],
      roster,
      runNumber: 6,
    }),
  );
  const planDrill = await archive(
    packRunEvidence({
      runbook: 'evacuate-region',
      target: 'A',
      finishedAt: '2026-09-09T04:00:00.000Z',
      rtoSeconds: 1500,
      rpoSeconds: 15,
      objectives: { rtoSeconds: 2700, rpoSeconds: 60 },
      scenarios: ['region-loss', 'switchover'],
      requestedBy: 'erin',
      approvals: [
        { by: 'bob', gate: 'approve-plan' },
        { by: 'carol', gate: 'approve-plan' },
        { by: 'frank', gate: 'approve-plan' },
      ],
      members: [
        { member: 'booking', runbook: 'region-failover', target: 'booking', state: 'succeeded', rtoSeconds: 600 },
        { member: 'checkin', runbook: 'region-failover', target: 'checkin', state: 'succeeded', rtoSeconds: 500 },
      ],
      forecast: { medianSeconds: 1300, minSeconds: 1100, maxSeconds: 1600, actualAfterDecisionSeconds: 1400, errorSeconds: 100, withinRange: true },
      roster,
      runNumber: 7,
    }),
  );
  const opened = { runbook: 'region-failover', target: 'booking' };
  await archive(
    findingsEvidence({
      ...opened,
      at: '2026-11-20T00:00:00.000Z',
      roster,
      findings: [
        {
          id: 'F-1',
          ...opened,
          reason: 'objective-missed',
          what: 'the May drill took 1000 s against an RTO of 900 s',
          openedAt: '2026-05-10T03:16:00.000Z',
          deadline: '2026-06-09T03:16:00.000Z',
          objective: { name: 'rto', targetSeconds: 900, achievedSeconds: 1000 },
          evidence: failedDrill,
          state: 'closed',
          closed: {
            by: 'bob',
            at: '2026-08-02T09:00:00.000Z',
            comment: 'standby disk resized, see change 4711',
            proof: { kind: 'passing-drill', runId: 'region-failover/booking', temporalRunId: 'run-4', finishedAt: '2026-08-01T11:00:00.000Z' },
          },
        },
        {
          id: 'F-2',
          ...opened,
          reason: 'not-ready',
          what: 'the standby lagged for more than a day',
          openedAt: '2026-11-01T00:00:00.000Z',
          deadline: '2026-12-01T00:00:00.000Z',
          state: 'open',
        },
      ],
    }),
  );
  return { failedDrill, realRun, planDrill, beforePeriod };
}
