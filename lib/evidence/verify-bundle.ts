import type { TrustRoot } from '../roster-seal';
import type { EvidenceFinding } from './findings';
import { bundleKey } from './layout';
import { MANIFEST_FILE, readManifest, ROSTER_FILE, SEAL_FILE, sha256Of, type EvidenceManifest } from './manifest';
import { ROSTER_SEAL_FILE, rosterAnchorProblem } from './roster-anchor';
import { sealProblem } from './seal';
import type { StoredBundle } from './store';

/** One bundle as checked on its own: its manifest when readable, its digest (of the manifest's bytes), what is wrong. */
export interface CheckedBundle {
  key: string;
  runId: string;
  finishedAt: string;
  manifest: EvidenceManifest | undefined;
  /** The SHA-256 of `manifest.json` as stored: what the next bundle must name as `previous`. Undefined without a manifest. */
  digest: string | undefined;
  findings: EvidenceFinding[];
}

/**
 * Checks one bundle against itself: its manifest reads and is the one its key says, every file it lists is there with
 * the SHA-256 it lists, it holds nothing unlisted, and its seal is the archive signer's. Given the trust root, its
 * roster must also be one the roster admins sealed. Pure: no store, no clock.
 */
export function checkBundle(stored: StoredBundle, trustRoot?: TrustRoot): CheckedBundle {
  const { key, runId, finishedAt } = stored.address;
  const findings: EvidenceFinding[] = [];
  const found = (finding: Omit<EvidenceFinding, 'key' | 'runId'>) => findings.push({ key, runId, ...finding });
  const manifestBytes = stored.files[MANIFEST_FILE];
  const checked: CheckedBundle = { key, runId, finishedAt, manifest: undefined, digest: undefined, findings };
  if (!manifestBytes) {
    found({ check: 'manifest', file: MANIFEST_FILE, message: `${key} has no ${MANIFEST_FILE}: nothing in it can be trusted` });
    return checked;
  }
  checked.digest = sha256Of(manifestBytes);
  const read = readManifest(manifestBytes);
  if (!read.ok) {
    found({ check: 'manifest', file: MANIFEST_FILE, message: `${key}: ${read.problem}` });
    return checked;
  }
  const manifest = read.manifest;
  checked.manifest = manifest;
  const expectedKey = bundleKey(manifest);
  if (expectedKey !== key)
    found({
      check: 'manifest',
      file: MANIFEST_FILE,
      expected: expectedKey,
      found: key,
      message: `${key} holds the manifest of ${expectedKey} (moved or renamed)`,
    });

  for (const [name, expected] of Object.entries(manifest.files)) {
    const bytes = stored.files[name];
    if (!bytes) {
      found({ check: 'file', file: name, expected, message: `${key}: ${name} is missing (the manifest lists it as ${expected})` });
      continue;
    }
    const actual = sha256Of(bytes);
    if (actual !== expected)
      found({
        check: 'file',
        file: name,
        expected,
        found: actual,
        message: `${key}: ${name} was changed: the manifest says ${expected}, the file is ${actual}`,
      });
  }
  for (const name of Object.keys(stored.files))
    if (name !== MANIFEST_FILE && name !== SEAL_FILE && !Object.hasOwn(manifest.files, name))
      found({ check: 'file', file: name, message: `${key}: ${name} is not in the manifest (added after sealing)` });

  const seal = stored.files[SEAL_FILE];
  const problem = seal
    ? sealProblem(manifest, manifestBytes, new TextDecoder().decode(seal), stored.files[ROSTER_FILE])
    : `there is no ${SEAL_FILE}, so nobody vouches for the manifest`;
  if (problem) found({ check: 'seal', file: SEAL_FILE, message: `${key}: ${problem}` });
  const unanchored = trustRoot ? rosterAnchorProblem(manifest, stored.files[ROSTER_SEAL_FILE], trustRoot) : undefined;
  if (unanchored) found({ check: 'roster', file: ROSTER_SEAL_FILE, message: `${key}: ${unanchored}` });
  return checked;
}
