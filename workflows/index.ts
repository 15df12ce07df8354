/** The workflow bundle's entry: every runbook workflow the worker serves, and the drill launcher. */
export { pagingCheck } from './paging-check';
export { scheduledDrill } from './scheduled-drill';
