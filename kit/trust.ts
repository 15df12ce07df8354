/**
 * The kit's second door, for the CLI, lib, activities and the console: who may decide and how that is proven (the
 * roster, signed statements and their verification, passkeys, SSH and WebAuthn signatures, the proof of a run's
 * start), and the views they draw from a definition (plan, readiness, objectives, search attributes). Runbooks use
 * the first door, `kit/index.ts`.
 */

// Who may decide: the roster.
export { RESERVED_ACTORS, Roster, normaliseId, resolveApprovers, rosterDigest } from './roster';
export { approvalsOf, describeApprovers } from './gate-policy';
export { operatorsFor } from './authority';

// Signed decisions: what a statement says, and how a run checks one.
export {
  CLOCK_SKEW_MS,
  DecisionKind,
  MAX_SCHEDULE_AUTHORISATION_MS,
  SIGNATURE_NAMESPACE,
  SignedDecision,
  Statement,
  canonicalJson,
  digestOf,
  statementText,
} from './decisions/statement';
export { proofOf, verifySignedDecision } from './decisions/verify';
export type { Verdict, VerifiedDecision, VerifyContext } from './decisions/verify';
export { verifyScheduledDrillStart } from './start-trust';
export { SCHEDULED_BY_RUN_HEADER } from './lifecycle-interceptors';

// Passkeys and signatures: SSH keys and signatures, WebAuthn assertions, and the wire format they share.
export { Passkey, PasskeyEnrolment, PasskeyRequest, enrolmentText, possessionText } from './passkeys';
export { encodeBase64Url, encodeWebAuthnSignature, passkeyFingerprint } from './signatures/webauthn';
export type { PasskeyAlgorithm } from './signatures/webauthn';
export { parsePublicKey, parsePublicKeyLine, sameKey } from './signatures/ssh-public-key';
export { sshsigSignedData, verifySshSignature } from './signatures/sshsig';
export { signSshSignatureEd25519 } from './signatures/sshsig-sign';
export type { Ed25519 } from './signatures/sshsig-sign';
export { SshFormatError, SshReader, concat, equalBytes, sshString, uint32 } from './signatures/ssh-wire';
export { decodeBase64, encodeBase64 } from './signatures/base64';

// The contract between the kit and the worker's activities.
export type {
  ChannelFailure,
  ClaimStartRequest,
  ClaimStartResult,
  NotifyReceipt,
  RunFacts,
  RunLookupActivities,
  ScheduledStartCheck,
} from './activity-contracts';

// Views of a definition and of runs: the plan, readiness, objectives and the search attributes runs are listed by.
export { drillProcedureOf, entriesOf, scenarioTags } from './definition';
export type { ReadinessCheckSpec, ScenarioTag } from './definition';
export { retiredInputs } from './runbook-run';
export { drillsOf, planOf } from './plan';
export { criticalPath, planLayers, rtoForecast } from './recovery-plan-graph';
export { checkPlanApproval, MAX_PLAN_APPROVALS, planMemberFor } from './plan-approval';
export type { PlanApprovalVerdict, PlanRunFacts, PlanSigner } from './plan-approval';
export { meetsPolicy, unmetRequirementsOf } from './gate-policy';
export type { CriticalPath, DurationRange, OverObjective, PathForecast, RtoForecast } from './recovery-plan-graph';
export type { PlanEntry } from './plan';
export { retryPolicyOf } from './retry';
export { readinessOf, readinessScheduleId, readinessSummary, readinessTargetOf, transitionOf } from './readiness';
export type { ReadinessCheckResult, ReadinessEvaluation } from './readiness';
export { recordReadiness } from './metrics';
export { checkObjectives, drillProblems } from './objectives';
export type { ObjectiveCheck } from './objectives';
export { lifeboatSearchAttributes, requestedByAttribute, runSearchAttributes, runbookAttribute, stateAttribute, targetAttribute } from './search-attributes';

// The orchestrator's own failover: a signed decision of sre-leads, checked on the cluster being activated.
export {
  FailoverRequest,
  ORCHESTRATOR_FAILOVER_TYPE,
  ORCHESTRATOR_NAMESPACE,
  OrchestratorFailoverInput,
  checkOrchestratorFailover,
  orchestratorFailoverAuthority,
  orchestratorFailoverWorkflowId,
} from './orchestrator-failover';
export type { FailoverVerdict, OrchestratorFailoverOutcome } from './orchestrator-failover';
