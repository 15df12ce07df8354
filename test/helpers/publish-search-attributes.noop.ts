import type { SearchAttributeUpdatePair } from '@temporalio/common';

/** Stands in for the kit's publisher in bundles run on the time-skipping server, which has no custom search attributes. */
export function publishSearchAttributes(_pairs: SearchAttributeUpdatePair[]): void {}
