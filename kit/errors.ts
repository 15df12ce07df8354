import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/** Failure types the kit and the activities use, so callers can tell them apart without parsing text. */
export const ErrorType = {
  InvalidInput: 'InvalidInput',
  RosterInvalid: 'RosterInvalid',
  DecisionRefused: 'DecisionRefused',
  NotReachable: 'NotReachable',
  Precondition: 'Precondition',
  /** The run's target does not exist (no such service): no operator can fix that, so the run fails at once. */
  UnknownTarget: 'UnknownTarget',
  /** An activity scheduled by a run that Temporal has since reset: it acts only after a fresh decision. */
  ResetRefused: 'ResetRefused',
} as const;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

/** Thrown inside a run to unwind to the kit, which then runs the registered undos. */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';
  constructor(
    readonly reason: string,
    readonly actor: string,
  ) {
    super(reason);
  }
}

/**
 * A decision the run refuses. Thrown from validators and handlers; an update caller sees the message, a signal
 * leaves an audit line under the name it claimed.
 */
export class DecisionRefusal extends ApplicationFailure {
  constructor(
    message: string,
    readonly claimed: string,
  ) {
    super(message, ErrorType.DecisionRefused, true);
  }
}

/** The message an operator needs, from the innermost cause of an activity failure. */
export function describeError(err: unknown): string {
  let current: unknown = err;
  while (current instanceof ActivityFailure && current.cause) current = current.cause;
  if (current instanceof Error) return current.message || current.name;
  return String(current);
}
