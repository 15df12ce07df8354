import type { Provider, RegionName } from './provider';

/** How a region takes part in serving: in rotation, finishing open connections but taking no new ones, or out. */
export type ServingState = 'ready' | 'drain' | 'maint';

/** What the traffic system says about one region's endpoint. */
export interface EndpointHealth {
  region: RegionName;
  /** The provider's name for the endpoint (`be_a/booking_a`, a record's set identifier, …). */
  endpoint: string;
  /** Whether the traffic system would send clients there now, by its own health checks. */
  healthy: boolean;
  /** The provider's own word for the state (`UP`, `DOWN`, `DRAIN`, `MAINT`, `Healthy`, …), for people to read. */
  status: string;
  /** The provider's check detail, when it has one (`L7OK`, a health check's last failure reason). */
  checkDetail?: string;
  currentSessions?: number;
  totalSessions?: number;
}

/**
 * Steers clients between a service's regions (a load balancer, DNS, a traffic manager).
 *
 * Contract:
 * - `switchTo` is idempotent: switching to the active region changes nothing and returns `changed: false`. It returns
 *   only once the traffic system reports the new region as active (DNS propagation to clients is not waited for).
 * - `setServing` is idempotent. A provider with no per-region drain (DNS) treats `drain` as a no-op and says so in
 *   `applied: false`; `ready` never fails because of that.
 * - Reads never change anything. A system that does not answer is a plain (retryable) error; a refusal or a
 *   configuration that cannot work is a non-retryable `ProviderErrorType` failure.
 */
export interface TrafficProvider extends Provider {
  /** The region clients are sent to now, or null when the traffic system points at none of the service's regions. */
  active(): Promise<{ region: RegionName | null; endpoint: string }>;
  health(): Promise<EndpointHealth[]>;
  switchTo(region: RegionName): Promise<{ region: RegionName; previous: RegionName | null; changed: boolean }>;
  /** How an operator set the region (not its health): what a drain step's undo must put back. */
  serving(region: RegionName): Promise<{ state: ServingState; status: string }>;
  setServing(region: RegionName, state: ServingState): Promise<{ state: ServingState; applied: boolean }>;
  /** Where clients enter over HTTP (a load balancer's frontend), when the provider knows one; verification books through it. */
  readonly entryUrl?: string;
}
