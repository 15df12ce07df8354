import { existsSync, readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { previousLink } from '../../lib/evidence/archive';
import { sealBundle } from '../../lib/evidence/bundle';
import { ROSTER_FILE } from '../../lib/evidence/manifest';
import { ROSTER_SEAL_FILE } from '../../lib/evidence/roster-anchor';
import type { EvidenceStore } from '../../lib/evidence/store';
import { checkBundle } from '../../lib/evidence/verify-bundle';
import { ArchivedClose, ArchivedCloses, CLOSES_FILE } from '../../lib/findings/messages';
import { findingsChainRunbook, findingNumber, findingsWorkflowId } from '../../lib/findings/names';
import { FINDINGS_FILE, FindingsSnapshot } from '../../lib/findings/record';
import type { TrustRoot } from '../../lib/roster-seal';
import { sealPathFor } from '../../lib/roster-seal-file';
import type { ArchiveSettings } from '../evidence/archive-settings';

/**
 * Findings in the evidence archive: each change of a runbook and target's findings is a sealed bundle holding
 * `findings.json`, chained under `findings/<runbook>/<target>/` like runs are under `<runbook>/<target>/`.
 */

/** Seals a snapshot as the next link of its chain and stores it. Storing the same snapshot again changes nothing. */
export async function archiveFindings(
  settings: ArchiveSettings,
  snapshot: FindingsSnapshot,
  workflowId: string,
  temporalRunId: string,
  close?: ArchivedClose,
): Promise<{ key: string }> {
  const checked = FindingsSnapshot.parse(snapshot);
  // Each bundle holds every close so far: the bundle before it (this run's link) has the earlier ones.
  const closes = [...(await closesBefore(settings.store, checked)), ...(close ? [ArchivedClose.parse(close)] : [])];
  const open = checked.findings.filter((f) => f.state === 'open').length;
  const evidence = {
    runId: workflowId,
    temporalRunIds: [temporalRunId],
    kind: 'findings' as const,
    runbook: findingsChainRunbook(checked.runbook),
    target: checked.target,
    drill: false,
    state: `${open} open, ${checked.findings.length - open} closed`,
    startedAt: checked.at,
    finishedAt: checked.at,
    files: {
      [FINDINGS_FILE]: `${JSON.stringify(checked, null, 2)}\n`,
      [CLOSES_FILE]: `${JSON.stringify(closes, null, 2)}\n`,
      [ROSTER_FILE]: readFileSync(settings.rosterPath),
      ...(existsSync(sealPathFor(settings.rosterPath)) ? { [ROSTER_SEAL_FILE]: readFileSync(sealPathFor(settings.rosterPath)) } : {}),
    },
    targetsDigest: null,
  };
  const bundle = await sealBundle(evidence, await previousLink(settings.store, evidence), settings.signer);
  return { key: (await settings.store.put(bundle)).key };
}

/**
 * The newest findings snapshot of a runbook and target, after checking its bundle: every file against the manifest,
 * the seal by this worker's archive signer, its roster one the roster admins sealed (given the trust root), and a
 * findings bundle of exactly this workflow. One that does not verify is refused (non-retryable, naming what is
 * wrong): the findings workflow must not start from state nobody vouches for.
 */
export async function readSealedFindings(
  store: EvidenceStore,
  signerId: string,
  runbook: string,
  target: string,
  trustRoot?: TrustRoot,
): Promise<{ snapshot: FindingsSnapshot | null; from: string }> {
  const newest = (await store.list({ runbook: findingsChainRunbook(runbook), target })).at(-1);
  if (!newest) return { snapshot: null, from: `nothing: ${store.location} holds no findings of ${runbook} on ${target} yet` };
  const stored = await store.get(newest.key);
  const refuse = (problem: string): never => {
    throw ApplicationFailure.nonRetryable(`the newest findings bundle ${newest.key} in ${store.location} does not verify: ${problem}`, 'FindingsUnverified');
  };
  if (!stored) return refuse('it was listed but could not be read back');
  const checked = checkBundle(stored, trustRoot);
  if (checked.findings.length > 0) return refuse(checked.findings.map((f) => f.message).join('; '));
  const manifest = checked.manifest!;
  if (manifest.kind !== 'findings' || manifest.runId !== findingsWorkflowId(runbook, target))
    return refuse(`it is a ${manifest.kind} bundle of ${manifest.runId}`);
  if (manifest.sealedBy !== signerId) return refuse(`it is sealed by ${manifest.sealedBy}, not by this worker's archive signer ${signerId}`);
  const parsed = FindingsSnapshot.safeParse(JSON.parse(new TextDecoder().decode(stored.files[FINDINGS_FILE] ?? new Uint8Array())));
  if (!parsed.success || parsed.data.runbook !== runbook || parsed.data.target !== target)
    return refuse(`its ${FINDINGS_FILE} is not a findings/v1 snapshot of ${runbook} on ${target}`);
  return { snapshot: parsed.data, from: newest.key };
}

/** The closes the newest findings bundle before `snapshot` holds (none before the first). */
async function closesBefore(store: EvidenceStore, snapshot: FindingsSnapshot): Promise<ArchivedClose[]> {
  const at = new Date(snapshot.at).toISOString();
  const before = (await store.list({ runbook: findingsChainRunbook(snapshot.runbook), target: snapshot.target })).filter((a) => a.finishedAt < at).at(-1);
  const bytes = before ? (await store.get(before.key))?.files[CLOSES_FILE] : undefined;
  if (!bytes) return [];
  const parsed = ArchivedCloses.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw new Error(`${before!.key}: ${CLOSES_FILE} is not a list of signed closes`);
  return parsed.data;
}

/** The highest finding number in the newest findings bundle of every runbook and target; 0 when there are none. */
export async function highestSealedFindingNumber(store: EvidenceStore): Promise<number> {
  const newest = new Map<string, string>();
  for (const address of await store.list()) if (address.runbook.startsWith('findings/')) newest.set(`${address.runbook}\u0000${address.target}`, address.key);
  let highest = 0;
  for (const key of newest.values()) {
    const bytes = (await store.get(key))?.files[FINDINGS_FILE];
    const parsed = bytes ? FindingsSnapshot.safeParse(JSON.parse(new TextDecoder().decode(bytes))) : undefined;
    for (const finding of parsed?.success ? parsed.data.findings : []) highest = Math.max(highest, findingNumber(finding.id) ?? 0);
  }
  return highest;
}
