import type { RegionName } from '../providers/contracts/provider';
import type { ServiceMode } from '../providers/contracts/service-mode';
import type { Booking, BookingHealth, FlightSeats, LedgerEntry, LedgerRead } from '../providers/http/booking-service';
import { need } from '../providers/registry';
import type { TargetsAccess } from './targets';
import type { OnService } from './traffic';

export type { Booking, BookingHealth, BookingMode, FlightSeats, LedgerEntry, LedgerRead } from '../providers/http/booking-service';

/**
 * The service's modes through its service-mode provider, and the booking service's own operations (bookings, seats,
 * the offline ledger) where the targets file names its HTTP API. Writes carry the caller's idempotency key.
 */
export function createBookingActivities(access: TargetsAccess) {
  const providers = (on: OnService) => access.service(on.service);
  const booking = (on: OnService) => need(providers(on), 'booking');
  const modes = (on: OnService) => need(providers(on), 'serviceMode');
  return {
    /** A region's health; never throws: an unreachable service is `reachable: false`. */
    health: (args: OnService & { region: RegionName }): Promise<BookingHealth> => modes(args).health(args.region),
    async getMode(args: OnService & { region: RegionName }): Promise<{ region: RegionName; mode: ServiceMode }> {
      return { region: args.region, mode: await modes(args).getMode(args.region) };
    },
    /** Sets a region's mode and returns the previous one (so a compensation can restore it). Idempotent. */
    async setMode(
      args: OnService & { region: RegionName; mode: ServiceMode },
    ): Promise<{ region: RegionName; mode: ServiceMode; previous: ServiceMode; changed: boolean }> {
      return { region: args.region, mode: args.mode, ...(await modes(args).setMode(args.region, args.mode)) };
    },
    createBooking: ({ service, ...args }: OnService & { region?: RegionName; idempotencyKey: string; flight: string; seat: string; passenger: string }) =>
      booking({ service }).createBooking(args),
    importBooking: ({ service, ...args }: OnService & { region: RegionName; idempotencyKey: string; flight: string; seat: string; passenger: string }) =>
      booking({ service }).importBooking(args),
    moveBooking: ({ service, ...args }: OnService & { region: RegionName; idempotencyKey: string; seat: string }): Promise<Booking> =>
      booking({ service }).moveBooking(args),
    flightSeats: ({ service, ...args }: OnService & { region: RegionName; flight: string }): Promise<FlightSeats> => booking({ service }).flightSeats(args),
    getBooking: ({ service, ...args }: OnService & { region?: RegionName; idempotencyKey: string }): Promise<Booking | null> =>
      booking({ service }).getBooking(args),
    appendLedger: ({ service, ...args }: OnService & Omit<LedgerEntry, 'recordedAt' | 'region'> & { region: RegionName; recordedAt?: string }) =>
      booking({ service }).appendLedger(args),
    readLedger: ({ service, ...args }: OnService & { region: RegionName; station?: string }): Promise<LedgerRead> => booking({ service }).readLedger(args),
  };
}

export type BookingActivities = ReturnType<typeof createBookingActivities>;
