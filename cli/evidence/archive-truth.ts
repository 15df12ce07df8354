import { MANIFEST_FILE, readManifest } from '../../lib/evidence/manifest';
import type { BundleAddress } from '../../lib/evidence/layout';
import type { EvidenceStore } from '../../lib/evidence/store';
import type { ArchivedRun, ArchivedTruth, ClosedRun } from '../../workflows/evidence-archiver';

/**
 * What the evidence store says was archived: the one source the archiver trusts about where it is, since its own
 * input and carried-over state can be written by anyone with namespace access (workflows/evidence-archiver.ts).
 */

/** Where archiving got to: just past the newest bundle, with the Temporal runs archived at that same instant. */
export async function archivedUpTo(store: EvidenceStore): Promise<ArchivedTruth> {
  const bundles = await store.list();
  if (bundles.length === 0) return { cursor: null };
  const closedAt = bundles.reduce((latest, b) => (b.finishedAt > latest ? b.finishedAt : latest), bundles[0]!.finishedAt);
  const last = bundles.filter((b) => b.finishedAt === closedAt);
  // A run's bundle names its Temporal runs first to last; the last is the one whose close the cursor counts.
  const closedRuns = await Promise.all(last.map(async (b) => ({ address: b, temporalRunId: await lastTemporalRunOf(store, b) })));
  const runIds = closedRuns.flatMap((r) => (r.temporalRunId ? [r.temporalRunId] : []));
  const newest = closedRuns.at(-1)!;
  return {
    cursor: { closedAt, runIds },
    newest: { workflowId: newest.address.runId, temporalRunId: newest.temporalRunId ?? '', closedAt, key: newest.address.key },
  };
}

/**
 * The bundle of a closed run when the archive holds it already. Archiving twice must change nothing, and making the
 * bundle again would not give the same bytes (a report made later differs), so a run archived is never made again:
 * a reset, a forged cursor or a retry after a crash only costs this look.
 */
export async function bundleOfClosedRun(store: EvidenceStore, run: ClosedRun): Promise<ArchivedRun | undefined> {
  const closedAt = new Date(run.closedAt).toISOString();
  for (const address of await store.list({ runId: run.workflowId })) {
    if (address.finishedAt !== closedAt) continue;
    if ((await lastTemporalRunOf(store, address)) === run.temporalRunId) return { key: address.key, outcome: 'unchanged' };
  }
  return undefined;
}

async function lastTemporalRunOf(store: EvidenceStore, address: BundleAddress): Promise<string | undefined> {
  const bytes = (await store.get(address.key))?.files[MANIFEST_FILE];
  const read = bytes ? readManifest(bytes) : undefined;
  return read?.ok ? read.manifest.temporalRunIds.at(-1) : undefined;
}
