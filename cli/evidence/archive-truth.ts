import { MANIFEST_FILE, readManifest } from '../../lib/evidence/manifest';
import type { BundleAddress } from '../../lib/evidence/layout';
import type { EvidenceStore } from '../../lib/evidence/store';
import type { ArchivedRun, ArchivedTruth, ClosedRun } from '../../workflows/evidence-archiver';

/**
 * What the evidence store says was archived: the one source the archiver trusts about where it is, since its own
 * input and carried-over state can be written by anyone with namespace access (workflows/evidence-archiver.ts).
 */

/**
 * Where archiving got to: just past the newest bundle of a run or plan, with the Temporal runs archived at that same
 * instant. Other bundles (a findings workflow's, sealed whenever a finding changes) say nothing of which runs closed,
 * and counting one would move the cursor past runs that closed before it and were never archived.
 */
export async function archivedUpTo(store: EvidenceStore): Promise<ArchivedTruth> {
  const newestFirst = (await store.list()).sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : a.finishedAt > b.finishedAt ? -1 : 0));
  let closedAt: string | undefined;
  const closed: { address: BundleAddress; temporalRunId: string }[] = [];
  for (const address of newestFirst) {
    if (closedAt !== undefined && address.finishedAt !== closedAt) break;
    const run = await closedRunOf(store, address);
    if (!run) continue;
    closedAt = address.finishedAt;
    closed.push({ address, temporalRunId: run });
  }
  const newest = closed[0];
  if (!newest || closedAt === undefined) return { cursor: null };
  return {
    cursor: { closedAt, runIds: closed.map((c) => c.temporalRunId) },
    newest: { workflowId: newest.address.runId, temporalRunId: newest.temporalRunId, closedAt, key: newest.address.key },
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
    if ((await closedRunOf(store, address)) === run.temporalRunId) return { key: address.key, outcome: 'unchanged' };
  }
  return undefined;
}

/**
 * The Temporal run whose close a run's or plan's bundle records: the last its manifest names (first to last, across a
 * carry-over chain). Undefined for any other bundle, or one whose manifest does not read.
 */
async function closedRunOf(store: EvidenceStore, address: BundleAddress): Promise<string | undefined> {
  const bytes = (await store.get(address.key))?.files[MANIFEST_FILE];
  const read = bytes ? readManifest(bytes) : undefined;
  return read?.ok && (read.manifest.kind === 'runbook' || read.manifest.kind === 'plan') ? read.manifest.temporalRunIds.at(-1) : undefined;
}
