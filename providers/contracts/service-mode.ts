import type { Provider, RegionName } from './provider';

/** The modes a service switches between during a recovery: normal, read-only while its database moves, manual while people book by hand. */
export type ServiceMode = 'normal' | 'read-only' | 'manual';

/** A region's service as it reports itself (`GET /health` of the service-mode HTTP contract). */
export interface ServiceHealth {
  region: RegionName;
  reachable: boolean;
  mode?: ServiceMode;
  status?: 'ok' | 'degraded';
  db?: { reachable: boolean; writable: boolean; inRecovery: boolean | null; error?: string };
  error?: string;
}

/**
 * Switches a service's mode in one region (docs/api/service-mode.openapi.json is the HTTP contract; the `command`
 * provider serves the same operations from a script).
 *
 * Contract: `health` never throws (unreachable is `reachable: false`); `setMode` is idempotent and returns the mode
 * it found (`previous`) so an undo can restore it.
 */
export interface ServiceModeProvider extends Provider {
  health(region: RegionName): Promise<ServiceHealth>;
  getMode(region: RegionName): Promise<ServiceMode>;
  setMode(region: RegionName, mode: ServiceMode): Promise<{ previous: ServiceMode; changed: boolean }>;
  /** The region's service base URL, when it is HTTP (verification and the booking ledger use it). */
  urlOf?(region: RegionName): string | undefined;
}
