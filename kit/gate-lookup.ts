/*
 * The roster lookup a gate makes when it opens, as a step of the run. The gates name it, and the steps and the reset
 * watch recognise it: it only reads, and it is part of asking people again after a reset, so it runs when other steps
 * may not. Its own file, so the steps and the reset watch need nothing of the gates' to tell it apart.
 */

/** The name of the roster lookup a gate makes when it opens is the gate's name and this. */
const GATE_LOOKUP_SUFFIX = ':approvers';

/** The name of the roster lookup step of the gate named `gateName`. */
export function gateLookupName(gateName: string): string {
  return `${gateName}${GATE_LOOKUP_SUFFIX}`;
}

/** The roster lookup a gate makes when it opens: read-only, and part of asking people again after a reset. */
export function isGateLookup(step: { name: string }): boolean {
  return step.name.endsWith(GATE_LOOKUP_SUFFIX);
}
