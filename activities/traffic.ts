import { ApplicationFailure } from '@temporalio/common';
import type { RegionName } from '../providers/contracts/provider';
import type { EndpointHealth, ServingState } from '../providers/contracts/traffic';
import { need, type ServiceProviders } from '../providers/registry';
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

    /**
     * Sends new clients to `region`, for the service and every other member of its failover group (they share one
     * database, so clients must follow it together). Idempotent: switching to the active region is a no-op
     * (`changed: false`). The top-level fields are the named service's; `members` has each member's, named first.
     */
    async setActiveBackend(args: OnService & { region: RegionName }): Promise<{
      region: RegionName;
      previous: RegionName | null;
      changed: boolean;
      provider: string;
      members: { service: string; previous: RegionName | null; changed: boolean; provider: string }[];
    }> {
      const members = await eachMember(access, args, async (providers) => {
        const provider = need(providers, 'traffic');
        return { ...(await provider.switchTo(args.region)), provider: provider.describe() };
      });
      const [named] = members;
      return {
        ...named!.result,
        members: members.map(({ service, result }) => ({ service, previous: result.previous, changed: result.changed, provider: result.provider })),
      };
    },

    /**
     * Lets a region's open connections finish while it takes no new ones (`drain`); `ready` undoes it. Idempotent.
     * Acts on every member of the service's failover group: `state` for all, unless `memberStates` names a member's
     * own (an undo puts back what `readServerState` saw for each). `members` has each member's, named first.
     */
    async drainBackend(args: OnService & { region: RegionName; state?: ServingState; memberStates?: Record<string, ServingState> }): Promise<{
      region: RegionName;
      state: ServingState;
      applied: boolean;
      members: { service: string; state: ServingState; applied: boolean }[];
    }> {
      const members = await eachMember(access, args, (providers) =>
        need(providers, 'traffic').setServing(args.region, args.memberStates?.[providers.service] ?? args.state ?? 'drain'),
      );
      const [named] = members;
      return { region: args.region, ...named!.result, members: members.map(({ service, result }) => ({ service, ...result })) };
    },
  };
}

/**
 * Runs `act` for the service and each other member of its failover group, one after another so a failure names the
 * member it stopped at; each act is idempotent, so a retry repeats the ones already done harmlessly.
 */
export async function eachMember<T>(
  access: TargetsAccess,
  on: OnService,
  act: (providers: ServiceProviders) => Promise<T>,
): Promise<{ service: string; result: T }[]> {
  const group = access.group(on.service);
  const done: { service: string; result: T }[] = [];
  for (const providers of group) {
    try {
      done.push({ service: providers.service, result: await act(providers) });
    } catch (err) {
      throw group.length > 1 ? namingMember(err, providers.service) : err;
    }
  }
  return done;
}

/** The same failure, its message naming the member it came from; whether it is retried stays as it was. */
export function namingMember(err: unknown, service: string): unknown {
  if (!(err instanceof Error)) return err;
  const message = `service ${service}: ${err.message}`;
  if (err instanceof ApplicationFailure)
    return ApplicationFailure.create({
      message,
      type: err.type ?? undefined,
      nonRetryable: err.nonRetryable ?? undefined,
      details: err.details as unknown[],
      cause: err,
    });
  return new Error(message, { cause: err });
}

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
