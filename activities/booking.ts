import type { RegionName } from '../providers/contracts/provider';
import type { ServiceMode } from '../providers/contracts/service-mode';
import type { Booking, BookingHealth, FlightSeats, LedgerEntry, LedgerRead } from '../providers/http/booking-service';
import { need, type ServiceProviders } from '../providers/registry';
import type { TargetsAccess } from './targets';
import { eachMember, type OnService } from './traffic';

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
    /**
     * A region's health; never throws: an unreachable service is `reachable: false`. The top-level fields are the
     * named service's; for a service in a failover group, `members` has every member's health, named first.
     */
    async health(args: OnService & { region: RegionName }): Promise<BookingHealth & { members?: (BookingHealth & { service: string })[] }> {
      const group = access.group(args.service);
      if (group.length === 1) return modes(args).health(args.region);
      const members = await Promise.all(group.map(async (p) => ({ ...(await need(p, 'serviceMode').health(args.region)), service: p.service })));
      const { service: _named, ...named } = members[0]!;
      return { ...named, members };
    },
    async getMode(args: OnService & { region: RegionName }): Promise<{ region: RegionName; mode: ServiceMode }> {
      return { region: args.region, mode: await modes(args).getMode(args.region) };
    },
    /**
     * Sets a region's mode and returns the previous one (so a compensation can restore it). Idempotent. For a service
     * in a failover group it sets every member's mode, since they move together; `alone: true` sets the named
     * service's only (manual booking mode takes booking to the counters, not the services that share its database).
     * The top-level fields are the named service's; `members` has each member's, named first.
     */
    async setMode(args: OnService & { region: RegionName; mode: ServiceMode; alone?: boolean }): Promise<{
      region: RegionName;
      mode: ServiceMode;
      previous: ServiceMode;
      changed: boolean;
      members: { service: string; previous: ServiceMode; changed: boolean }[];
    }> {
      const set = (p: ServiceProviders) => need(p, 'serviceMode').setMode(args.region, args.mode);
      const members = args.alone ? [{ service: providers(args).service, result: await set(providers(args)) }] : await eachMember(access, args, set);
      return { region: args.region, mode: args.mode, ...members[0]!.result, members: members.map(({ service, result }) => ({ service, ...result })) };
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
