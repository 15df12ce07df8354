/** The workflow bundle's entry: every runbook workflow the worker serves. */
export { pagingCheck } from './paging-check';
