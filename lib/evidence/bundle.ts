import { Roster, rosterDigest } from '../../kit/trust';
import { bundleKey } from './layout';
import { EvidenceManifest, MANIFEST_FILE, manifestText, ROSTER_FILE, SEAL_FILE, sha256Of } from './manifest';
import { sealManifest, type ArchiveSigner } from './seal';

/** What a finished run leaves to archive: who it was, and its files (report.html, report.json, verify.json, history.json, roster.json, ...). */
export interface RunEvidence {
  runId: string;
  temporalRunIds: string[];
  kind: 'runbook' | 'plan' | 'findings';
  runbook: string;
  target: string;
  drill: boolean;
  state: string;
  startedAt: string;
  finishedAt: string;
  /**
   * By file name; strings are stored as UTF-8. `roster.json` (the roster the run used) is required, and
   * `roster.seal.json` (its `.sig.json`) is what lets `evidence verify` tie that roster to the workers' trust root.
   */
  files: Record<string, Uint8Array | string>;
  targetsDigest: string | null;
  /** For a plan: its member runs' bundles, by manifest digest. */
  members?: { runId: string; manifestDigest: string }[];
}

/** A sealed bundle: its manifest and every file it stores, `manifest.json` and `manifest.json.sig` included. */
export interface EvidenceBundle {
  key: string;
  manifest: EvidenceManifest;
  files: Record<string, Uint8Array>;
}

/**
 * Makes the sealed bundle of a run: the manifest with each file's SHA-256, the roster's digest and `previous` (the
 * manifest digest of the bundle before it for the same runbook and target, null for the first), signed by the
 * archive signer. Throws when the evidence is not archivable (a bad file name, no roster): a caller's bug.
 */
export async function sealBundle(evidence: RunEvidence, previous: string | null, signer: ArchiveSigner): Promise<EvidenceBundle> {
  const files: Record<string, Uint8Array> = {};
  for (const [name, content] of Object.entries(evidence.files)) files[name] = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const rosterBytes = files[ROSTER_FILE];
  if (!rosterBytes) throw new Error(`a bundle holds the roster the run used as ${ROSTER_FILE}`);
  const roster = Roster.parse(JSON.parse(new TextDecoder().decode(rosterBytes)));
  const manifest = EvidenceManifest.parse({
    lifeboat: 'evidence/v1',
    runId: evidence.runId,
    temporalRunIds: evidence.temporalRunIds,
    kind: evidence.kind,
    runbook: evidence.runbook,
    target: evidence.target,
    drill: evidence.drill,
    state: evidence.state,
    startedAt: evidence.startedAt,
    finishedAt: evidence.finishedAt,
    files: Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, sha256Of(bytes)])),
    rosterDigest: rosterDigest(roster),
    targetsDigest: evidence.targetsDigest,
    ...(evidence.members ? { members: evidence.members } : {}),
    previous,
    sealedBy: signer.id,
  });
  const text = manifestText(manifest);
  const seal = await sealManifest(text, signer);
  const encoder = new TextEncoder();
  return { key: bundleKey(manifest), manifest, files: { ...files, [MANIFEST_FILE]: encoder.encode(text), [SEAL_FILE]: encoder.encode(seal) } };
}
