import { Client } from 'pg';
import { samePassenger } from '../../activities/ledger-items';
import { CHECK_STATION } from '../../activities/manual-booking-types';
import type { EstateCatalog, RegionName } from '../../estate/catalog';

/** A counter's ledger line, as the booking service's `GET /ledger` lists it. */
export interface LedgerLine {
  station: string;
  idempotencyKey: string;
  flight: string;
  passenger: string;
}

/** A row of the bookings table. */
export interface BookedRow {
  idempotencyKey: string;
  flight: string;
  passenger: string;
}

/**
 * Ledger lines that became more than one booking. Reconciliation books a line under its own key, or under
 * `<key>#<station>` when an operator kept it although its key was taken by another booking; the key is unique in the
 * database, so a line booked twice shows as the passenger's booking under both keys.
 */
export function ledgerLinesBookedTwice(lines: readonly LedgerLine[], bookings: readonly BookedRow[]): string[] {
  const byKey = new Map(bookings.map((b) => [b.idempotencyKey, b]));
  const twice: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (line.station === CHECK_STATION) continue;
    const id = `${line.station}:${line.idempotencyKey}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const keys = [line.idempotencyKey, `${line.idempotencyKey}#${line.station}`];
    const booked = keys.filter((k) => {
      const b = byKey.get(k);
      return b !== undefined && b.flight === line.flight && samePassenger(b.passenger, line.passenger);
    });
    if (booked.length > 1) twice.push(`ledger line ${id} (${line.passenger}, ${line.flight}) is booked under ${booked.join(' and ')}`);
  }
  return twice;
}

/**
 * Reads booking's offline ledgers (both regions, through their services) and its bookings (from whichever node is
 * the writable primary now), and returns the lines booked twice. Undefined when the bookings could not be read.
 */
export async function readLedgerBookedTwice(catalog: EstateCatalog): Promise<string[] | undefined> {
  const regions = catalog.services.booking.regions;
  const lines: LedgerLine[] = [];
  for (const r of ['A', 'B'] as RegionName[]) {
    try {
      const res = await fetch(new URL('/ledger', regions[r].url), { signal: AbortSignal.timeout(5_000) });
      if (res.ok) lines.push(...((await res.json()) as { entries: LedgerLine[] }).entries);
    } catch {
      // A region whose service is down keeps its ledger on disk; the other region's is still checked.
    }
  }
  if (lines.length === 0) return [];
  for (const r of ['A', 'B'] as RegionName[]) {
    const bookings = await primaryBookings(regions[r].postgres);
    if (bookings) return ledgerLinesBookedTwice(lines, bookings);
  }
  return undefined;
}

async function primaryBookings(node: { host: string; port: number; user: string; database: string }): Promise<BookedRow[] | undefined> {
  const client = new Client({
    host: node.host,
    port: node.port,
    user: node.user,
    database: node.database,
    connectionTimeoutMillis: 3_000,
    query_timeout: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // The writable primary: an old primary a failover fenced is out of recovery too, but misses every later booking.
    const { rows } = await client.query<{ writable: boolean }>(
      `SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off' AS writable`,
    );
    if (rows[0]?.writable !== true) return undefined;
    const booked = await client.query<BookedRow>('SELECT idempotency_key AS "idempotencyKey", flight, passenger FROM bookings');
    return booked.rows;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
