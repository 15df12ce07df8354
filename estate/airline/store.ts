import { Client, Pool, type PoolClient } from 'pg';
import { HttpError } from '../http-util';
import type { AirlineRecord, DbHealth } from './schemas';

/** Connection settings of one region's database for an airline service. */
export interface AirlineDb {
  host: string;
  port: number;
  user: string;
  database: string;
}

const CREATE_RECORDS = `
  CREATE TABLE IF NOT EXISTS records (
    key text PRIMARY KEY,
    region text NOT NULL,
    payload jsonb,
    created_at timestamptz DEFAULT now()
  )`;

/** A database name the estate may create: plain lowercase, so it needs no quoting rules beyond double quotes. */
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates a service's database (`loyalty` in booking's cluster) when it is missing. Run on the primary before
 * standbys are cloned, or let replication carry it to them. Safe to run twice, also at the same time.
 */
export async function ensureAirlineDatabase(cluster: Omit<AirlineDb, 'database'>, name: string): Promise<{ created: boolean }> {
  if (!DATABASE_NAME.test(name)) throw new Error(`database name "${name}" must be lowercase letters, digits and _ (at most 63)`);
  const client = new Client({ ...cluster, database: 'postgres', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return { created: false };
    try {
      await client.query(`CREATE DATABASE "${name}"`);
      return { created: true };
    } catch (err) {
      // Another caller created it between the check and ours: duplicate_database, or the catalog's unique index.
      const code = (err as { code?: string }).code;
      if (code === '42P04' || code === '23505') return { created: false };
      throw err;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the `records` table on a primary (standbys get it by replication). The estate calls it before cloning. */
export async function ensureAirlineSchema(db: AirlineDb): Promise<void> {
  const client = new Client({ ...db, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(CREATE_RECORDS);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Row {
  key: string;
  region: string;
  payload: unknown;
  created_at: Date;
}

const toRecord = (r: Row): AirlineRecord => ({ key: r.key, region: r.region, payload: r.payload, createdAt: r.created_at.toISOString() });

const errorCode = (err: unknown) => (err as { code?: string }).code;

/** Turns driver errors into answers that say what is wrong with the database rather than a stack trace. */
function dbError(err: unknown): never {
  if (err instanceof HttpError) throw err;
  if (errorCode(err) === '25006') throw new HttpError(503, 'the database refuses writes (read-only: a standby or a fenced primary)', 'db-read-only');
  throw new HttpError(503, `the database is unreachable: ${(err as Error).message ?? String(err)}`, 'db-unreachable');
}

/** How long `/health` waits for the database, so it answers within its budget even when PostgreSQL hangs. */
export const DB_PROBE_TIMEOUT_MS = 2_000;

/** An airline service's records, with short timeouts so an outage answers fast instead of hanging. */
export class RecordStore {
  private readonly pool: Pool;

  constructor(db: AirlineDb) {
    this.pool = new Pool({ ...db, max: 8, connectionTimeoutMillis: 1_500, idleTimeoutMillis: 10_000, query_timeout: 4_000, statement_timeout: 4_000 });
    // Idle clients die when the server stops or terminates them; the pool drops them and connects anew.
    this.pool.on('error', () => undefined);
  }

  /**
   * Creates the table when this is a writable primary that lacks it; on a standby or a fenced primary it does
   * nothing (the table arrives by replication). Returns whether the table is there now.
   */
  async ensureTableOnPrimary(): Promise<boolean> {
    const r = await this.pool.query<{ rec: boolean; ro: string; present: boolean }>(
      `SELECT pg_is_in_recovery() AS rec, current_setting('default_transaction_read_only') AS ro, to_regclass('records') IS NOT NULL AS present`,
    );
    const row = r.rows[0]!;
    if (row.present) return true;
    if (row.rec || row.ro === 'on') return false;
    try {
      await this.pool.query(CREATE_RECORDS);
    } catch (err) {
      // Two creators at once: the loser sees the winner's type or table; either way the table is there.
      if (errorCode(err) !== '23505' && errorCode(err) !== '42P07') throw err;
    }
    return true;
  }

  /**
   * Stores a record once per key. A replay returns the stored record; the same key with another payload is a 422,
   * since a retry carries the same payload and anything else is a client bug.
   */
  async write(key: string, payload: unknown, region: string): Promise<{ record: AirlineRecord; replayed: boolean }> {
    try {
      return await this.insertOrReplay(key, payload, region);
    } catch (err) {
      // A primary started while its database was down never got to create the table: create it now, once.
      if (errorCode(err) !== '42P01') dbError(err);
    }
    try {
      await this.ensureTableOnPrimary();
      return await this.insertOrReplay(key, payload, region);
    } catch (err) {
      dbError(err);
    }
  }

  private async insertOrReplay(key: string, payload: unknown, region: string): Promise<{ record: AirlineRecord; replayed: boolean }> {
    const json = payload === undefined ? null : JSON.stringify(payload);
    const inserted = await this.pool.query<Row>(
      'INSERT INTO records (key, region, payload) VALUES ($1, $2, $3::jsonb) ON CONFLICT (key) DO NOTHING RETURNING *',
      [key, region, json],
    );
    if (inserted.rows[0]) return { record: toRecord(inserted.rows[0]), replayed: false };
    const existing = await this.pool.query<Row & { same: boolean }>('SELECT *, payload IS NOT DISTINCT FROM $2::jsonb AS same FROM records WHERE key = $1', [
      key,
      json,
    ]);
    const row = existing.rows[0];
    // Deleted between the two statements: nothing in the sample deletes records, so say so rather than guess.
    if (!row) throw new HttpError(409, `record ${key} conflicted and then vanished; retry`, 'conflict');
    if (!row.same) throw new HttpError(422, `key ${key} was already used for a different payload`, 'key-reused');
    return { record: toRecord(row), replayed: true };
  }

  /** Which of these keys are not stored (used to count acknowledged writes lost in a failover). Works on a standby. */
  async missingKeys(keys: string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    try {
      const r = await this.pool.query<{ key: string }>('SELECT key FROM records WHERE key = ANY($1)', [keys]);
      const found = new Set(r.rows.map((x) => x.key));
      return keys.filter((k) => !found.has(k));
    } catch (err) {
      // No table: nothing was ever stored here, so every key is missing (a truthful answer for the lost count).
      if (errorCode(err) === '42P01') return [...keys];
      dbError(err);
    }
  }

  /** Whether the database answers, and whether it would accept a write (not a standby, not fenced), within a short budget. */
  async probe(timeoutMs = DB_PROBE_TIMEOUT_MS): Promise<DbHealth> {
    let client: PoolClient | undefined;
    let failed = false;
    let timer: NodeJS.Timeout | undefined;
    const attempt = async (): Promise<DbHealth> => {
      try {
        client = await this.pool.connect();
        const r = await client.query<{ rec: boolean; ro: string }>(`SELECT pg_is_in_recovery() AS rec, current_setting('default_transaction_read_only') AS ro`);
        const row = r.rows[0]!;
        return { reachable: true, writable: !row.rec && row.ro !== 'on', inRecovery: row.rec };
      } catch (err) {
        failed = true;
        return { reachable: false, writable: false, inRecovery: null, error: (err as Error).message };
      } finally {
        client?.release(failed);
      }
    };
    // The pool's connect timeout covers a dead host; this covers a server that accepts but never answers (the
    // pool's query timeout, longer, frees the client later).
    const late = new Promise<DbHealth>((resolve) => {
      timer = setTimeout(
        () => resolve({ reachable: false, writable: false, inRecovery: null, error: `the database did not answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([attempt(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
