import type { NodeStatus } from '../providers/contracts/database';
import type { RegionName } from '../providers/contracts/provider';
import { lsnToBytes } from '../providers/postgres/sql';
import { need } from '../providers/registry';
import { heartbeat } from '../providers/shared/activity-context';
import type { TargetsAccess } from './targets';
import type { OnService } from './traffic';

export type { NodeStatus };

/** Replication between the current primary and a standby, with the lag in bytes and seconds. */
export interface ReplicationStatus {
  nodes: Record<RegionName, NodeStatus>;
  primary: RegionName | null;
  standby: RegionName | null;
  lagBytes: number | null;
  lagSeconds: number | null;
  checkedAt: string;
}

/**
 * A service's replicated database, through whichever provider the targets file names (PostgreSQL over libpq,
 * Patroni, a command). All are idempotent: fencing a fenced node or promoting a promoted one succeeds and says so.
 */
export function createDatabaseActivities(access: TargetsAccess) {
  const database = (on: OnService) => need(access.service(on.service), 'database');

  async function replicationStatus(args: OnService = {}): Promise<ReplicationStatus> {
    const db = database(args);
    const statuses = await Promise.all(db.regions.map((r) => db.status(r)));
    const nodes = Object.fromEntries(statuses.map((s) => [s.region, s])) as Record<RegionName, NodeStatus>;
    const primary = statuses.find((n) => n.reachable && n.inRecovery === false)?.region ?? null;
    const standby = statuses.find((n) => n.reachable && n.inRecovery === true)?.region ?? null;
    let lagBytes: number | null = null;
    let lagSeconds: number | null = null;
    const p = primary ? nodes[primary] : undefined;
    const s = standby ? nodes[standby] : undefined;
    if (p?.lsn && s?.replayLsn) {
      lagBytes = Math.max(0, lsnToBytes(p.lsn) - lsnToBytes(s.replayLsn));
      if (lagBytes === 0) lagSeconds = 0;
      else {
        lagSeconds = (await db.reportedReplayLagSeconds?.(primary!)) ?? null;
        if (lagSeconds === null && s.lastReplayAt) lagSeconds = Math.max(0, (Date.now() - Date.parse(s.lastReplayAt)) / 1000);
      }
    }
    return { nodes, primary, standby, lagBytes, lagSeconds, checkedAt: new Date().toISOString() };
  }

  return {
    /**
     * One node's role, fencing and WAL positions; never throws for the node (an unreachable one is reported as such),
     * only for a service without a database (a stateless one says it keeps no data).
     */
    nodeStatus: async (args: OnService & { region: RegionName }): Promise<NodeStatus> => database(args).status(args.region),

    /** Every region's node, which is primary and which standby (live), and the lag in bytes and seconds. */
    replicationStatus,

    /** The region's WAL position: the insert LSN on a primary, the replayed LSN on a standby. */
    async currentWalLsn(args: OnService & { region: RegionName }): Promise<{ region: RegionName; lsn: string; inRecovery: boolean }> {
      const s = await database(args).status(args.region);
      if (!s.reachable || !s.lsn) throw new Error(s.error ?? `region ${args.region}: no WAL position`);
      return { region: args.region, lsn: s.lsn, inRecovery: s.inRecovery ?? false };
    },

    /**
     * Waits until the standby has replayed up to `targetLsn` (e.g. the old primary's last LSN before fencing),
     * heartbeating while it waits. Times out with a retryable error.
     */
    async waitForReplay(
      args: OnService & { region: RegionName; targetLsn: string; timeoutMs?: number },
    ): Promise<{ region: RegionName; replayLsn: string; reached: true }> {
      const db = database(args);
      const target = lsnToBytes(args.targetLsn);
      const deadline = Date.now() + (args.timeoutMs ?? 60_000);
      let last: NodeStatus | undefined;
      while (Date.now() < deadline) {
        last = await db.status(args.region);
        const at = last.replayLsn ?? (last.inRecovery === false ? last.lsn : undefined);
        if (at && lsnToBytes(at) >= target) return { region: args.region, replayLsn: at, reached: true };
        heartbeat({ replayLsn: at ?? null, targetLsn: args.targetLsn });
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`region ${args.region} has not replayed ${args.targetLsn} yet (at ${last?.replayLsn ?? last?.error ?? 'unknown'})`);
    },

    /** Fences a primary: new transactions are read-only and sessions that might still write are ended. Idempotent. */
    async fenceDatabase(
      args: OnService & { region: RegionName },
    ): Promise<{ region: RegionName; fenced: true; alreadyFenced: boolean; terminatedSessions: number }> {
      return { region: args.region, fenced: true, ...(await database(args).fence(args.region)) };
    },

    /** Lifts the fence: new transactions may write again. Idempotent. */
    async unfenceDatabase(args: OnService & { region: RegionName }): Promise<{ region: RegionName; fenced: false; alreadyUnfenced: boolean }> {
      return { region: args.region, fenced: false, ...(await database(args).unfence(args.region)) };
    },

    /**
     * Promotes a standby and waits until it accepts writes. A node that is already a primary returns
     * `alreadyPromoted: true`. Warns (does not refuse) when another region still runs as an unfenced primary:
     * fencing the old primary is the runbook's step, not this one's.
     */
    async promoteStandby(
      args: OnService & { region: RegionName; waitSeconds?: number },
    ): Promise<{ region: RegionName; promoted: true; alreadyPromoted: boolean; lsn: string; otherPrimaryReachable: boolean; provider: string }> {
      const db = database(args);
      const others = await Promise.all(db.regions.filter((r) => r !== args.region).map((r) => db.status(r)));
      const otherPrimaryReachable = others.some((o) => o.reachable && o.inRecovery === false && o.fenced !== true);
      const r = await db.promote(args.region, args.waitSeconds ?? 30);
      return { region: args.region, promoted: true, ...r, otherPrimaryReachable, provider: db.describe() };
    },

    /**
     * Waits until `region` streams from the primary with at most `maxLagBytes` to replay, heartbeating; retryable on
     * timeout, so the kit's retries and an operator can give it more time.
     */
    async waitForStandby(args: OnService & { region: RegionName; maxLagBytes: number; timeoutMs: number }): Promise<{ region: RegionName; lagBytes: number }> {
      const deadline = Date.now() + args.timeoutMs;
      let last = 'not checked yet';
      while (Date.now() < deadline) {
        const r = await replicationStatus(args);
        const node = r.nodes[args.region];
        if (r.standby === args.region && node?.streaming && r.lagBytes !== null && r.lagBytes <= args.maxLagBytes)
          return { region: args.region, lagBytes: r.lagBytes };
        last = `standby ${r.standby ?? 'none'}, streaming ${node?.streaming ?? false}, lag ${r.lagBytes ?? 'unknown'} bytes`;
        heartbeat({ last });
        await new Promise((res) => setTimeout(res, 250));
      }
      throw new Error(`region ${args.region} has not caught up within ${args.timeoutMs} ms (${last})`);
    },

    /** Rebuilds `region` as a standby of `primary` through the rebuild provider (pg_rewind, Patroni, a command). Idempotent. */
    async rebuildStandby(args: OnService & { region: RegionName; primary: RegionName }) {
      const providers = access.service(args.service);
      return need(providers, 'rebuild').rebuildAsStandby({ region: args.region, primary: args.primary }, heartbeat);
    },
  };
}

export type DatabaseActivities = ReturnType<typeof createDatabaseActivities>;
