/**
 * The kit's first door, for writing runbooks and recovery plans: defining one (its steps, gates, drills and
 * objectives), running it (`runRunbook` and the `RunbookRun` a procedure gets), and what a run says (its status,
 * results and messages).
 *
 * The second door, `kit/trust.ts`, is for the CLI, lib, activities and the console: who may decide and how that is
 * proven, and the views they draw from a definition. Import from one of the two, never from a file inside the kit
 * (ESLint refuses it). Everything in the kit may enter the workflow bundle: no Node built-ins anywhere in it.
 */

// Defining a runbook.
export { defineRunbook, gate, runIdFor, step } from './definition';
export type {
  ApprovalPolicy,
  GroupRequirement,
  DelegationRule,
  DrillKind,
  GateSpec,
  Objectives,
  ProcedureEntry,
  RunbookDefinition,
  StepRetry,
  StepSpec,
} from './definition';
export type { Capability } from '../providers/contracts/capabilities';
export { drillCheck } from './readiness';

// Defining a recovery plan: runbooks across services, in dependency order, under one decision.
export { definePlan } from './recovery-plan';
export type { RecoveryPlanDefinition, RecoveryPlanMember } from './recovery-plan';
export { planRunbookOf, runPlanMembers } from './recovery-plan-run';
export type { PlanMemberState, PlanMemberView } from './recovery-plan-run';
export { PLAN_GATE, RECOVERY_PLAN_TYPE, planIdOf, planRunbookId } from './plan-names';

// Running one: the frame every runbook workflow runs in, the run it hands the procedure, and the activities it has.
export { RunRequest, SAFE_TARGET, parseInput, runRunbook } from './runbook-run';
export type { RunbookRun } from './runbook-run-api';
export type { UndoContext } from './steps';
export type { KitActivities, Notification } from './activity-contracts';
export { DecisionRefusal, ErrorType, RunAborted, describeError } from './errors';
export { secondsBetween } from './objectives';

// What a run says, and the messages it takes.
export { approveSignal, approveUpdate, interveneUpdate, rejectUpdate, statusQuery } from './messages';
export { terminalStates } from './status';
export type { DrillMode, GateRecord, InterventionAction, RunResult, RunState, RunStatus, StepRecord } from './status';
