import { z } from 'zod';
import { BookingMode } from '../booking/schemas';

/** The airline services share booking's modes, so the same `http` service-mode provider switches them all. */
export const AirlineMode = BookingMode;
export type AirlineMode = BookingMode;

/** A service's name as the estate and the targets file spell it (`loyalty`, `checkin`, `crew`, `flight-status`). */
export const ServiceName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'a lowercase service name like loyalty or flight-status');

/** The most keys one lookup checks; the load counter sends its acknowledged keys in chunks of this size. */
export const LOOKUP_MAX_KEYS = 5_000;

const key = z.string().min(1).max(200);

/** A write: the client picks the key, so a retry can never store twice. */
export const RecordWrite = z.object({ key, payload: z.json().optional() });
export type RecordWrite = z.infer<typeof RecordWrite>;

/** A stored record. */
export interface AirlineRecord {
  key: string;
  region: string;
  payload: unknown;
  createdAt: string;
}

export const KeyLookup = z.object({ keys: z.array(key).max(LOOKUP_MAX_KEYS) });

export const ModeChange = z.object({ mode: AirlineMode });

/** The database as `/health` reports it (booking's shape). */
export interface DbHealth {
  reachable: boolean;
  writable: boolean;
  inRecovery: boolean | null;
  error?: string;
}

/** A service this one calls, as `/health` found it: `reachable` when it answered its `/health` with JSON. */
export interface DependencyHealth {
  url: string;
  reachable: boolean;
  /** The `status` the dependency reported about itself, when it said one. */
  status?: string;
  error?: string;
}

/** What `/health` answers, always with HTTP 200 while the process runs (the service-mode contract); `status` says ok or degraded. A stateless service has no `db`. */
export interface AirlineHealth {
  service: string;
  region: string;
  status: 'ok' | 'degraded';
  mode: AirlineMode;
  db?: DbHealth;
  dependencies?: Record<string, DependencyHealth>;
}
