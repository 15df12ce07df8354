import { Pool, type PoolClient } from 'pg';
import { HttpError } from '../http-util';
import type { Booking, BookingRequest } from './schemas';

/** Connection settings of a booking region's database. */
export interface DbAddress {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** Creates the bookings table on a primary (the standby gets it by replication). */
export async function ensureBookingSchema(db: DbAddress): Promise<void> {
  const pool = new Pool({ ...db, max: 1, connectionTimeoutMillis: 5_000 });
  try {
    await pool.query(`
      CREATE TABLE IF NOT EXISTS bookings (
        id bigserial PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        flight text NOT NULL,
        seat text NOT NULL,
        passenger text NOT NULL,
        region text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (flight, seat)
      )`);
  } finally {
    await pool.end();
  }
}

interface Row {
  id: string;
  idempotency_key: string;
  flight: string;
  seat: string;
  passenger: string;
  region: string;
  created_at: Date;
}

const toBooking = (r: Row): Booking => ({
  id: Number(r.id),
  idempotencyKey: r.idempotency_key,
  flight: r.flight,
  seat: r.seat,
  passenger: r.passenger,
  region: r.region,
  createdAt: r.created_at.toISOString(),
});

/** Turns driver errors into answers that say what is wrong with the database rather than a stack trace. */
function dbError(err: unknown): never {
  if (err instanceof HttpError) throw err;
  const e = err as { code?: string; message?: string };
  if (e.code === '25006') throw new HttpError(503, 'the database refuses writes (read-only: a standby or a fenced primary)', 'db-read-only');
  throw new HttpError(503, `the database is unreachable: ${e.message ?? String(err)}`, 'db-unreachable');
}

/** The booking service's queries, each with short timeouts so an outage answers fast instead of hanging. */
export class BookingStore {
  readonly pool: Pool;

  constructor(db: DbAddress) {
    this.pool = new Pool({
      ...db,
      max: 8,
      connectionTimeoutMillis: 1_500,
      idleTimeoutMillis: 10_000,
      query_timeout: 4_000,
      statement_timeout: 4_000,
    });
    // Idle clients die when the server stops or terminates them; the pool drops them and connects anew.
    this.pool.on('error', () => undefined);
  }

  /** Books a seat once per idempotency key. Replays return the original booking; a taken seat is a 409. */
  async create(req: BookingRequest, region: string): Promise<{ booking: Booking; replayed: boolean }> {
    try {
      const inserted = await this.pool.query<Row>(
        `INSERT INTO bookings (idempotency_key, flight, seat, passenger, region) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING *`,
        [req.idempotencyKey, req.flight, req.seat, req.passenger, region],
      );
      if (inserted.rows[0]) return { booking: toBooking(inserted.rows[0]), replayed: false };
      const byKey = await this.byKey(req.idempotencyKey);
      if (byKey) {
        if (byKey.flight !== req.flight || byKey.seat !== req.seat || byKey.passenger !== req.passenger) {
          throw new HttpError(
            422,
            `idempotency key ${req.idempotencyKey} was already used for a different booking (${byKey.flight} seat ${byKey.seat})`,
            'key-reused',
          );
        }
        return { booking: byKey, replayed: true };
      }
      throw new HttpError(409, `seat ${req.seat} on flight ${req.flight} is already booked`, 'seat-taken');
    } catch (err) {
      dbError(err);
    }
  }

  /**
   * Moves a booking to another seat on its flight (reconciliation rebooks a passenger who lost a seat conflict).
   * Moving to the seat it already has is a no-op; a taken seat is a 409, an unknown key a 404.
   */
  async moveSeat(key: string, seat: string): Promise<Booking> {
    try {
      const r = await this.pool.query<Row>('UPDATE bookings SET seat = $2 WHERE idempotency_key = $1 RETURNING *', [key, seat]);
      if (!r.rows[0]) throw new HttpError(404, `no booking with idempotency key ${key}`, 'not-found');
      return toBooking(r.rows[0]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new HttpError(409, `seat ${seat} is already booked on the flight of ${key}`, 'seat-taken');
      dbError(err);
    }
  }

  async byKey(key: string): Promise<Booking | undefined> {
    try {
      const r = await this.pool.query<Row>('SELECT * FROM bookings WHERE idempotency_key = $1', [key]);
      return r.rows[0] ? toBooking(r.rows[0]) : undefined;
    } catch (err) {
      dbError(err);
    }
  }

  /** Which of these keys are stored, in one query (used to count acknowledged bookings lost in a failover). */
  async existingKeys(keys: string[]): Promise<string[]> {
    try {
      const r = await this.pool.query<{ idempotency_key: string }>('SELECT idempotency_key FROM bookings WHERE idempotency_key = ANY($1)', [keys]);
      return r.rows.map((x) => x.idempotency_key);
    } catch (err) {
      dbError(err);
    }
  }

  async seatsOf(flight: string): Promise<Booking[]> {
    try {
      const r = await this.pool.query<Row>('SELECT * FROM bookings WHERE flight = $1 ORDER BY seat', [flight]);
      return r.rows.map(toBooking);
    } catch (err) {
      dbError(err);
    }
  }

  /** Whether the database answers, and whether it would accept a write (not a standby, not fenced). */
  async probe(): Promise<{ reachable: boolean; writable: boolean; inRecovery: boolean | null; error?: string }> {
    let client: PoolClient | undefined;
    let failed = false;
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
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
