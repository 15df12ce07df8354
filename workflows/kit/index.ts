/**
 * The kit's one public surface: what runbooks, runbook workflows, the CLI, activities and tests use. Everything here
 * may enter the workflow bundle (no Node built-ins anywhere in the kit), so the CLI and the worker import the same
 * entry as workflow code. Import from here, never from a file inside the kit; ESLint refuses deep imports.
 */

// Defining a runbook: its procedure, gates, drills and objectives.
export { defineRunbook, drillProcedureOf, entriesOf, gate, runIdFor, step } from './definition';
export type {
  ApprovalPolicy,
  Capability,
  DelegationRule,
  DrillKind,
  DrillProcedure,
  DrillProcedures,
  GateSpec,
  Objectives,
  OperatorAction,
  OperatorAuthority,
  ProcedureEntry,
  ReadinessCheckSpec,
  ReadinessProbe,
  RefusedDrill,
  RunbookDefinition,
  StepRetry,
  StepSpec,
} from './definition';
export {
  approversCheck,
  defaultDrillWindowDays,
  drillCheck,
  readinessOf,
  readinessScheduleId,
  readinessSummary,
  readinessTargetOf,
  transitionOf,
} from './readiness';
export type { ReadinessCheckResult, ReadinessEvaluation } from './readiness';
export { recordReadiness } from './metrics';

// Running one: the frame every runbook workflow runs in, and the run it hands the procedure.
export { inputSchemaOf, parseInput, retiredInputs, RunRequest, runRunbook, SAFE_TARGET } from './runbook-run';
export { SCHEDULED_DRILL_TYPE, verifyScheduledDrillStart } from './start-trust';
export { SCHEDULED_BY_RUN_HEADER } from './lifecycle-interceptors';
export type { ReadOnly, RunbookRun } from './runbook-run-api';
export type { StepOptions, StepResult, UndoContext } from './steps';
export type { Notice } from './notices';
export type { RunTrust } from './run-trust';
export type {
  ChannelFailure,
  ClaimStartRequest,
  ClaimStartResult,
  KitActivities,
  Notification,
  NotificationKind,
  NotifyReceipt,
  RunFacts,
  ScheduledStartCheck,
} from './activity-contracts';
export { DecisionRefusal, describeError, ErrorType, RunAborted } from './errors';
export * from './messages';
export * from './search-attributes';

// What a run shows: status, the plan, objectives and gates.
export { terminalStates } from './status';
export type * from './status';
export { drillsOf, planOf, type DrillSummary, type PlanEntry } from './plan';
export { checkObjectives, drillProblems, type ObjectiveCheck, secondsBetween } from './objectives';
export { approvalsOf, describeApprovers } from './gate-policy';
export { retryPolicyOf } from './retry';

// Who may decide: the roster, and signed decisions.
export { normaliseId, personOf, RESERVED_ACTORS, resolveApprovers, Roster, rosterDigest, type ApproverSelector, type RosterPerson } from './roster';
export {
  canonicalJson,
  CLOCK_SKEW_MS,
  DecisionKind,
  digestOf,
  MAX_SCHEDULE_AUTHORISATION_MS,
  MAX_STATEMENT_LIFETIME_MS,
  SIGNATURE_NAMESPACE,
  SignedDecision,
  Statement,
  statementText,
} from './decisions/statement';
export { proofOf, verifySignedDecision, type RunIdentity, type Verdict, type VerifiedDecision, type VerifyContext } from './decisions/verify';
export { enrolmentText, Passkey, passkeyFingerprint, PasskeyEnrolment, PasskeyRequest, possessionText, ROSTER_ADMINS_GROUP } from './passkeys';

// Signatures: SSH keys and signatures, WebAuthn assertions, and the SSH wire format they share.
export * from './signatures';
export { sshsigSignedData } from './signatures/sshsig';
export { concat, equalBytes, SshFormatError, SshReader, sshString, uint32 } from './signatures/ssh-wire';
export { decodeBase64Url, encodeBase64Url, encodeWebAuthnSignature, type PasskeyAlgorithm } from './signatures/webauthn';
