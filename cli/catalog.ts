import { runbooks } from '../runbooks';
import type { RunbookDefinition } from '../kit';
import { usageError } from './errors';

/** Looks a runbook up by id, or says which ids exist. */
export function findRunbook(id: string | undefined): RunbookDefinition {
  if (!id) throw usageError('name a runbook', `one of: ${Object.keys(runbooks).join(', ')}`);
  const runbook = runbooks[id];
  if (!runbook) throw usageError(`unknown runbook "${id}"`, `one of: ${Object.keys(runbooks).join(', ')} (see lifeboat runbooks)`);
  return runbook;
}
