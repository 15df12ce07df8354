import { Client, Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { ORCHESTRATOR_FAILOVER_TYPE } from '../../kit/trust';
import type { ConnectionSettings } from '../../lib/connection';
import type { ClusterAddress } from './clusters';
import { auditRun, type FailoverAudit } from './failover-verify';

/** How many of the newest failover runs each cluster's local namespace is asked for. */
const RECENT = 10;

/** A failover as Temporal's description of the namespace records it, and the verified decision that made it, if any. */
export interface TemporalFailover {
  at: string | null;
  failoverVersion: string;
  /** The failover run whose re-checked decision made this failover; absent when none did. */
  decidedBy?: { workflowId: string; by: string };
}

export interface FailoverHistory {
  /** The newest failover runs of every cluster's local namespace, each re-checked from its history. */
  recent: (FailoverAudit & { startedAt: string })[];
  /** Every failover Temporal shows for the namespace. */
  temporal: TemporalFailover[];
  /** Those no verified decision covers: made with `temporal operator namespace update`, or by something else. */
  unverified: TemporalFailover[];
}

/**
 * Lists the recent failovers of the orchestrator and matches them with what Temporal shows: each failover of the
 * namespace (its failover history, by failover version) is covered when a failover run, re-checked from its history,
 * held, moved the namespace and returned that very failover version.
 */
export async function failoverHistory(
  clusters: ClusterAddress[],
  settings: ConnectionSettings,
  localNamespace: string,
): Promise<FailoverHistory | { error: string }> {
  const recent: FailoverHistory['recent'] = [];
  let shown: TemporalFailover[] | undefined;
  const misses: string[] = [];
  let truncated = false;
  for (const cluster of clusters) {
    let connection: Connection;
    try {
      connection = await Connection.connect({ ...settings.connectionOptions, address: cluster.address, connectTimeout: 3_000 });
    } catch {
      continue;
    }
    try {
      if (!shown) {
        const described = await connection.workflowService.describeNamespace({ namespace: settings.namespace }).catch(() => undefined);
        if (described)
          shown = (described.failoverHistory ?? []).map((f) => {
            const at = optionalTsToMs(f.failoverTime);
            return { at: at === undefined ? null : new Date(at).toISOString(), failoverVersion: String(f.failoverVersion ?? '') };
          });
      }
      const client = new Client({ connection, namespace: localNamespace });
      const runs = [];
      for await (const run of client.workflow.list({ query: `WorkflowType = '${ORCHESTRATOR_FAILOVER_TYPE}'` })) {
        runs.push(run);
        if (runs.length >= RECENT) {
          truncated = true;
          break;
        }
      }
      for (const run of runs) {
        const audit = await auditRun(client, run.workflowId, run.runId).catch(() => undefined);
        if (audit) recent.push({ ...audit, cluster: cluster.name, startedAt: run.startTime.toISOString() });
      }
    } catch (err) {
      misses.push(`${cluster.name}: ${(err as Error).message.slice(0, 200)}`);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
  if (!shown) return { error: `no cluster described namespace ${settings.namespace}${misses.length ? ` (${misses.join('; ')})` : ''}` };
  recent.sort((x, y) => y.startedAt.localeCompare(x.startedAt));
  const held = recent.filter((r) => r.verdict.ok && r.problems.length === 0 && r.outcome?.changed);
  const temporal = shown.map((f) => {
    const run = held.find((r) => r.outcome?.failoverVersion === f.failoverVersion);
    return run && run.verdict.ok ? { ...f, decidedBy: { workflowId: run.workflowId, by: run.verdict.decision.by } } : f;
  });
  // Failovers older than the oldest run listed cannot be judged when older runs were left out.
  const since = truncated ? recent[recent.length - 1]?.startedAt : undefined;
  return { recent, temporal, unverified: temporal.filter((f) => !f.decidedBy && (!since || (f.at !== null && f.at >= since))) };
}
