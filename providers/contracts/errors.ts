import { ApplicationFailure } from '@temporalio/common';

/**
 * How a provider says what went wrong. A provider throws a plain `Error` for a failure a retry may cure (the system
 * did not answer, a timeout, a 5xx); it throws one of these, non-retryable, when retrying would get the same answer.
 * Runbooks branch on the type: `UnknownTarget` ends a run at once, `Precondition` asks an operator.
 */
export const ProviderErrorType = {
  /** The system did not answer; retryable (thrown as a plain error, the type is for messages and probes). */
  NotReachable: 'NotReachable',
  /** The system answered, but is not in a state where the action makes sense (e.g. promoting a primary's peer that is not a standby). */
  Precondition: 'Precondition',
  /** The request itself is wrong (an unknown region, a bad setting in the targets file). */
  InvalidInput: 'InvalidInput',
  /** The system refused the action (HAProxy answered with an error, a 409 from an API). */
  Refused: 'Refused',
  Timeout: 'Timeout',
  /** The targets file has no such service, region or capability: no operator action inside the run can fix it. */
  UnknownTarget: 'UnknownTarget',
} as const;
export type ProviderErrorType = (typeof ProviderErrorType)[keyof typeof ProviderErrorType];

/** A failure a retry will not cure, typed so the runbook can tell why. */
export function providerFailure(type: Exclude<ProviderErrorType, 'NotReachable'>, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, type, ...(details === undefined ? [] : [details]));
}
