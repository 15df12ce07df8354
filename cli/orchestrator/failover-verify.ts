import { Client, Connection } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { checkOrchestratorFailover, OrchestratorFailoverInput, Roster, rosterDigest, type FailoverVerdict } from '../../kit/trust';
import type { CliContext } from '../context';
import { CliError } from '../errors';
import type { ClusterAddress } from './clusters';

/** What a failover's history shows once re-checked: the decision, whether the namespace was moved, and any problem. */
export interface FailoverAudit {
  workflowId: string;
  runId: string;
  cluster: string;
  /** Temporal's status of the run: COMPLETED, FAILED, RUNNING... */
  status: string;
  request?: { namespace: string; to: string };
  /** The decision as re-checked here, against the roster the run loaded, at the time Temporal started the run. */
  verdict: FailoverVerdict | { ok: false; reason: string };
  rosterDigest?: string;
  /** Whether the run asked for the namespace's active cluster to change. */
  moved: boolean;
  /** What the run returned when it completed: the failover version Temporal gave the namespace, and whether it moved. */
  outcome?: { failoverVersion: string; changed: boolean; at: string | null };
  /** What does not hold: a move with no verified decision, or a move before the decision's nonce was claimed. */
  problems: string[];
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Re-checks a failover from its history in the local namespace of whichever cluster holds it: the signed decision
 * again, purely, against the roster the run loaded and as of Temporal's start of the run; and that the namespace was
 * only asked to move after the decision held and its nonce was claimed.
 */
export async function verifyFailover(ctx: CliContext, clusters: ClusterAddress[], localNamespace: string, workflowId: string): Promise<FailoverAudit> {
  const settings = ctx.settings();
  const dataConverter = ctx.dataConverter();
  const misses: string[] = [];
  for (const cluster of clusters) {
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...settings.connectionOptions, address: cluster.address, connectTimeout: 3_000 });
    } catch (err) {
      misses.push(`${cluster.name} does not answer (${(err as Error).message})`);
      continue;
    }
    try {
      const client = new Client({ connection, namespace: localNamespace, ...(dataConverter ? { dataConverter } : {}) });
      try {
        const newest = { ...(await auditRun(client, workflowId)), cluster: cluster.name };
        // Awaited here, so the connection closes only once every run is re-checked.
        return await withOtherRuns(client, newest);
      } catch (err) {
        misses.push(`${cluster.name} has no run ${workflowId} (${(err as Error).message.slice(0, 200)})`);
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  throw new CliError(`no cluster holds failover ${workflowId} in namespace ${localNamespace}: ${misses.join('; ')}`, {
    code: 'not-found',
    suggestion: 'name every cluster (--cluster or LIFEBOAT_CLUSTERS); a failover runs on the cluster it activated',
  });
}

/**
 * An insider may start the same signed failover again under its ID once the first run has closed; the newest run is
 * then a replay its claim refused. The run that moved the namespace is the one that claimed the statement's nonce
 * (`lifeboat-start-claim/<nonce>`, whose memo names it): that run is the audit shown, and the newest, if another,
 * comes as `otherRuns`, its problems counting too.
 */
async function withOtherRuns(client: Client, newest: FailoverAudit): Promise<FailoverAudit & { otherRuns: FailoverAudit[] }> {
  if (newest.moved) return { ...newest, otherRuns: [] };
  const nonce = newest.workflowId.split('/').at(-1)!;
  const claim = await client.workflow
    .getHandle(`lifeboat-start-claim/${nonce}`)
    .describe()
    .catch(() => undefined);
  const holder = typeof claim?.memo?.holder === 'string' ? claim.memo.holder : '';
  const [claimedBy, claimedRun] = holder.split('@');
  if (claimedBy !== newest.workflowId || !claimedRun || claimedRun === newest.runId) return { ...newest, otherRuns: [] };
  const first = { ...(await auditRun(client, newest.workflowId, claimedRun)), cluster: newest.cluster };
  return { ...first, problems: [...first.problems, ...newest.problems.map((p) => `run ${newest.runId}: ${p}`)], otherRuns: [newest] };
}

/** Re-checks one run of a failover (the newest under the ID, unless `runId` names one) from its history. */
export async function auditRun(client: Client, workflowId: string, runId?: string): Promise<Omit<FailoverAudit, 'cluster'>> {
  // The ID goes into a visibility query below: only the characters a failover's ID is made of.
  if (!/^orchestrator-failover\/[A-Za-z0-9_.-]{1,256}\/[A-Za-z0-9_-]{16,64}$/.test(workflowId)) throw new Error(`${workflowId} is not a failover's run ID`);
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory();
  const described = await handle.describe();
  const status = described.status.name;
  const decode = (payloads: temporal.api.common.v1.IPayload[] | null | undefined) => decodeArrayFromPayloads(client.options.loadedDataConverter, payloads);
  return { ...(await audit(history.events ?? [], decode, client.options.namespace, workflowId)), workflowId, runId: described.runId, status };
}

async function audit(
  events: HistoryEvent[],
  decode: (payloads: temporal.api.common.v1.IPayload[] | null | undefined) => Promise<unknown[]>,
  localNamespace: string,
  workflowId: string,
): Promise<Omit<FailoverAudit, 'workflowId' | 'runId' | 'cluster' | 'status'>> {
  const problems: string[] = [];
  const started = events[0];
  const [raw] = await decode(started?.workflowExecutionStartedEventAttributes?.input?.payloads);
  const scheduled = (type: string) => events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  const moves = scheduled('failNamespaceOver');
  const moved = moves.length > 0;
  const input = OrchestratorFailoverInput.safeParse(raw);
  if (!input.success) {
    if (moved) problems.push('the namespace was asked to move by a run whose input is not a failover request');
    return { verdict: { ok: false, reason: 'the input is not a failover request' }, moved, problems };
  }
  const request = { namespace: input.data.namespace, to: input.data.to };
  const roster = await loadedRoster(events, decode);
  if (!roster) {
    if (moved) problems.push('the namespace was asked to move by a run that never loaded a roster');
    return { request, verdict: { ok: false, reason: 'the run loaded no roster to check the decision against' }, moved, problems };
  }
  const verdict = checkOrchestratorFailover(input.data.decision, {
    localNamespace,
    workflowId,
    request,
    nowMs: optionalTsToMs(started?.eventTime) ?? 0,
    roster,
  });
  if (moved && !verdict.ok) problems.push(`the namespace was asked to move on a decision that does not hold: ${verdict.reason}`);
  const claimedAt = await claimedEventId(events, decode);
  if (moved && (claimedAt === undefined || Number(moves[0]!.eventId) < claimedAt))
    problems.push("the namespace was asked to move before the decision's nonce was claimed, so a replay could have moved it too");
  const outcome = await outcomeOf(events, decode);
  return { request, verdict, rosterDigest: rosterDigest(roster), moved, ...(outcome ? { outcome } : {}), problems };
}

async function outcomeOf(events: HistoryEvent[], decode: (p: temporal.api.common.v1.IPayload[] | null | undefined) => Promise<unknown[]>) {
  const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
  if (!completed) return undefined;
  const [value] = await decode(completed.workflowExecutionCompletedEventAttributes?.result?.payloads);
  const result = value as { failoverVersion?: unknown; changed?: unknown } | undefined;
  const at = optionalTsToMs(completed.eventTime);
  return {
    failoverVersion: String(result?.failoverVersion ?? ''),
    changed: result?.changed === true,
    at: at === undefined ? null : new Date(at).toISOString(),
  };
}

/** The roster the run's `loadRoster` activity returned, as recorded in its history. */
async function loadedRoster(events: HistoryEvent[], decode: (p: temporal.api.common.v1.IPayload[] | null | undefined) => Promise<unknown[]>) {
  const result = await completionOf(events, 'loadRoster', decode);
  const parsed = Roster.safeParse(result);
  return parsed.success ? parsed.data : undefined;
}

/** The event at which the run's claim of the nonce came back granted, if it did. */
async function claimedEventId(events: HistoryEvent[], decode: (p: temporal.api.common.v1.IPayload[] | null | undefined) => Promise<unknown[]>) {
  const claim = (await completionOf(events, 'claimStart', decode)) as { claimed?: unknown } | undefined;
  if (claim?.claimed !== true) return undefined;
  const id = completedEvent(events, 'claimStart')?.eventId;
  return id === undefined || id === null ? undefined : Number(id);
}

function completedEvent(events: HistoryEvent[], type: string): HistoryEvent | undefined {
  const ids = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).map((e) => String(e.eventId)));
  return events.find((e) => ids.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '')));
}

async function completionOf(events: HistoryEvent[], type: string, decode: (p: temporal.api.common.v1.IPayload[] | null | undefined) => Promise<unknown[]>) {
  const completed = completedEvent(events, type);
  if (!completed) return undefined;
  const [value] = await decode(completed.activityTaskCompletedEventAttributes?.result?.payloads);
  return value;
}
