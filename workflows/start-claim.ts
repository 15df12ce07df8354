/**
 * A signed start's claim (activities/run-lookup.ts `claimStart`): a run of this type under the ID
 * `lifeboat-start-claim/<nonce>` records which run used that start. Temporal never reuses the ID, so a second run with
 * the same start finds the claim taken. It does nothing and ends at once; anyone may start one, which only uses up a
 * nonce nobody holds a statement for.
 */
export async function lifeboatStartClaim(): Promise<void> {
  return;
}
