import type { DrillMode, GateRecord, Objectives, StepRecord } from '../../kit';
import type { ScenarioTag } from '../../kit/trust';
import { reportHtml } from '../../cli/report/html';
import { buildReport } from '../../cli/report/model';
import { objectivesFromDetection, restoringStep } from '../../cli/report/path';
import { planReportHtml } from '../../cli/report/plan-html';
import { definitionRecordOf, DEFINITION_FILE, definitionText } from '../../lib/evidence/pack/definition-record';
import type { PlanReport } from '../../cli/report/plan-report-types';
import type { ShownStatus } from '../../cli/run-outcome';
import type { CheckedDecision, VerifyReport } from '../../cli/verify/check';

/**
 * The files one simulated run leaves in its evidence bundle, made by the same code that makes a real run's: a runbook
 * run's status goes through the report model (`buildReport`) and HTML renderer, so its `report.json` is what `lifeboat
 * report --format json` prints. A plan's report is written in the plan report's own type, member rows and forecast
 * included. The history is a real one: a recorded run of the same runbook or plan on the same target under the same
 * workflow ID, by the same requester (evidence-year-histories.ts), so `lifeboat evidence verify` re-checks its signed
 * decisions against the bundle's roster. The report and verify.json tell the simulated run's story (its approvers,
 * operators and RTO), which the recorded run, a start and an abort, does not: the pack reads those two files.
 */

/** What the simulation decided about one run: who did what, how it ended, what it measured. */
export interface SimulatedRun {
  kind: 'runbook' | 'plan';
  /** The runbook's or the plan's id. */
  id: string;
  title: string;
  target: string;
  scenarios: readonly ScenarioTag[];
  objectives: Objectives;
  drill?: DrillMode;
  state: 'succeeded' | 'failed' | 'aborted';
  temporalRunId: string;
  startedAt: string;
  finishedAt: string;
  requestedBy: string;
  /** Who approved the run's gate; `drill-policy` alone when a drill's policy waived the people. */
  approvers: string[];
  /** Operators who answered a failed step (retry or skip), when one did. */
  operator?: { by: string; action: 'retry' | 'skip'; step: string };
  rtoSeconds?: number;
  rpoSeconds?: number;
  /** The recorded run whose history the bundle carries, and the namespace its signed decisions name. */
  recorded: { history: string; namespace: string };
  /** For a plan: its member runs, each with its bundle's manifest digest. */
  members?: { member: string; runbook: string; runId: string; target: string; temporalRunId: string; manifestDigest: string; rtoSeconds?: number }[];
}

const at = (startedAt: string, seconds: number) => new Date(Date.parse(startedAt) + seconds * 1000).toISOString();

/** The files of the run's bundle besides the roster: report.html and .json, verify.json, history.json, definition.json (as the archiver writes it). */
export function runFiles(run: SimulatedRun): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const files: Record<string, string> = {
    'verify.json': json(verifyReport(run)),
    'history.json': run.recorded.history,
    [DEFINITION_FILE]: definitionText(definitionRecordOf(run.kind, run)),
  };
  if (run.kind === 'plan') {
    const report = planReport(run);
    files['report.json'] = json(report);
    files['report.html'] = planReportHtml(report);
    files['members.json'] = json((run.members ?? []).map((m) => ({ runId: m.runId, temporalRunId: m.temporalRunId, manifestDigest: m.manifestDigest })));
  } else {
    const report = buildReport(runStatus(run));
    files['report.json'] = json(report);
    files['report.html'] = reportHtml(report);
  }
  return files;
}

/** The run's final status as its workflow would have returned it. */
export function runStatus(run: SimulatedRun): ShownStatus {
  const gateOpened = at(run.startedAt, 30);
  const decided = at(run.startedAt, 90);
  const restoring = restoringStep[run.id] ?? 'apply';
  const failed = run.state !== 'succeeded';
  const steps: StepRecord[] = [
    step('preflight', 'Preflight the target', run.startedAt, at(run.startedAt, 25), 'succeeded', 1),
    step(restoring, 'Restore service', decided, at(run.startedAt, (run.rtoSeconds ?? 300) - 20), failed ? 'failed' : 'succeeded', run.operator ? 2 : 1),
    ...(failed ? [] : [step('verify', 'Verify from outside', at(run.startedAt, (run.rtoSeconds ?? 300) - 20), run.finishedAt, 'succeeded', 1)]),
  ];
  const votes = run.approvers.map((by, i) => ({
    by,
    decision: 'approve' as const,
    at: at(run.startedAt, 60 + i * 10),
    ...(by === 'drill-policy' ? {} : { verified: proof(`${run.temporalRunId}-${by}`) }),
  }));
  const gate: GateRecord = {
    name: 'approve',
    title: 'Approve the switch',
    status: 'approved',
    openedAt: gateOpened,
    decidedAt: decided,
    quorum: Math.max(1, run.approvers.length),
    approvers: { groups: ['sre-leads'] },
    eligible: run.approvers.includes('drill-policy') ? [] : ['bob', 'carol'],
    votes,
    escalations: 0,
    expiresAt: at(run.startedAt, 3600),
    onExpiry: 'abort',
  };
  const audit = [
    { at: run.startedAt, actor: run.requestedBy, action: 'started', verified: proof(`${run.temporalRunId}-start`) },
    ...votes.map((v) => ({ at: v.at, actor: v.by, action: 'approved', detail: 'gate approve', ...(v.verified ? { verified: v.verified } : {}) })),
    ...(run.operator
      ? [
          { at: at(run.startedAt, 120), actor: 'system', action: 'intervention-needed', detail: `${run.operator.step}: the standby did not answer in time` },
          {
            at: at(run.startedAt, 180),
            actor: run.operator.by,
            action: run.operator.action,
            comment: 'standby answers again',
            verified: proof(`${run.temporalRunId}-op`),
          },
        ]
      : []),
  ];
  const measurements = {
    ...(run.rtoSeconds !== undefined ? { rtoSeconds: run.rtoSeconds } : {}),
    ...(run.rpoSeconds !== undefined ? { rpoSeconds: run.rpoSeconds } : {}),
  };
  return {
    runId: `${run.id}/${run.target}`,
    runbook: run.id,
    title: run.title,
    target: run.target,
    state: run.state,
    requestedBy: run.requestedBy,
    ...(run.drill ? { drill: run.drill } : {}),
    objectives: run.objectives,
    measurements,
    startedAt: run.startedAt,
    updatedAt: run.finishedAt,
    finishedAt: run.finishedAt,
    steps,
    gates: [gate],
    compensation: failed ? [{ step: 'preflight', status: 'succeeded' }] : [],
    details: {},
    outcome: failed ? `${restoring} failed: the standby did not promote` : `${run.target} restored in ${run.rtoSeconds ?? 0} s`,
    audit,
  };
}

function step(name: string, title: string, startedAt: string, finishedAt: string, status: StepRecord['status'], attempts: number): StepRecord {
  return { name, title, kind: 'step', status, startedAt, finishedAt, durationMs: Date.parse(finishedAt) - Date.parse(startedAt), attempts };
}

/** A stand-in for a verified signature's proof: a fingerprint-shaped digest of where it was made, unique per decision. */
function proof(seed: string): { fingerprint: string; keyType: string; nonce: string } {
  const digest = Buffer.from(seed)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
  return { fingerprint: `SHA256:${digest.slice(-43).padStart(43, 'A')}`, keyType: 'ssh-ed25519', nonce: digest.slice(0, 32) };
}

/** `lifeboat verify --json` of the run: every decision (the start, each vote, the operator's answer) verifies. */
function verifyReport(run: SimulatedRun): VerifyReport {
  const decisions: CheckedDecision[] = [];
  const decision = (signer: string, kind: string, message: string, answers: string, when: string) =>
    decisions.push({
      eventId: decisions.length * 4 + 1,
      at: when,
      source: 'signal' as CheckedDecision['source'],
      message,
      kind,
      signer,
      answers,
      ...proof(`${run.temporalRunId}-${signer}-${kind}`),
      handledAt: when,
      verified: true,
      counted: true,
      result: 'verified',
    });
  decision(run.requestedBy, 'start', 'start', run.id, run.startedAt);
  for (const by of run.approvers.filter((a) => a !== 'drill-policy'))
    decision(by, 'approve', 'approve', run.kind === 'plan' ? 'plan' : 'approve', at(run.startedAt, 60));
  if (run.operator) decision(run.operator.by, run.operator.action, 'intervene', run.operator.step, at(run.startedAt, 180));
  return {
    runId: `${run.kind === 'plan' ? 'plan/' : ''}${run.id}/${run.target}`,
    namespace: run.recorded.namespace,
    temporalRunId: run.temporalRunId,
    inputDigest: `sha256:${'1'.repeat(64)}`,
    workflowType: run.kind === 'plan' ? 'recoveryPlan' : run.id,
    requestedBy: run.requestedBy,
    statusFrom: 'result',
    state: run.state,
    rosters: [],
    decisions,
    problems: [],
    ok: true,
  };
}

/** A plan run's report: its one decision, each member's row, and the forecast set beside what the plan took. */
function planReport(run: SimulatedRun): PlanReport {
  const t0 = Date.parse(run.startedAt);
  const spanMs = Date.parse(run.finishedAt) - t0;
  const decidedAt = at(run.startedAt, 120);
  const members = run.members ?? [];
  const measurements = {
    ...(run.rtoSeconds !== undefined ? { rtoSeconds: run.rtoSeconds } : {}),
    ...(run.rpoSeconds !== undefined ? { rpoSeconds: run.rpoSeconds } : {}),
  };
  const median = Math.round((run.objectives.rtoSeconds ?? 2700) * 0.6);
  const actual = run.rtoSeconds;
  return {
    kind: 'plan',
    plan: run.id,
    runId: `plan/${run.id}/${run.target}`,
    title: run.title,
    target: run.target,
    state: run.state,
    ...(run.drill ? { drill: run.drill } : {}),
    requestedBy: run.requestedBy,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    spanMs,
    durationSeconds: spanMs / 1000,
    measurements,
    objectives: objectivesFromDetection({ objectives: run.objectives, measurements }),
    decision: {
      gate: 'plan',
      status: 'approved',
      openedAt: at(run.startedAt, 5),
      decidedAt,
      quorum: run.approvers.length,
      signers: run.approvers.map((by, i) => ({ by, decision: 'approve', at: at(run.startedAt, 60 + i * 10), responseSeconds: 55 + i * 10 })),
    },
    members: members.map((m, i) => ({
      member: m.member,
      runbook: m.runbook,
      runId: m.runId,
      target: m.target,
      after: i === 0 ? [] : [members[i - 1]!.member],
      state: 'succeeded',
      startMs: 120_000 + i * 60_000,
      endMs: 120_000 + (i + 1) * 60_000,
      ...(m.rtoSeconds !== undefined ? { rtoSeconds: m.rtoSeconds } : {}),
      onCriticalPath: true,
      bars: [{ kind: 'work', startMs: 120_000 + i * 60_000, endMs: 120_000 + (i + 1) * 60_000, label: 'work' }],
      totals: { workSeconds: 60, gateWaitSeconds: 0, operatorWaitSeconds: 0 },
      gates: [],
    })),
    criticalPath: members.map((m) => m.member),
    skipped: [],
    notStarted: [],
    openGates: [],
    interventions: [],
    forecast: {
      summary: `forecast ${median} s (median of the members' drills) against the objective ${run.objectives.rtoSeconds ?? 0} s`,
      objectiveSeconds: run.objectives.rtoSeconds ?? 0,
      medianSeconds: median,
      minSeconds: Math.round(median * 0.8),
      maxSeconds: Math.round(median * 1.4),
      criticalPath: members.map((m) => m.member),
      ...(actual !== undefined
        ? { actualSeconds: actual, actualAfterDecisionSeconds: actual - 120, errorSeconds: actual - 120 - median, withinRange: actual - 120 <= median * 1.4 }
        : {}),
    },
  };
}
