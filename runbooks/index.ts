import type { RunbookDefinition } from '../workflows/kit/definition';
import { pagingCheck } from './paging-check';

/** Every runbook Lifeboat ships, by id. */
export const runbooks: Record<string, RunbookDefinition> = {
  [pagingCheck.id]: pagingCheck,
};

export { pagingCheck };
