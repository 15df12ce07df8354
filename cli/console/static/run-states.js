// @ts-check
// The states a run is shown in, as `lifeboat list` and the LifeboatState search attribute name them.

/**
 * States in which a run takes no more decisions: its own final ones, and the ones Temporal ended it in (terminate,
 * timeout, cancel) without the run saying so.
 */
export const finishedStates = ['succeeded', 'failed', 'aborted', 'terminated', 'timed-out', 'canceled'];

/** Every state, in the order the runs list offers them as a filter. */
export const states = ['running', 'waiting-approval', 'needs-intervention', 'compensating', ...finishedStates];
