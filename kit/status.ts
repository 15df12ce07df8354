import type { ApprovalPolicy, Objectives } from './definition';

/** How a drill runs: on a throwaway copy (`isolated`) or for real (`live`), and who approves its gates. */
export interface DrillMode {
  kind: 'isolated' | 'live';
  /** `people`: real approvers vote, which rehearses them too; `policy`: gates approve themselves, audited. */
  approvals: 'people' | 'policy';
}

/** What a run measured against its objectives; runbooks fill in what applies to them. */
export interface Measurements {
  /** From the run's start to verified recovery. */
  rtoSeconds?: number;
  /** From the detection time given in the input to verified recovery. */
  rtoFromDetectionSeconds?: number;
  /** Data lost, as time. */
  rpoSeconds?: number;
  /** Data lost, as acknowledged writes missing afterwards. */
  rpoWrites?: number;
  /** Data lost, as WAL bytes not replayed. */
  rpoBytes?: number;
}

/** Where a run is; the same word is in status, `lifeboat list` and the LifeboatState search attribute. */
export type RunState = 'running' | 'waiting-approval' | 'needs-intervention' | 'compensating' | 'succeeded' | 'failed' | 'aborted';

export const terminalStates: readonly RunState[] = ['succeeded', 'failed', 'aborted'];

export type StepStatus = 'running' | 'retrying' | 'needs-intervention' | 'succeeded' | 'failed' | 'skipped';

/** One step as it ran: timings, attempts and outcome. Undo steps are recorded the same way. */
export interface StepRecord {
  name: string;
  title: string;
  /** `undo` for a compensation of an earlier step. */
  kind: 'step' | 'undo';
  status: StepStatus;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  attempts: number;
  lastError?: string;
}

/** What proves a decision was its signer's: the key that signed it and the statement's single-use nonce. */
export interface DecisionProof {
  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  fingerprint: string;
  keyType: string;
  nonce: string;
}

export interface Vote {
  by: string;
  decision: 'approve' | 'reject';
  at: string;
  comment?: string;
  /** Present when the vote was a signed decision the workflow verified. */
  verified?: DecisionProof;
}

/** `closed`: the run was aborted while the gate was open, so nobody decides it any more. */
export type GateStatus = 'open' | 'approved' | 'rejected' | 'expired' | 'closed';

/** A gate as approvers see it: who may vote, the votes so far and when it expires. */
export interface GateRecord {
  name: string;
  title: string;
  status: GateStatus;
  openedAt: string;
  decidedAt?: string;
  quorum: number;
  approvers: ApprovalPolicy['approvers'];
  /** People the roster allowed when the gate opened, the requester already removed. */
  eligible: string[];
  votes: Vote[];
  escalations: number;
  expiresAt: string;
  onExpiry: ApprovalPolicy['onExpiry'];
  /** Groups some approvers must come from, each with the people of that group the gate accepts. */
  requires?: { group: string; atLeast: number; eligible: string[] }[];
  /**
   * Set when a recovery plan's approval stood for this gate: the plan's run (its workflow ID and Temporal's first run
   * ID) whose signed approvals the run checked itself. The votes are the plan's signers.
   */
  delegatedFrom?: { plan: string; workflowId: string; runId: string };
}

export type InterventionAction = 'retry' | 'skip' | 'abort';

/** Why the run is waiting for an operator and what they may choose. */
export interface PendingIntervention {
  step: string;
  error: string;
  since: string;
  options: InterventionAction[];
}

/** One line of the audit trail: who did what, when, and why. */
export interface AuditEntry {
  at: string;
  actor: string;
  action: string;
  detail?: string;
  comment?: string;
  /** The verified signature behind a person's decision. */
  verified?: DecisionProof;
}

export interface NotificationFailure {
  kind: string;
  at: string;
  error: string;
  /** No channel delivered it. */
  undelivered: boolean;
}

/** Decisions the run refused: counted, with the latest, so a flood of forged messages cannot grow the status. */
export interface RefusalSummary {
  count: number;
  lastAt: string;
  lastBy: string;
  lastReason: string;
}

/** What ties a run's decisions to people: who the run is, as a signer names it, and which roster decided. */
export interface RunTrustStatus {
  namespace: string;
  /** Temporal's run ID that statements name (the first run of the chain). */
  temporalRunId: string;
  inputDigest: string;
  /** The digest of the roster the run checks decisions against now. */
  rosterDigest: string;
  /** The requester's verified start, or how it was delegated (a parent run, a drill schedule). */
  start: { verified?: DecisionProof; delegatedBy?: string; schedule?: string; planMember?: string };
  /** The plan run whose signed approval this run's delegable gates take, and its signers (see GateRecord.delegatedFrom). */
  planApproval?: { plan: string; workflowId: string; runId: string; member: string; signers: string[] };
}

export interface CompensationRecord {
  step: string;
  status: 'succeeded' | 'failed';
  error?: string;
}

/** Everything `lifeboat status` shows; returned by the status query and, finished, as the run's result. */
export interface RunStatus {
  runId: string;
  runbook: string;
  title: string;
  target: string;
  state: RunState;
  requestedBy: string;
  /** Set when the run is a drill; drills are marked as such everywhere. */
  drill?: DrillMode;
  objectives?: Objectives;
  measurements?: Measurements;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  currentStep?: string;
  steps: StepRecord[];
  gates: GateRecord[];
  intervention?: PendingIntervention;
  abortRequested?: { by: string; reason?: string; at: string };
  compensation: CompensationRecord[];
  /**
   * Set once a step makes the run irreversible (a promoted standby cannot be un-promoted): from then
   * on an abort runs no undos, and the way back is the runbook named here.
   */
  pointOfNoReturn?: { step: string; at: string; undoInstead: string };
  /**
   * Set when Temporal reset the run (`temporal workflow reset`): when the run noticed, the steps that had already run,
   * and the votes that stopped counting. A reset run counts no decision made before the reset.
   */
  reset?: {
    at: string;
    stepsRun: string[];
    votesVoided: number;
    next: string;
    /** Added by the CLI from the history: who asked for the reset, as Temporal recorded it (unverified), and why. */
    by?: string;
    reason?: string;
  };
  /** What the runbook publishes as it goes (blast radius, wave progress, lag): shown by `lifeboat status`. */
  details: Record<string, unknown>;
  /** Why the run ended where it did, in a sentence. */
  outcome?: string;
  audit: AuditEntry[];
  /** What the run's decisions must name and be checked against; absent only on a run refused at start. */
  trust?: RunTrustStatus;
  /** Decisions refused so far; the first few are also in the audit trail. */
  refused?: RefusalSummary;
  /** Notifications that failed: `lastFailure` is the latest that reached nobody, `last` the latest problem of any kind. */
  notifications?: { failures: number; last: NotificationFailure; lastFailure?: NotificationFailure };
  /** How close the run is to Temporal's history limits, with a warning once it nears them. */
  history?: { events: number; bytes: number; warning?: string };
  /** Audit entries dropped from the front of the trail to keep the status small; the history still holds them. */
  auditDropped?: number;
  /** How many times the run carried itself over to a new run (continue-as-new) as its history neared the limits. */
  carriedOver?: number;
}

/** What a finished run returns: its final status plus the runbook's own output. */
export interface RunResult<Output = unknown> extends RunStatus {
  output?: Output;
}
