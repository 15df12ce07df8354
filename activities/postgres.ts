import { Client } from 'pg';
import { heartbeat, type EstateCatalog, type RegionName } from './catalog';

/** How to reach one region's PostgreSQL. */
export interface PgAddress {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** What the PostgreSQL adapter needs: each region's database address. */
export interface PostgresDeps {
  regions: Record<RegionName, PgAddress>;
  /** Per connection and per statement; short, so an outage answers quickly. Default 3 s. */
  timeoutMs?: number;
}

export function postgresDepsFromCatalog(catalog: EstateCatalog): PostgresDeps {
  const r = catalog.services.booking.regions;
  const pick = (p: EstateCatalog['services']['booking']['regions']['A']['postgres']): PgAddress => ({ host: p.host, port: p.port, user: p.user, database: p.database });
  return { regions: { A: pick(r.A.postgres), B: pick(r.B.postgres) } };
}

/** An LSN like `0/3000148` as a number of bytes (exact below 2^53, which is 8 PiB of WAL). */
export function lsnToBytes(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  if (hi === undefined || lo === undefined) throw new Error(`not an LSN: ${lsn}`);
  return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}

/** One node as seen from a fresh session. */
export interface NodeStatus {
  region: RegionName;
  reachable: boolean;
  error?: string;
  inRecovery?: boolean;
  /** `default_transaction_read_only` is on: the node is fenced (new transactions cannot write). */
  fenced?: boolean;
  /** Primary: current WAL insert position. Standby: last replayed position. */
  lsn?: string;
  receiveLsn?: string | null;
  replayLsn?: string | null;
  lastReplayAt?: string | null;
  /** Standby: the WAL receiver is streaming from a primary. */
  streaming?: boolean;
  replayPaused?: boolean;
}

/** Replication between the current primary and the standby, with the lag in bytes and seconds. */
export interface ReplicationStatus {
  nodes: Record<RegionName, NodeStatus>;
  primary: RegionName | null;
  standby: RegionName | null;
  lagBytes: number | null;
  lagSeconds: number | null;
  checkedAt: string;
}

const otherRegion = (r: RegionName): RegionName => (r === 'A' ? 'B' : 'A');

/**
 * Activities on the estate's PostgreSQL pair, over SQL only (they would work the same on a real pair).
 * All are idempotent: fencing a fenced node or promoting a promoted one succeeds and says so.
 */
export function createPostgresActivities(deps: PostgresDeps) {
  const timeoutMs = deps.timeoutMs ?? 3_000;

  async function withClient<T>(region: RegionName, fn: (c: Client) => Promise<T>): Promise<T> {
    const address = deps.regions[region];
    const client = new Client({ ...address, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs * 4, statement_timeout: timeoutMs * 4 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new Error(`PostgreSQL of region ${region} (${address.host}:${address.port}) unreachable: ${(err as Error).message}`);
    }
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function nodeStatus(args: { region: RegionName }): Promise<NodeStatus> {
    const { region } = args;
    try {
      return await withClient(region, async (c) => {
        const r = await c.query(`
          SELECT pg_is_in_recovery() AS rec,
                 current_setting('default_transaction_read_only') = 'on' AS fenced,
                 CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text AS lsn,
                 pg_last_wal_receive_lsn()::text AS receive_lsn,
                 pg_last_wal_replay_lsn()::text AS replay_lsn,
                 pg_last_xact_replay_timestamp() AS replay_ts,
                 EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming,
                 CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END AS paused`);
        const row = r.rows[0];
        return {
          region,
          reachable: true,
          inRecovery: row.rec,
          fenced: row.fenced,
          lsn: row.lsn,
          receiveLsn: row.receive_lsn,
          replayLsn: row.replay_lsn,
          lastReplayAt: row.replay_ts ? (row.replay_ts as Date).toISOString() : null,
          streaming: row.streaming,
          replayPaused: row.paused,
        };
      });
    } catch (err) {
      return { region, reachable: false, error: (err as Error).message };
    }
  }

  /** The primary's view of the standby's replay lag (`pg_stat_replication.replay_lag`), in seconds. */
  async function reportedReplayLag(primary: RegionName): Promise<number | null> {
    try {
      return await withClient(primary, async (c) => {
        const r = await c.query(`SELECT extract(epoch FROM replay_lag)::float8 AS lag FROM pg_stat_replication ORDER BY replay_lag DESC NULLS LAST LIMIT 1`);
        return r.rows[0]?.lag ?? null;
      });
    } catch {
      return null;
    }
  }

  async function setReadOnly(region: RegionName, on: boolean): Promise<void> {
    await withClient(region, async (c) => {
      await c.query(on ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
      await c.query('SELECT pg_reload_conf()');
    });
    // The reload is asynchronous: wait until a new session sees the new setting.
    for (let i = 0; i < 100; i++) {
      const s = await nodeStatus({ region });
      if (s.reachable && s.fenced === on) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`region ${region}: default_transaction_read_only did not become ${on ? 'on' : 'off'} after a reload`);
  }

  return {
    /** One node's role, fencing and WAL positions; never throws (an unreachable node is reported as such). */
    nodeStatus,

    /** Both nodes, which is primary and which standby (live, not from the catalog), and the lag in bytes and seconds. */
    async replicationStatus(): Promise<ReplicationStatus> {
      const [a, b] = await Promise.all([nodeStatus({ region: 'A' }), nodeStatus({ region: 'B' })]);
      const nodes = { A: a, B: b };
      const primary = (['A', 'B'] as const).find((r) => nodes[r].reachable && nodes[r].inRecovery === false) ?? null;
      const standby = (['A', 'B'] as const).find((r) => nodes[r].reachable && nodes[r].inRecovery === true) ?? null;
      let lagBytes: number | null = null;
      let lagSeconds: number | null = null;
      if (primary && standby && nodes[primary].lsn && nodes[standby].replayLsn) {
        lagBytes = Math.max(0, lsnToBytes(nodes[primary].lsn!) - lsnToBytes(nodes[standby].replayLsn!));
        if (lagBytes === 0) lagSeconds = 0;
        else {
          lagSeconds = await reportedReplayLag(primary);
          const at = nodes[standby].lastReplayAt;
          if (lagSeconds === null && at) lagSeconds = Math.max(0, (Date.now() - Date.parse(at)) / 1000);
        }
      }
      return { nodes, primary, standby, lagBytes, lagSeconds, checkedAt: new Date().toISOString() };
    },

    /** The region's WAL position: the insert LSN on a primary, the replayed LSN on a standby. */
    async currentWalLsn(args: { region: RegionName }): Promise<{ region: RegionName; lsn: string; inRecovery: boolean }> {
      const s = await nodeStatus(args);
      if (!s.reachable || !s.lsn) throw new Error(s.error ?? `region ${args.region}: no WAL position`);
      return { region: args.region, lsn: s.lsn, inRecovery: s.inRecovery ?? false };
    },

    /**
     * Waits until the standby has replayed up to `targetLsn` (e.g. the old primary's last LSN before fencing),
     * heartbeating while it waits. Times out with a retryable error.
     */
    async waitForReplay(args: { region: RegionName; targetLsn: string; timeoutMs?: number }): Promise<{ region: RegionName; replayLsn: string; reached: true }> {
      const target = lsnToBytes(args.targetLsn);
      const deadline = Date.now() + (args.timeoutMs ?? 60_000);
      let last: NodeStatus | undefined;
      while (Date.now() < deadline) {
        last = await nodeStatus({ region: args.region });
        const at = last.replayLsn ?? (last.inRecovery === false ? last.lsn : undefined);
        if (at && lsnToBytes(at) >= target) return { region: args.region, replayLsn: at, reached: true };
        heartbeat({ replayLsn: at ?? null, targetLsn: args.targetLsn });
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`region ${args.region} has not replayed ${args.targetLsn} yet (at ${last?.replayLsn ?? last?.error ?? 'unknown'})`);
    },

    /**
     * Fences a primary: new transactions are read-only (`default_transaction_read_only`, set with ALTER SYSTEM so it
     * survives a restart), reads go on, and sessions that connected before the fence are terminated, since one of
     * them could still be inside a read-write transaction. Idempotent: an already fenced node reports `alreadyFenced`.
     */
    async fenceDatabase(args: { region: RegionName }): Promise<{ region: RegionName; fenced: true; alreadyFenced: boolean; terminatedSessions: number }> {
      const before = await nodeStatus(args);
      if (!before.reachable) throw new Error(before.error ?? `region ${args.region} unreachable`);
      if (!before.fenced) await setReadOnly(args.region, true);
      const terminated = await withClient(args.region, async (c) => {
        const r = await c.query(`
          SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND backend_start < pg_conf_load_time()`);
        return r.rows[0].n as number;
      });
      return { region: args.region, fenced: true, alreadyFenced: before.fenced === true, terminatedSessions: terminated };
    },

    /** Lifts the fence: new transactions may write again. Idempotent. */
    async unfenceDatabase(args: { region: RegionName }): Promise<{ region: RegionName; fenced: false; alreadyUnfenced: boolean }> {
      const before = await nodeStatus(args);
      if (!before.reachable) throw new Error(before.error ?? `region ${args.region} unreachable`);
      if (before.fenced) await setReadOnly(args.region, false);
      return { region: args.region, fenced: false, alreadyUnfenced: !before.fenced };
    },

    /**
     * Promotes a standby with `pg_promote()` and waits until it accepts writes. A node that is already a primary
     * returns `alreadyPromoted: true`. Warns (does not refuse) when the other region still runs as a primary:
     * fencing the old primary is the runbook's step, not this one's.
     */
    async promoteStandby(args: { region: RegionName; waitSeconds?: number }): Promise<{ region: RegionName; promoted: true; alreadyPromoted: boolean; lsn: string; otherPrimaryReachable: boolean }> {
      const before = await nodeStatus(args);
      if (!before.reachable) throw new Error(before.error ?? `region ${args.region} unreachable`);
      const other = await nodeStatus({ region: otherRegion(args.region) });
      const otherPrimaryReachable = other.reachable && other.inRecovery === false && other.fenced !== true;
      if (before.inRecovery === false) return { region: args.region, promoted: true, alreadyPromoted: true, lsn: before.lsn ?? '', otherPrimaryReachable };
      const wait = args.waitSeconds ?? 30;
      const ok = await withClient(args.region, async (c) => (await c.query('SELECT pg_promote(true, $1) AS ok', [wait])).rows[0].ok as boolean);
      const after = await nodeStatus(args);
      if (!ok || after.inRecovery !== false) {
        throw new Error(`region ${args.region} did not finish promotion within ${wait} s`);
      }
      return { region: args.region, promoted: true, alreadyPromoted: false, lsn: after.lsn ?? '', otherPrimaryReachable };
    },
  };
}

export type PostgresActivities = ReturnType<typeof createPostgresActivities>;
