import { Client } from 'pg';
import type { NodeStatus } from '../contracts/database';
import type { RegionName } from '../contracts/provider';
import type { PostgresAddress } from '../targets/fields';

/** Opens one short session to `address`, runs `fn`, and always closes it. The password comes from `passwordEnv`. */
export async function withSession<T>(
  address: PostgresAddress,
  timeoutMs: number,
  fn: (c: Client) => Promise<T>,
  label = `${address.host}:${address.port}`,
): Promise<T> {
  const password = address.passwordEnv ? process.env[address.passwordEnv] : undefined;
  const client = new Client({
    host: address.host,
    port: address.port,
    user: address.user,
    database: address.database,
    ...(password !== undefined ? { password } : {}),
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs * 4,
    statement_timeout: timeoutMs * 4,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL ${label} unreachable: ${(err as Error).message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Role, fencing and WAL positions as one fresh session sees them. */
export async function readNodeStatus(c: Client, region: RegionName): Promise<NodeStatus> {
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
}

/** The primary's view of its standby's replay lag (`pg_stat_replication.replay_lag`), in seconds. */
export async function readReportedReplayLag(c: Client): Promise<number | null> {
  const r = await c.query(`SELECT extract(epoch FROM replay_lag)::float8 AS lag FROM pg_stat_replication ORDER BY replay_lag DESC NULLS LAST LIMIT 1`);
  return r.rows[0]?.lag ?? null;
}

/**
 * Ends client sessions that started before the last configuration load: after a fence, one of them could still be
 * inside a read-write transaction. Returns how many were ended.
 */
export async function terminateSessionsOlderThanConfig(c: Client): Promise<number> {
  const r = await c.query(`
    SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND backend_start < pg_conf_load_time()`);
  return r.rows[0].n as number;
}

/** An LSN like `0/3000148` as a number of bytes (exact below 2^53, which is 8 PiB of WAL). */
export function lsnToBytes(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  if (hi === undefined || lo === undefined) throw new Error(`not an LSN: ${lsn}`);
  return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16);
}
