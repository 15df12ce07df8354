import { EstateErrorType, callJson, type EstateCatalog, type RegionName } from './catalog';
import { ApplicationFailure } from '@temporalio/common';

/** The booking service's modes (mirrors the service's contract). */
export type BookingMode = 'normal' | 'read-only' | 'manual';

/** What the booking adapter needs: each region's service URL, and optionally the load balancer's client URL. */
export interface BookingDeps {
  regions: Record<RegionName, { url: string }>;
  clientUrl?: string;
  timeoutMs?: number;
}

export function bookingDepsFromCatalog(catalog: EstateCatalog): BookingDeps {
  const r = catalog.services.booking.regions;
  return { regions: { A: { url: r.A.url }, B: { url: r.B.url } }, ...(catalog.loadBalancer ? { clientUrl: catalog.loadBalancer.clientUrl } : {}) };
}

export interface BookingHealth {
  region: RegionName;
  reachable: boolean;
  mode?: BookingMode;
  status?: 'ok' | 'degraded';
  db?: { reachable: boolean; writable: boolean; inRecovery: boolean | null; error?: string };
  error?: string;
}

export interface Booking {
  id: number;
  idempotencyKey: string;
  flight: string;
  seat: string;
  passenger: string;
  region: string;
  createdAt: string;
}

export interface FlightSeats {
  flight: string;
  bookedCount: number;
  seats: { seat: string; booked: boolean; passenger?: string; idempotencyKey?: string }[];
}

export interface LedgerEntry {
  idempotencyKey: string;
  station: string;
  flight: string;
  seat: string;
  passenger: string;
  recordedAt: string;
  region: RegionName;
}

export interface LedgerRead {
  region: RegionName;
  entries: LedgerEntry[];
  malformed: { station: string; lineNumber: number; text: string; error: string }[];
}

/**
 * Activities on the booking services over their HTTP API. Writes carry the caller's idempotency key,
 * so a retried activity never books twice; setting the mode it already has is a no-op.
 */
export function createBookingActivities(deps: BookingDeps) {
  const t = deps.timeoutMs ?? 5_000;
  const base = (region?: RegionName) => {
    if (region) return deps.regions[region].url;
    if (!deps.clientUrl) throw ApplicationFailure.nonRetryable('no region given and no load balancer in the catalog', EstateErrorType.InvalidInput);
    return deps.clientUrl;
  };

  return {
    /** A region's health; never throws: an unreachable service is `reachable: false`. */
    async health(args: { region: RegionName }): Promise<BookingHealth> {
      try {
        const { body } = await callJson<Omit<BookingHealth, 'reachable'>>(`${base(args.region)}/health`, { timeoutMs: t });
        return { ...body, region: args.region, reachable: true };
      } catch (err) {
        return { region: args.region, reachable: false, error: (err as Error).message };
      }
    },

    async getMode(args: { region: RegionName }): Promise<{ region: RegionName; mode: BookingMode }> {
      const { body } = await callJson<{ mode: BookingMode }>(`${base(args.region)}/admin/mode`, { timeoutMs: t });
      return { region: args.region, mode: body.mode };
    },

    /** Sets a region's mode and returns the previous one (so a compensation can restore it). Idempotent. */
    async setMode(args: { region: RegionName; mode: BookingMode }): Promise<{ region: RegionName; mode: BookingMode; previous: BookingMode; changed: boolean }> {
      const { body } = await callJson<{ mode: BookingMode; previous: BookingMode }>(`${base(args.region)}/admin/mode`, { method: 'PUT', body: { mode: args.mode }, timeoutMs: t });
      return { region: args.region, mode: body.mode, previous: body.previous, changed: body.previous !== body.mode };
    },

    /**
     * Books a seat, in a region or through the load balancer. A taken seat is non-retryable (`Refused`);
     * refusal by mode or a read-only/unreachable database is retryable (it may clear after a failover).
     */
    async createBooking(args: { region?: RegionName; idempotencyKey: string; flight: string; seat: string; passenger: string }): Promise<{ booking: Booking; replayed: boolean }> {
      const { region, ...request } = args;
      const { body } = await callJson<{ booking: Booking; replayed: boolean }>(`${base(region)}/bookings`, { body: request, timeoutMs: t });
      return body;
    },

    /**
     * Books a seat in a region whatever its mode: how reconciliation writes the offline ledger into the database
     * while online booking is still refused. Same idempotency and seat rules as `createBooking`.
     */
    async importBooking(args: { region: RegionName; idempotencyKey: string; flight: string; seat: string; passenger: string }): Promise<{ booking: Booking; replayed: boolean }> {
      const { region, ...request } = args;
      const { body } = await callJson<{ booking: Booking; replayed: boolean }>(`${base(region)}/admin/bookings`, { body: request, timeoutMs: t });
      return body;
    },

    /** Moves a booking to another seat of its flight; idempotent (the seat it has is a no-op); a taken seat is `Refused`. */
    async moveBooking(args: { region: RegionName; idempotencyKey: string; seat: string }): Promise<Booking> {
      const url = `${base(args.region)}/admin/bookings/${encodeURIComponent(args.idempotencyKey)}/seat`;
      const { body } = await callJson<{ booking: Booking }>(url, { method: 'PUT', body: { seat: args.seat }, timeoutMs: t });
      return body.booking;
    },

    /** A flight's seat map: every standard seat, booked or free, with the passenger and key of each booked one. */
    async flightSeats(args: { region: RegionName; flight: string }): Promise<FlightSeats> {
      const { body } = await callJson<FlightSeats>(`${base(args.region)}/flights/${encodeURIComponent(args.flight)}/seats`, { timeoutMs: t });
      return body;
    },

    /** Reads one booking by idempotency key; `null` when it does not exist. */
    async getBooking(args: { region?: RegionName; idempotencyKey: string }): Promise<Booking | null> {
      const { status, body } = await callJson<{ booking: Booking }>(`${base(args.region)}/bookings/${encodeURIComponent(args.idempotencyKey)}`, { timeoutMs: t, accept: [404] });
      return status === 404 ? null : body.booking;
    },

    /** Records a booking in a region's offline ledger (counter staff). Idempotent by key per station. */
    async appendLedger(args: Omit<LedgerEntry, 'recordedAt' | 'region'> & { region: RegionName; recordedAt?: string }): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
      const { region, ...entry } = args;
      const { body } = await callJson<{ entry: LedgerEntry; duplicate: boolean }>(`${base(region)}/ledger`, { body: entry, timeoutMs: t });
      return body;
    },

    /** Reads a region's offline ledger (one station or all); damaged lines come back under `malformed`. */
    async readLedger(args: { region: RegionName; station?: string }): Promise<LedgerRead> {
      const q = args.station ? `?station=${encodeURIComponent(args.station)}` : '';
      const { body } = await callJson<LedgerRead>(`${base(args.region)}/ledger${q}`, { timeoutMs: t });
      return body;
    },
  };
}

export type BookingActivities = ReturnType<typeof createBookingActivities>;
