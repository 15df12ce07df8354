import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that make runs listable; the dev command and the worker register them. */
export const runbookAttribute = defineSearchAttributeKey('LifeboatRunbook', SearchAttributeType.KEYWORD);
export const targetAttribute = defineSearchAttributeKey('LifeboatTarget', SearchAttributeType.KEYWORD);
export const stateAttribute = defineSearchAttributeKey('LifeboatState', SearchAttributeType.KEYWORD);
export const requestedByAttribute = defineSearchAttributeKey('LifeboatRequestedBy', SearchAttributeType.KEYWORD);
/** `isolated` or `live` on drill runs; absent on real ones. */
export const drillAttribute = defineSearchAttributeKey('LifeboatDrill', SearchAttributeType.KEYWORD);

export const lifeboatSearchAttributes = [runbookAttribute, targetAttribute, stateAttribute, requestedByAttribute, drillAttribute];
