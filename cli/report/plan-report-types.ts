import type { GateRecord, PlanMemberState, RunStatus } from '../../kit';
import type { ShownState, ShownStatus } from '../run-outcome';
import type { BarKind, InterventionRecord } from './model';
import type { CountedObjectiveCheck } from './path';

/*
 * What a plan run's report holds, apart from how it is built (plan-model.ts) so the files that build its parts (the
 * decision, a member's row) and the files that draw it share these types without importing each other.
 */

type GateStatus = GateRecord['status'];

/** One stretch of a member's row: its work, or a wait for people (approvers, an operator), never both. */
export interface PlanBar {
  kind: BarKind;
  /** Milliseconds from the plan run's start. */
  startMs: number;
  endMs: number;
  /** What the stretch was: `work`, `gate approve`, `operator: checkin`. */
  label: string;
}

/** One of a member's gates as its own run recorded it: taken by the plan's approval, or waiting for its own people. */
export interface PlanMemberGate {
  name: string;
  title: string;
  status: GateStatus;
  /** The plan's approval stood for it (the member checked it itself). */
  delegated: boolean;
  openedAt: string;
  decidedAt?: string;
}

/** A member's row: where it is, what it measured, and its time split into work and waits for people. */
export interface PlanMemberRow {
  member: string;
  runbook: string;
  /** The member's own run, e.g. `region-failover/booking`. */
  runId: string;
  target: string;
  after: string[];
  state: PlanMemberState;
  /** Milliseconds from the plan's start to the member's first start, and to its end (absent while it runs). */
  startMs?: number;
  endMs?: number;
  rtoSeconds?: number;
  rpoSeconds?: number;
  rpoWrites?: number;
  outcome?: string;
  error?: string;
  /** On the chain of members that decided when the plan ended. */
  onCriticalPath: boolean;
  bars: PlanBar[];
  totals: { workSeconds: number; gateWaitSeconds: number; operatorWaitSeconds: number };
  gates: PlanMemberGate[];
  /** Why the member's own status is missing here (its waits are then unknown and its whole span counts as work). */
  statusNote?: string;
}

/** A signature on the plan's one decision. */
export interface PlanSignature {
  by: string;
  decision: 'approve' | 'reject';
  at: string;
  /** From the gate opening to this vote. */
  responseSeconds: number;
  comment?: string;
  keyType?: string;
  /** The key fingerprint the plan's workflow verified; absent for an unsigned (policy or test) vote. */
  fingerprint?: string;
}

/** The plan's one decision: its gate, its policy and who signed it. */
export interface PlanDecision {
  gate: string;
  title?: string;
  status: GateStatus | 'not opened';
  openedAt?: string;
  decidedAt?: string;
  quorum?: number;
  requires?: { group: string; atLeast: number }[];
  waitedSeconds?: number;
  signers: PlanSignature[];
}

/** The forecast made before the decision, set beside what the plan then took. */
export interface ForecastAgainstActual {
  summary: string;
  objectiveSeconds: number;
  /** Absent while any member had no history: the forecast was unknown. */
  medianSeconds?: number;
  minSeconds?: number;
  maxSeconds?: number;
  criticalPath: string[];
  /** The plan's RTO from its start, as measured. */
  actualSeconds?: number;
  /**
   * The same less the wait for the plan's decision: the forecast counts work only, so this is what it forecast.
   * Absent while the plan has not finished.
   */
  actualAfterDecisionSeconds?: number;
  /** actualAfterDecisionSeconds less the median: positive when the plan took longer than forecast. */
  errorSeconds?: number;
  withinRange?: boolean;
}

/** A member's gate that waits for its own people (not delegable), with the page to decide it on. */
export interface OpenMemberGate {
  member: string;
  runId: string;
  gate: string;
  title: string;
  openedAt: string;
}

/** Everything a plan run's report shows, from the plan's status and each member's own: md, html, json and the console agree. */
export interface PlanReport {
  kind: 'plan';
  plan: string;
  runId: string;
  title: string;
  target: string;
  state: ShownState;
  outcome?: string;
  drill?: RunStatus['drill'];
  requestedBy: string;
  startedAt: string;
  finishedAt?: string;
  /** Milliseconds the chart spans, from the plan's start to its end (or its last update while it runs). */
  spanMs: number;
  durationSeconds: number;
  measurements: NonNullable<RunStatus['measurements']>;
  objectives: CountedObjectiveCheck[];
  decision: PlanDecision;
  /** The plan's own wait for its decision, drawn on a row of its own. */
  decisionBar?: PlanBar;
  members: PlanMemberRow[];
  /** The members whose chain decided when the plan ended, in the order they ran. */
  criticalPath: string[];
  skipped: { member: string; by?: string; reason?: string }[];
  notStarted: string[];
  openGates: OpenMemberGate[];
  /** The plan's own waits for an operator (a member that failed: retry, skip or abort). */
  interventions: InterventionRecord[];
  forecast?: ForecastAgainstActual;
}

/** A member's own status, as read by its run ID, or why it could not be read. */
export type MemberStatusRead = { status: ShownStatus } | { note: string };
