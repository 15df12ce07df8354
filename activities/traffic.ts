import type { RegionName } from '../providers/contracts/provider';
import type { EndpointHealth, ServingState } from '../providers/contracts/traffic';
import { need } from '../providers/registry';
import type { TargetsAccess } from './targets';

/** Names the service an activity acts on; left out by runs recorded before the targets file (one service then). */
export interface OnService {
  service?: string;
}

/**
 * Steering clients between a service's regions, through whichever traffic provider the targets file names
 * (HAProxy, Route 53, a command). Every activity is idempotent; see `TrafficProvider` for the contract.
 */
export function createTrafficActivities(access: TargetsAccess) {
  const traffic = (on: OnService) => need(access.service(on.service), 'traffic');
  return {
    /** Which region clients are sent to now; `backend` is the provider's name for it. */
    async activeBackend(args: OnService = {}): Promise<{ region: RegionName | null; backend: string }> {
      const a = await traffic(args).active();
      return { region: a.region, backend: a.endpoint };
    },

    /** The traffic system's view of each region's endpoint: health and sessions. */
    async backendHealth(args: OnService = {}): Promise<{ regions: EndpointHealth[] }> {
      return { regions: await traffic(args).health() };
    },

    /** Sends new clients to `region`. Idempotent: switching to the active region is a no-op (`changed: false`). */
    async setActiveBackend(
      args: OnService & { region: RegionName },
    ): Promise<{ region: RegionName; previous: RegionName | null; changed: boolean; provider: string }> {
      const provider = traffic(args);
      return { ...(await provider.switchTo(args.region)), provider: provider.describe() };
    },

    /** Lets a region's open connections finish while it takes no new ones (`drain`); `ready` undoes it. Idempotent. */
    async drainBackend(args: OnService & { region: RegionName; state?: ServingState }): Promise<{ region: RegionName; state: ServingState; applied: boolean }> {
      const r = await traffic(args).setServing(args.region, args.state ?? 'drain');
      return { region: args.region, ...r };
    },
  };
}

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
