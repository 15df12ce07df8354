import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { ServiceHealth, ServiceMode, ServiceModeProvider } from '../contracts/service-mode';
import { callJson } from '../shared/http-json';
import type { HttpServiceModeSettings } from './settings';

/** The booking service's modes: the service-mode contract's. */
export type BookingMode = ServiceMode;

/** A region's booking service as `GET /health` reports it. */
export type BookingHealth = ServiceHealth;

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
 * The booking service over its HTTP API (docs/api/service-mode.openapi.json for the modes; the booking and ledger
 * operations are the sample booking service's own). Writes carry the caller's idempotency key, so a retried
 * activity never books twice; setting the mode it already has is a no-op. `entryUrl` is where clients enter (the
 * traffic provider's), used when no region is named.
 */
export function createHttpBookingService(settings: HttpServiceModeSettings, entryUrl?: string) {
  const t = settings.timeoutMs;
  const base = (region?: RegionName) => {
    if (region) {
      const r = settings.regions[region];
      if (!r)
        throw providerFailure(
          ProviderErrorType.UnknownTarget,
          `the booking service has no region "${region}"; it has ${Object.keys(settings.regions).join(', ')}`,
        );
      return r.url;
    }
    if (!entryUrl) throw providerFailure(ProviderErrorType.InvalidInput, 'no region given, and the traffic provider names no entry URL to book through');
    return entryUrl;
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
    async setMode(args: {
      region: RegionName;
      mode: BookingMode;
    }): Promise<{ region: RegionName; mode: BookingMode; previous: BookingMode; changed: boolean }> {
      const { body } = await callJson<{ mode: BookingMode; previous: BookingMode }>(`${base(args.region)}/admin/mode`, {
        method: 'PUT',
        body: { mode: args.mode },
        timeoutMs: t,
      });
      return { region: args.region, mode: body.mode, previous: body.previous, changed: body.previous !== body.mode };
    },

    /**
     * Books a seat, in a region or through the load balancer. A taken seat is non-retryable (`Refused`);
     * refusal by mode or a read-only/unreachable database is retryable (it may clear after a failover).
     */
    async createBooking(args: {
      region?: RegionName;
      idempotencyKey: string;
      flight: string;
      seat: string;
      passenger: string;
    }): Promise<{ booking: Booking; replayed: boolean }> {
      const { region, ...request } = args;
      const { body } = await callJson<{ booking: Booking; replayed: boolean }>(`${base(region)}/bookings`, { body: request, timeoutMs: t });
      return body;
    },

    /**
     * Books a seat in a region whatever its mode: how reconciliation writes the offline ledger into the database
     * while online booking is still refused. Same idempotency and seat rules as `createBooking`.
     */
    async importBooking(args: {
      region: RegionName;
      idempotencyKey: string;
      flight: string;
      seat: string;
      passenger: string;
    }): Promise<{ booking: Booking; replayed: boolean }> {
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
      const { status, body } = await callJson<{ booking: Booking }>(`${base(args.region)}/bookings/${encodeURIComponent(args.idempotencyKey)}`, {
        timeoutMs: t,
        accept: [404],
      });
      return status === 404 ? null : body.booking;
    },

    /** Records a booking in a region's offline ledger (counter staff). Idempotent by key per station. */
    async appendLedger(
      args: Omit<LedgerEntry, 'recordedAt' | 'region'> & { region: RegionName; recordedAt?: string },
    ): Promise<{ entry: LedgerEntry; duplicate: boolean }> {
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

export type HttpBookingService = ReturnType<typeof createHttpBookingService>;

/** The same service seen through the service-mode contract, for the runbooks that only switch modes. */
export function httpServiceMode(settings: HttpServiceModeSettings, service: HttpBookingService = createHttpBookingService(settings)): ServiceModeProvider {
  const regions = Object.keys(settings.regions);
  return {
    kind: 'http',
    describe: () => `http (${regions.map((r) => `${r} ${settings.regions[r]!.url}`).join(', ')})`,
    health: (region) => service.health({ region }),
    getMode: async (region) => (await service.getMode({ region })).mode,
    setMode: async (region, mode) => {
      const r = await service.setMode({ region, mode });
      return { previous: r.previous, changed: r.changed };
    },
    urlOf: (region) => settings.regions[region]?.url,
    async probe(): Promise<ProbeResult[]> {
      return Promise.all(
        regions.map(async (region): Promise<ProbeResult> => {
          const h = await service.health({ region });
          const check = `region ${region}: GET ${settings.regions[region]!.url}/health`;
          if (!h.reachable) return { check, ok: false, detail: h.error ?? 'unreachable' };
          return {
            check,
            ok: true,
            detail: `mode ${h.mode ?? '?'}, status ${h.status ?? '?'}${h.db ? `, database ${h.db.writable ? 'writable' : 'read-only'}` : ''}`,
          };
        }),
      );
    },
  };
}
