import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make runs listable; the dev command and the worker register them. */
export const runbookAttribute = defineSearchAttributeKey('LifeboatRunbook', SearchAttributeType.KEYWORD);
export const targetAttribute = defineSearchAttributeKey('LifeboatTarget', SearchAttributeType.KEYWORD);
export const stateAttribute = defineSearchAttributeKey('LifeboatState', SearchAttributeType.KEYWORD);
export const requestedByAttribute = defineSearchAttributeKey('LifeboatRequestedBy', SearchAttributeType.KEYWORD);
/** `isolated` or `live` on drill runs; absent on real ones. */
export const drillAttribute = defineSearchAttributeKey('LifeboatDrill', SearchAttributeType.KEYWORD);

export const lifeboatSearchAttributes = [runbookAttribute, targetAttribute, stateAttribute, requestedByAttribute, drillAttribute];

/** What a run is listed by (`lifeboat list`, Temporal's Web UI); a field left out is not set. */
export interface RunListing {
  runbook?: string;
  target?: string;
  state?: string;
  requestedBy?: string;
  /** The drill's kind (`isolated`, `live`); absent on real runs. */
  drill?: string | undefined;
}

/**
 * A run's search attributes, built in this one place for every start (the CLI, a plan's child run, a scheduled drill)
 * and for the run's own updates, so that each attribute carries the same value whoever sets it.
 */
export function runSearchAttributes(listing: RunListing): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  if (listing.runbook !== undefined) pairs.push({ key: runbookAttribute, value: listing.runbook });
  if (listing.target !== undefined) pairs.push({ key: targetAttribute, value: listing.target });
  if (listing.state !== undefined) pairs.push({ key: stateAttribute, value: listing.state });
  if (listing.requestedBy !== undefined) pairs.push({ key: requestedByAttribute, value: listing.requestedBy });
  if (listing.drill !== undefined) pairs.push({ key: drillAttribute, value: listing.drill });
  return pairs;
}
