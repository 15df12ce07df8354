import { checkRosterSeal, type TrustRoot } from '../roster-seal';
import type { EvidenceManifest } from './manifest';

/**
 * Anchors a bundle's roster to the trust root. A seal proves only that someone the bundle's own roster lists signed
 * it; a forger can write a whole bundle with a roster of their own. The roster admins' seal of that roster, stored in
 * the bundle as `roster.seal.json` (a copy of the roster's `.sig.json`), ties it to the admins the workers trust.
 */

/** The copy of the roster's seal (`roster.json.sig.json`) a bundle keeps next to `roster.json`. */
export const ROSTER_SEAL_FILE = 'roster.seal.json';

/** Why the bundle's roster is not one the trust root's admins sealed, or undefined when a quorum of them did. Never throws. */
export function rosterAnchorProblem(manifest: EvidenceManifest, rosterSealBytes: Uint8Array | undefined, trustRoot: TrustRoot): string | undefined {
  let seal: unknown;
  if (rosterSealBytes !== undefined) {
    try {
      seal = JSON.parse(new TextDecoder().decode(rosterSealBytes));
    } catch {
      return `${ROSTER_SEAL_FILE} is not JSON`;
    }
  }
  const check = checkRosterSeal(manifest.rosterDigest, seal, trustRoot);
  if (check.met) return undefined;
  const missing = rosterSealBytes === undefined ? `it holds no ${ROSTER_SEAL_FILE}, so ` : '';
  const signers = check.signedBy.map((s) => s.id).join(', ') || 'none';
  const ignored = check.refused.length > 0 ? ` (not counted: ${check.refused.join('; ')})` : '';
  return `${missing}the roster ${manifest.rosterDigest} is sealed by ${check.signedBy.length} of the ${check.quorum} roster admins the trust root needs (${signers})${ignored}: its people cannot vouch for the seal`;
}
