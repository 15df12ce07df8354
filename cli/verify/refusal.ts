import { ErrorType } from '../../kit';

/** The kit's error types for a run that refused to go on because something it was given did not verify. */
const REFUSALS: ReadonlySet<string> = new Set([ErrorType.DecisionRefused, ErrorType.ResetRefused, ErrorType.RosterInvalid]);

/**
 * A run whose own code refused to go on (its start did not verify, Temporal reset it with no fresh approval, its
 * roster is not sealed) did nothing more, but it is not an authorised run either: verify says so rather than OK.
 */
export function checkRefusal(failure: { message: string; type?: string } | undefined): string[] {
  if (!failure || !((failure.type !== undefined && REFUSALS.has(failure.type)) || /start refused/i.test(failure.message))) return [];
  return [`the run refused to go on${failure.type ? ` (${failure.type})` : ''}: ${failure.message.slice(0, 400)}`];
}
