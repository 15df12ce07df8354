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
