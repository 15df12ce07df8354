import { z } from 'zod';
import type { HttpBookingService } from '../http/booking-service';
import type { RegionName } from './provider';
import type { ServiceMode } from './service-mode';

/** Where an isolated drill's database clone lives and listens. */
export interface CloneInfo {
  name: string;
  dataDir: string;
  port: number;
}

/**
 * What an isolated drill's scratch booking service is, recorded on disk when it starts so a worker that crashed
 * (or a later drill under the same workflow id) can find it and remove it.
 */
export const ScratchBooking = z.object({
  /** The workflow id of the drill that owns it. */
  key: z.string().min(1),
  /** The run of that workflow that built it; a later run finds a leftover and replaces it. */
  runId: z.string(),
  /** The production region it stands in for; its messages name that region. */
  region: z.string().min(1),
  url: z.string(),
  port: z.number().int().positive(),
  /** The scratch database on the primary's server: never production's tables. */
  database: z.object({ host: z.string(), port: z.number().int().positive(), user: z.string(), name: z.string() }),
  /** Its own ledger and mode files, apart from production's. */
  stateDir: z.string(),
  /** The estate's process record (`run/<name>.json`), so `estate down` stops it too. */
  processName: z.string(),
  pid: z.number().int().positive(),
  createdAt: z.string(),
});
export type ScratchBooking = z.infer<typeof ScratchBooking>;

/** What removing a scratch booking service did, for status (`drillCleanup`). */
export interface ScratchBookingRemoval {
  key: string;
  /** False when nothing was left to remove (already removed, or never built). */
  removed: boolean;
  service?: { url: string; port: number; pid: number; stopped: boolean };
  database?: { name: string; dropped: boolean };
  ledger?: { dir: string; entries: number; deleted: boolean };
}

/** Where a booking activity acts: a production region, or (in an isolated drill) the scratch service keyed `scratch`. */
export interface BookingTarget {
  region: string;
  scratch?: string;
}

/** What the load counter says about acknowledged bookings after a switch; `present: false` where no load runs. */
export type LoadLoss = { present: false } | { present: true; checked: number; lost: number; lostKeys: string[]; lastAcknowledgedAt: string | null };

/**
 * What only an estate that can copy itself offers: isolated drills, which rehearse a failover on a clone of the
 * standby and manual booking on a scratch booking service, never touching production; the count of acknowledged
 * bookings a switch lost, from a load counter; and where a region's offline ledger lives on this machine. The sample
 * estate is the one provider (`services.<name>.sampleEstate`); real estates run live drills. Every operation is
 * idempotent and keyed by the clone's name or the drill's workflow id, so activities may retry it.
 */
export interface IsolatedDrillProvider {
  /** Clones `region`'s standby onto a free port and starts it streaming. */
  cloneStandby(args: { region: RegionName; name: string }): Promise<CloneInfo>;
  /** Promotes the clone and measures what a failover now would have lost (WAL beyond what it replayed). */
  promoteClone(args: {
    name: string;
    primary: RegionName;
  }): Promise<{ alreadyPromoted: boolean; lagBytes: number | null; lagSeconds: number | null; lsn: string }>;
  /** Books a synthetic seat on the promoted clone and reads it back. */
  /** A synthetic write on the promoted clone: a booking's id on booking's clone, a record's key on another service's. */
  verifyClone(args: { name: string; idempotencyKey: string }): Promise<{ bookingId?: number; recordKey?: string }>;
  /** Stops and deletes the clone; one that is gone is a no-op. */
  removeClone(args: { name: string }): Promise<{ removed: boolean }>;
  /** Starts the scratch booking service of drill `key`, or returns the one that runs. */
  startScratchBooking(args: { key: string; runId: string; region: string }): Promise<ScratchBooking & { replacedLeftover: boolean }>;
  /** Stops the scratch service of drill `key`, drops its database and deletes its ledger. */
  removeScratchBooking(args: { key: string }): Promise<ScratchBookingRemoval>;
  /** Sets the scratch service's mode; returns the previous one. */
  setScratchMode(args: { key: string; mode: ServiceMode }): Promise<{ region: string; mode: ServiceMode; previous: ServiceMode; changed: boolean }>;
  /** Records counter bookings of the drill in the scratch ledger only. */
  seedScratchLedger(args: { key: string; stations: string[]; perStation: number }): Promise<{ recorded: number; stations: string[] }>;
  /** The booking service a target names: production's, or a drill's scratch service (an error when it is gone). */
  bookingFor(target: { scratch?: string }, production: () => HttpBookingService): HttpBookingService;
  /** Acknowledged bookings that `region` lacks, from the load counter. */
  countLostAcknowledged(region: RegionName): Promise<LoadLoss>;
  /** The directory of `region`'s offline ledger on this machine. */
  ledgerDir(region: RegionName): string;
}
