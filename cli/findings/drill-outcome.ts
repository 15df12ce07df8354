import type { Client } from '@temporalio/client';
import { statusQuery, type RunStatus } from '../../kit';
import { lifeboatSearchAttributes, runbookAttribute, targetAttribute } from '../../kit/trust';

import { MANIFEST_FILE, readManifest } from '../../lib/evidence/manifest';
import type { EvidenceStore } from '../../lib/evidence/store';
import type { DrillOutcome } from '../../lib/findings/activity-contracts';
import { drillIssues } from '../../lib/findings/drill-findings';
import type { DrillEndedClaim } from '../../lib/findings/messages';
import { runbooks } from '../../runbooks';

// The kit's doors do not export the drill key by name; it is one of the run attributes all the same.
const drillAttribute = lifeboatSearchAttributes.find((key) => key.name === 'LifeboatDrill')!;

const endedByTemporal: Record<string, string> = { TERMINATED: 'terminated', TIMED_OUT: 'timed out', CANCELLED: 'cancelled', FAILED: 'failed' };

/**
 * Reads a claimed drill run from Temporal, believing nothing the claim says but which run it names: the run must be
 * of the runbook's own workflow type, on this worker's task queue, closed, a drill of this runbook and target by its
 * search attributes and its own status, and past its start check (a run started unsigned shows nothing). What it
 * showed comes from the run's own final status (its result, or its status query when Temporal ended it).
 */
export async function readDrillOutcome(
  client: Client,
  taskQueue: string,
  store: EvidenceStore,
  runbook: string,
  target: string,
  claim: DrillEndedClaim,
): Promise<DrillOutcome> {
  const definition = runbooks[runbook];
  const named = `${claim.workflowId} (run ${claim.temporalRunId})`;
  if (!definition) return { ok: false, problem: `${runbook} is not a runbook of this worker` };
  const handle = client.workflow.getHandle(claim.workflowId, claim.temporalRunId);
  let description;
  try {
    description = await handle.describe();
  } catch {
    return { ok: false, problem: `Temporal has no run ${named} in this namespace` };
  }
  if (description.type !== definition.workflowType)
    return { ok: false, problem: `${named} is a ${description.type} workflow, not a run of ${runbook} (${definition.workflowType})` };
  if (description.taskQueue !== taskQueue) return { ok: false, problem: `${named} ran on task queue ${description.taskQueue}, not ${taskQueue}` };
  const execution = description.status.name;
  if (execution === 'RUNNING' || execution === 'CONTINUED_AS_NEW' || !description.closeTime)
    return { ok: false, problem: `${named} has not ended (${execution.toLowerCase()}); name the last run of its chain once it has` };
  const attributes = description.typedSearchAttributes;
  if (attributes.get(runbookAttribute) !== runbook || attributes.get(targetAttribute) !== target || !attributes.get(drillAttribute))
    return { ok: false, problem: `${named} is not a drill of ${runbook} on ${target}` };
  let status: RunStatus;
  try {
    status = (execution === 'COMPLETED' ? await handle.result() : await handle.query(statusQuery)) as RunStatus;
  } catch (err) {
    return { ok: false, problem: `the status of ${named} cannot be read: ${(err as Error).message}` };
  }
  if (!status?.trust) return { ok: false, problem: `${named} never passed its start check (an unsigned or refused start), so it shows nothing` };
  if (status.runbook !== runbook || status.target !== target || !status.drill)
    return { ok: false, problem: `${named} is not a drill of ${runbook} on ${target}` };
  const issues = drillIssues(status);
  // Temporal ended it before the kit recorded an end: the run's last status still says it was going.
  const ended = endedByTemporal[execution];
  if (ended && !issues.some((i) => i.reason === 'drill-failed'))
    issues.unshift({ reason: 'drill-failed', what: `drill ${claim.workflowId} was ${ended} by Temporal` });
  const evidence = await bundleOf(store, claim);
  return {
    ok: true,
    workflowId: claim.workflowId,
    temporalRunId: claim.temporalRunId,
    finishedAt: description.closeTime.toISOString(),
    issues,
    ...(evidence ? { evidence } : {}),
  };
}

/** The key of the run's bundle in the archive, found by its manifest; undefined while it is not archived. */
async function bundleOf(store: EvidenceStore, claim: DrillEndedClaim): Promise<string | undefined> {
  for (const address of (await store.list({ runId: claim.workflowId })).reverse()) {
    const bytes = (await store.get(address.key))?.files[MANIFEST_FILE];
    const read = bytes ? readManifest(bytes) : undefined;
    if (read?.ok && read.manifest.temporalRunIds.includes(claim.temporalRunId)) return address.key;
  }
  return undefined;
}
