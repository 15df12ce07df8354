import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';

/**
 * Sets the run's search attributes. A module of its own so that a test bundle for a server without
 * custom search attributes (the Java time-skipping server has no operator service) can swap it out.
 */
export function publishSearchAttributes(pairs: SearchAttributeUpdatePair[]): void {
  upsertSearchAttributes(pairs);
}
