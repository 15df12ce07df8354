import { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../providers/contracts/errors';
import type { RegionName } from '../providers/contracts/provider';
import type { BookingMode, HttpBookingService } from '../providers/http/booking-service';
import type { BookingTarget } from '../providers/contracts/isolated-drills';
import { need } from '../providers/registry';
import { MANUAL_BOOKING_SERVICE } from '../runbooks/manual-booking-mode';
import { createScratchBookingActivities } from './isolated-drills';
import { CHECK_FLIGHT, CHECK_STATION, type HoldingSnapshot } from './manual-booking-types';
import { createReconcileActivities } from './reconcile';
import { knownRegion, type TargetsAccess } from './targets';

export interface ManualBookingDeps {
  access: TargetsAccess;
  /** Pause after each reconciled entry; tests set LIFEBOAT_RECONCILE_DELAY_MS so a crash lands mid-pass. */
  entryDelayMs?: number;
}

/** The part of an HTTP error a person reads: the service's own message. */
const serviceMessage = (err: unknown) => ((err as Error).message ?? String(err)).replace(/^.*?HTTP \d+: /, '');

/**
 * Activities of the manual booking procedure that span more than one adapter call: which region to act on, the
 * checks that manual mode works, the holding snapshot, and reconciliation. The catalog is read at each call.
 */
export function createManualBookingActivities(deps: ManualBookingDeps) {
  /** Production's booking services, or with `scratch` an isolated drill's scratch service (never production). */
  const booking = (on: { scratch?: string } = {}): HttpBookingService => {
    const service = () => deps.access.service(MANUAL_BOOKING_SERVICE);
    if (!on.scratch) return need(service(), 'booking');
    return need(service(), 'sampleEstate').bookingFor(on, () => need(service(), 'booking'));
  };
  const entryDelayMs = deps.entryDelayMs ?? Number(process.env.LIFEBOAT_RECONCILE_DELAY_MS ?? 0);

  return {
    ...createReconcileActivities({ booking, entryDelayMs }),
    ...createScratchBookingActivities(deps.access),

    /**
     * The region booking is served from: the one asked for (which the targets file must list), else the traffic
     * provider's active region, else the one whose database accepts writes, else the home region (the first in the
     * targets file; the database may be down).
     */
    async bookingRegionInUse(args: { region?: RegionName }): Promise<{ region: RegionName; how: string }> {
      const providers = deps.access.service(MANUAL_BOOKING_SERVICE);
      if (args.region) return { region: knownRegion(providers, 'region', args.region), how: 'given in the input' };
      if (providers.traffic) {
        const active = await providers.traffic.active();
        if (active.region) return { region: active.region, how: `the traffic provider's active region (${active.endpoint})` };
      }
      const modes = need(providers, 'serviceMode');
      for (const region of providers.regions) {
        if ((await modes.health(region)).db?.writable) return { region, how: 'its database accepts writes' };
      }
      return { region: providers.regions[0]!, how: 'no database accepts writes; the home region (first in the targets file)' };
    },

    /**
     * The mode booking is in, on production or a drill's scratch service: read before the mode switch, so that its undo
     * restores it even when a retried switch found its own mode already set.
     */
    async bookingMode(on: BookingTarget): Promise<{ region: RegionName; mode: BookingMode }> {
      return booking(on).getMode({ region: on.region });
    },

    /** Proves customers are turned away with a message naming the mode; a booking that goes through fails the check. */
    async verifyOnlineRefused(args: BookingTarget & { mode: BookingMode; idempotencyKey: string }): Promise<{ refusedWith: string }> {
      const b = booking(args);
      try {
        const { booking: made } = await b.createBooking({
          region: args.region,
          idempotencyKey: args.idempotencyKey,
          flight: CHECK_FLIGHT,
          seat: '99F',
          passenger: 'Lifeboat refusal check',
        });
        throw ApplicationFailure.nonRetryable(
          `online booking is still accepted in region ${args.region} (booking ${made.idempotencyKey} was made); the mode did not take effect`,
          ProviderErrorType.Precondition,
        );
      } catch (err) {
        if (err instanceof ApplicationFailure && err.type === ProviderErrorType.Precondition) throw err;
        const message = serviceMessage(err);
        if (!message.includes(`${args.mode} mode`)) throw new Error(`online booking failed, but not because of ${args.mode} mode: ${message}`);
        return { refusedWith: message };
      }
    },

    /** Records a marked check entry at the check station and reads it back; reconciliation never applies it. */
    async verifyLedgerRecords(args: BookingTarget & { idempotencyKey: string }): Promise<{ station: string; recordedAt: string }> {
      const b = booking(args);
      const { entry } = await b.appendLedger({
        region: args.region,
        station: CHECK_STATION,
        idempotencyKey: args.idempotencyKey,
        flight: CHECK_FLIGHT,
        seat: '99F',
        passenger: 'Lifeboat ledger check, not a booking',
      });
      const back = await b.readLedger({ region: args.region, station: CHECK_STATION });
      if (!back.entries.some((e) => e.idempotencyKey === args.idempotencyKey)) {
        throw new Error(`the check entry ${args.idempotencyKey} was acknowledged but is not in the ledger of region ${args.region}`);
      }
      return { station: CHECK_STATION, recordedAt: entry.recordedAt };
    },

    /** What holding status shows: the mode, the database's health, and the ledger's entries by station. Never throws. */
    async holdingSnapshot(args: BookingTarget): Promise<HoldingSnapshot> {
      const b = booking(args);
      const health = await b.health({ region: args.region });
      const snapshot: HoldingSnapshot = {
        at: new Date().toISOString(),
        mode: health.mode ?? 'unknown',
        database: health.db ?? { reachable: false, writable: false, error: health.error ?? 'the booking service does not answer' },
        ledger: { byStation: {}, total: 0, malformed: 0 },
      };
      try {
        const ledger = await b.readLedger({ region: args.region });
        for (const e of ledger.entries) {
          if (e.station === CHECK_STATION) continue;
          snapshot.ledger.byStation[e.station] = (snapshot.ledger.byStation[e.station] ?? 0) + 1;
          snapshot.ledger.total++;
        }
        snapshot.ledger.malformed = ledger.malformed.length;
      } catch (err) {
        snapshot.ledger.malformed = -1;
        snapshot.database = { ...snapshot.database, error: `ledger unreadable: ${(err as Error).message}` };
      }
      return snapshot;
    },

    /** Books one seat online on the check flight under a key from the run, proving normal mode works. Idempotent. */
    async verifyOnlineBooking(args: BookingTarget & { idempotencyKey: string }): Promise<{ seat: string; bookingId: number }> {
      const b = booking(args);
      const existing = await b.getBooking({ region: args.region, idempotencyKey: args.idempotencyKey });
      if (existing) return { seat: existing.seat, bookingId: existing.id };
      const seat = (await b.flightSeats({ region: args.region, flight: CHECK_FLIGHT })).seats.find((s) => !s.booked)?.seat;
      if (!seat) throw ApplicationFailure.nonRetryable(`check flight ${CHECK_FLIGHT} is full; remove old check bookings`, ProviderErrorType.Precondition);
      const { booking: made } = await b.createBooking({
        region: args.region,
        idempotencyKey: args.idempotencyKey,
        flight: CHECK_FLIGHT,
        seat,
        passenger: 'Lifeboat online check',
      });
      return { seat: made.seat, bookingId: made.id };
    },
  };
}

export type ManualBookingActivities = ReturnType<typeof createManualBookingActivities>;
