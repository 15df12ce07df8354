import { parseBundleKey, type BundleAddress } from './layout';
import { MANIFEST_FILE, readManifest } from './manifest';
import type { EvidenceStore } from './store';

/**
 * The bundles a person means by a run: a bundle's key; a run ID (`region-failover/booking`: every run of that runbook
 * on that target, oldest first); or one of Temporal's run IDs, which names exactly one run. Empty when none matches.
 */
export async function bundlesOfRun(store: EvidenceStore, selector: string): Promise<BundleAddress[]> {
  const asKey = parseBundleKey(selector);
  if (asKey) return (await store.get(asKey.key)) ? [asKey] : [];
  const byRunId = await store.list({ runId: selector });
  if (byRunId.length > 0) return byRunId;
  // A Temporal run ID is only in the manifests: this reads each one, so it is the slow way, taken last.
  for (const address of await store.list()) {
    const bytes = (await store.get(address.key))?.files[MANIFEST_FILE];
    const read = bytes ? readManifest(bytes) : undefined;
    if (read?.ok && read.manifest.temporalRunIds.includes(selector)) return [address];
  }
  return [];
}
