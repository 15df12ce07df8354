export { defineRunbook, gate, runIdFor, step } from './definition';
export type { ApprovalPolicy, GateSpec, Objectives, ProcedureEntry, RunbookDefinition, StepRetry, StepSpec } from './definition';
export { ErrorType, RunAborted } from './errors';
export * from './messages';
export { Run, type StepOptions, type UndoContext } from './run';
export { parseInput, RunRequest, runRunbook } from './runbook-run';
export * from './search-attributes';
export type * from './status';
