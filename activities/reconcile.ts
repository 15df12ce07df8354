import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../providers/contracts/errors';
import type { RegionName } from '../providers/contracts/provider';
import type { FlightSeats, HttpBookingService } from '../providers/http/booking-service';
import { malformedLineId, organizeLedger, samePassenger } from './ledger-items';
import type { DecidedConflict, FoundConflict, Holder, LedgerAccounting, LedgerItem, ReconcilePass, ResolutionOutcome } from './manual-booking-types';

/** What a reconciliation attempt heartbeats, so the next attempt after a crash starts where it stopped. */
interface Progress {
  done: string[];
  applied: number;
  alreadyInDatabase: number;
  settledEarlier: number;
  conflicts: FoundConflict[];
}

export interface ReconcileDeps {
  /** Production's booking services, or an isolated drill's scratch service when `scratch` names one. */
  booking: (on: { scratch?: string }) => HttpBookingService;
  /** A pause after each entry; only tests set it, to make a crash land in the middle of a pass. */
  entryDelayMs: number;
}

const isRefused = (err: unknown) => err instanceof ApplicationFailure && err.type === ProviderErrorType.Refused;

/**
 * Applying the offline ledger to the database and carrying out the operator's decisions. Every write is keyed
 * by the entry's idempotency key, so an attempt repeated after a crash never books twice.
 */
export function createReconcileActivities(deps: ReconcileDeps) {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function requireWritable(b: HttpBookingService, region: RegionName): Promise<void> {
    const health = await b.health({ region });
    if (!health.reachable || !health.db?.writable) {
      const why = !health.reachable
        ? `the booking service does not answer (${health.error})`
        : health.db?.reachable
          ? 'the database refuses writes'
          : `the database is unreachable (${health.db?.error ?? 'no answer'})`;
      throw new Error(`region ${region}: ${why}; nothing was applied`);
    }
  }

  async function freeSeat(b: HttpBookingService, region: RegionName, flight: string): Promise<string> {
    const seat = (await b.flightSeats({ region, flight })).seats.find((s) => !s.booked)?.seat;
    if (!seat) throw ApplicationFailure.nonRetryable(`flight ${flight} has no free seat left to rebook into`, ProviderErrorType.Precondition);
    return seat;
  }

  /** Books a counter entry; when its seat was taken meanwhile, into a free seat instead. */
  async function bookEntry(b: HttpBookingService, region: RegionName, entry: LedgerItem, key = entry.idempotencyKey): Promise<string> {
    const existing = await b.getBooking({ region, idempotencyKey: key });
    if (existing) return existing.seat;
    try {
      return (await b.importBooking({ region, idempotencyKey: key, flight: entry.flight, seat: entry.seat, passenger: entry.passenger })).booking.seat;
    } catch (err) {
      if (!isRefused(err)) throw err;
      const seat = await freeSeat(b, region, entry.flight);
      return (await b.importBooking({ region, idempotencyKey: key, flight: entry.flight, seat, passenger: entry.passenger })).booking.seat;
    }
  }

  return {
    /**
     * One pass over the ledger: applies every entry that fits, and lists those that conflict. Heartbeats after each
     * entry; a retried attempt skips what the last heartbeat recorded, and anything applied after it is found in the
     * database by its key. Refuses to start (applying nothing) while the database is not writable.
     */
    async reconcileLedger(args: { region: RegionName; scratch?: string; settled: string[]; confirmedFlights: string[] }): Promise<ReconcilePass> {
      const b = deps.booking(args);
      const { region } = args;
      await requireWritable(b, region);
      const previous = Context.current().info.heartbeatDetails as Progress | undefined;
      const progress: Progress = previous ?? { done: [], applied: 0, alreadyInDatabase: 0, settledEarlier: 0, conflicts: [] };
      const done = new Set(progress.done);
      const settled = new Set(args.settled);
      const confirmed = new Set(args.confirmedFlights);
      const ledger = organizeLedger(await b.readLedger({ region }));
      const ledgerKeys = new Map(ledger.items.map((i) => [i.idempotencyKey, i]));
      const seatMaps = new Map<string, FlightSeats>();
      const seatsOf = async (flight: string, fresh = false) => {
        if (fresh || !seatMaps.has(flight)) seatMaps.set(flight, await b.flightSeats({ region, flight }));
        return seatMaps.get(flight)!;
      };
      const holderOf = async (key: string, passenger: string, seat: string): Promise<Holder> => {
        const fromLedger = ledgerKeys.get(key);
        if (fromLedger) return { idempotencyKey: key, passenger, seat, bookedAt: fromLedger.recordedAt, source: 'ledger' };
        const booking = await b.getBooking({ region, idempotencyKey: key });
        return { idempotencyKey: key, passenger, seat, bookedAt: booking?.createdAt ?? '', source: 'online' };
      };
      const earliest = (holder: Holder, entry: LedgerItem) => (Date.parse(holder.bookedAt) <= Date.parse(entry.recordedAt) ? 'keep-database' : 'keep-ledger');

      // Lines that can never be applied by themselves are listed on every pass until decided.
      const standing: FoundConflict[] = [
        ...ledger.malformed.map((line): FoundConflict => ({
          itemId: malformedLineId(line),
          kind: 'malformed',
          line,
          detail: `${line.station} line ${line.lineNumber} cannot be read (${line.error}): ${line.text.slice(0, 120)}`,
          options: ['discard'],
        })),
        ...ledger.keyReused.map(({ item, first }): FoundConflict => ({
          itemId: item.id,
          kind: 'duplicate-key',
          entry: item,
          detail: `key ${item.idempotencyKey} at ${item.station} (${item.passenger}, ${item.flight} ${item.seat}) was already used at ${first.station} for ${first.passenger}, ${first.flight} ${first.seat}`,
          options: ['keep-ledger', 'discard'],
        })),
      ].filter((c) => !settled.has(c.itemId));

      for (const item of ledger.items) {
        if (done.has(item.id)) continue;
        let conflict: FoundConflict | undefined;
        const existing = settled.has(item.id) ? undefined : await b.getBooking({ region, idempotencyKey: item.idempotencyKey });
        if (settled.has(item.id)) {
          progress.settledEarlier++;
        } else if (existing && existing.flight === item.flight && samePassenger(existing.passenger, item.passenger)) {
          progress.alreadyInDatabase++;
        } else if (existing) {
          conflict = {
            itemId: item.id,
            kind: 'duplicate-key',
            entry: item,
            holder: await holderOf(existing.idempotencyKey, existing.passenger, existing.seat),
            detail: `key ${item.idempotencyKey} at ${item.station} is already a booking for ${existing.passenger}, ${existing.flight} ${existing.seat}`,
            options: ['keep-ledger', 'discard'],
          };
        } else {
          const seats = await seatsOf(item.flight);
          const known = confirmed.has(item.flight) || seats.seats.some((s) => s.booked && !ledgerKeys.has(s.idempotencyKey ?? ''));
          const namesake = seats.seats.find((s) => s.booked && s.idempotencyKey !== item.idempotencyKey && samePassenger(s.passenger ?? '', item.passenger));
          if (!known) {
            conflict = {
              itemId: item.id,
              kind: 'unknown-flight',
              entry: item,
              detail: `flight ${item.flight} (${item.passenger}, seat ${item.seat}, ${item.station}) is unknown to the database`,
              options: ['keep-ledger', 'discard'],
            };
          } else if (namesake) {
            const holder = await holderOf(namesake.idempotencyKey!, namesake.passenger!, namesake.seat);
            conflict = {
              itemId: item.id,
              kind: 'duplicate-passenger',
              entry: item,
              holder,
              detail: `${item.passenger} already has seat ${holder.seat} on ${item.flight} (${holder.source}, ${holder.idempotencyKey}); ${item.station} gave them ${item.seat}`,
              options: ['keep-database', 'keep-ledger', 'keep-both', 'discard'],
              earliest: earliest(holder, item),
            };
          } else {
            try {
              await b.importBooking({ region, idempotencyKey: item.idempotencyKey, flight: item.flight, seat: item.seat, passenger: item.passenger });
              progress.applied++;
              await seatsOf(item.flight, true);
            } catch (err) {
              if (!isRefused(err)) throw err;
              const taken = (await seatsOf(item.flight, true)).seats.find((s) => s.seat === item.seat);
              const holder = await holderOf(taken?.idempotencyKey ?? '', taken?.passenger ?? 'unknown', item.seat);
              conflict = {
                itemId: item.id,
                kind: 'seat-taken',
                entry: item,
                holder,
                detail: `${item.flight} seat ${item.seat}: ${item.passenger} (${item.station}, ${item.recordedAt}) and ${holder.passenger} (${holder.source}, ${holder.bookedAt})`,
                options: ['keep-database', 'keep-ledger', 'discard'],
                earliest: earliest(holder, item),
              };
            }
          }
        }
        if (conflict) progress.conflicts.push(conflict);
        progress.done.push(item.id);
        done.add(item.id);
        Context.current().heartbeat(progress);
        if (deps.entryDelayMs > 0) await sleep(deps.entryDelayMs);
      }
      return {
        entries: ledger.items.length + ledger.keyReused.length + ledger.copies.length,
        applied: progress.applied,
        alreadyInDatabase: progress.alreadyInDatabase,
        settledEarlier: progress.settledEarlier,
        verificationEntries: ledger.checkEntries,
        duplicates: ledger.copies,
        conflicts: [...standing, ...progress.conflicts],
        resumed: previous !== undefined,
      };
    },

    /** Carries out decided conflicts. Each is idempotent: a repeated call finds its booking or move already done. */
    async applyResolutions(args: { region: RegionName; scratch?: string; decided: DecidedConflict[] }): Promise<ResolutionOutcome[]> {
      const b = deps.booking(args);
      const { region } = args;
      await requireWritable(b, region);
      const outcomes: ResolutionOutcome[] = [];
      for (const { id, conflict, decision } of args.decided) {
        const entry = conflict.entry;
        const holder = conflict.holder;
        let outcome: string;
        if (decision === 'discard' || !entry) {
          outcome = `not applied (${conflict.kind} discarded)`;
        } else if (conflict.kind === 'seat-taken' && decision === 'keep-database') {
          const seat = await bookEntry(b, region, entry, entry.idempotencyKey);
          outcome = `${holder?.passenger} keeps ${entry.flight} ${entry.seat}; ${entry.passenger} rebooked into ${seat}`;
        } else if (conflict.kind === 'seat-taken' && decision === 'keep-ledger' && holder) {
          const current = await b.getBooking({ region, idempotencyKey: holder.idempotencyKey });
          let moved = current?.seat ?? '?';
          if (current && current.seat === entry.seat)
            moved = (await b.moveBooking({ region, idempotencyKey: holder.idempotencyKey, seat: await freeSeat(b, region, entry.flight) })).seat;
          await b.importBooking({ region, idempotencyKey: entry.idempotencyKey, flight: entry.flight, seat: entry.seat, passenger: entry.passenger });
          outcome = `${entry.passenger} keeps ${entry.flight} ${entry.seat}; ${holder.passenger} rebooked into ${moved}`;
        } else if (conflict.kind === 'duplicate-passenger' && decision === 'keep-database') {
          outcome = `${entry.passenger} keeps ${holder?.seat} on ${entry.flight}; the counter's ${entry.seat} is not booked again`;
        } else if (conflict.kind === 'duplicate-passenger' && decision === 'keep-ledger' && holder) {
          const current = await b.getBooking({ region, idempotencyKey: holder.idempotencyKey });
          if (current && current.seat !== entry.seat) await b.moveBooking({ region, idempotencyKey: holder.idempotencyKey, seat: entry.seat });
          outcome = `${entry.passenger}'s booking ${holder.idempotencyKey} moved to the counter's seat ${entry.seat}; one booking kept`;
        } else if (conflict.kind === 'duplicate-key') {
          const key = `${entry.idempotencyKey}#${entry.station}`;
          const seat = await bookEntry(b, region, entry, key);
          outcome = `applied under key ${key}, seat ${seat}`;
        } else {
          const seat = await bookEntry(b, region, entry);
          outcome = `applied: ${entry.passenger} on ${entry.flight} seat ${seat}`;
        }
        outcomes.push({ id, outcome });
      }
      return outcomes;
    },

    /**
     * Checks that every ledger line ended somewhere: booked under its key, or settled by a recorded decision,
     * or an identical copy of one that was. Lists what is not.
     */
    async accountLedger(args: { region: RegionName; scratch?: string; settled: string[] }): Promise<LedgerAccounting> {
      const b = deps.booking(args);
      const settled = new Set(args.settled);
      const ledger = organizeLedger(await b.readLedger({ region: args.region }));
      const result: LedgerAccounting = {
        entries: 0,
        applied: 0,
        rebooked: 0,
        settledByDecision: 0,
        duplicateCopies: ledger.copies.length,
        malformedLines: ledger.malformed.length,
        unaccounted: [],
      };
      result.entries = ledger.items.length + ledger.keyReused.length + ledger.copies.length;
      for (const item of ledger.items) {
        const booking = await b.getBooking({ region: args.region, idempotencyKey: item.idempotencyKey });
        if (booking && booking.flight === item.flight && samePassenger(booking.passenger, item.passenger)) {
          result.applied++;
          if (booking.seat !== item.seat) result.rebooked++;
        } else if (settled.has(item.id)) result.settledByDecision++;
        else result.unaccounted.push(item.id);
      }
      for (const { item } of ledger.keyReused) {
        if (settled.has(item.id)) result.settledByDecision++;
        else result.unaccounted.push(item.id);
      }
      for (const line of ledger.malformed) if (!settled.has(malformedLineId(line))) result.unaccounted.push(malformedLineId(line));
      return result;
    },
  };
}
