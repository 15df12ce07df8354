import { sealBundle, type EvidenceBundle, type RunEvidence } from './bundle';
import { bundleKey } from './layout';
import { MANIFEST_FILE, sha256Of } from './manifest';
import type { ArchiveSigner } from './seal';
import type { EvidenceStore } from './store';

/**
 * Archives a finished run: seals its bundle as the next link of its runbook and target's chain and puts it in the
 * store. Archiving the same run again makes the same bundle (the link before it is the same, and an Ed25519 seal is
 * deterministic), so a retry after a failure stores nothing twice.
 */
export async function archiveRun(
  store: EvidenceStore,
  evidence: RunEvidence,
  signer: ArchiveSigner,
): Promise<{ bundle: EvidenceBundle; outcome: 'stored' | 'unchanged' }> {
  const previous = await previousLink(store, evidence);
  const bundle = await sealBundle(evidence, previous, signer);
  const { outcome } = await store.put(bundle);
  return { bundle, outcome };
}

/** The manifest digest of the newest bundle of the same runbook and target that finished before this run; null for the first. */
export async function previousLink(store: EvidenceStore, evidence: Pick<RunEvidence, 'runbook' | 'target' | 'finishedAt' | 'runId'>): Promise<string | null> {
  const key = bundleKey(evidence);
  const earlier = (await store.list({ runbook: evidence.runbook, target: evidence.target })).filter(
    (a) => a.key !== key && a.finishedAt <= new Date(evidence.finishedAt).toISOString(),
  );
  const last = earlier.at(-1);
  if (!last) return null;
  const manifest = (await store.get(last.key))?.files[MANIFEST_FILE];
  if (!manifest) throw new Error(`the bundle before this run, ${last.key}, has no ${MANIFEST_FILE}, so the chain cannot continue from it`);
  return sha256Of(manifest);
}
