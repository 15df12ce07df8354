import { ApplicationFailure } from '@temporalio/common';
import { ProviderErrorType } from '../providers/contracts/errors';
import type { RegionName } from '../providers/contracts/provider';
import { openFleet, serviceFrom, type ServiceProviders } from '../providers/registry';
import type { FleetApi } from '../providers/http/fleet';
import { loadTargets } from '../providers/targets/load';
import { groupOf } from '../providers/targets/groups';
import type { Targets } from '../providers/targets/schema';

/** How activities reach the systems they act on: the targets file, read at each call. */
export interface TargetsAccess {
  /** The whole file, validated. A missing or invalid file is retryable: fixing it lets the next attempt through. */
  targets(): Targets;
  /** One service's providers (`service` may be left out when the file has one service). */
  service(service?: string): ServiceProviders;
  /**
   * The providers of every service a failover of `service` moves (its failover group, providers/targets/groups.ts):
   * the named service first, then the others sorted. Just the one service when it shares its database with none.
   */
  group(service?: string): ServiceProviders[];
  /** The fleet API, or a non-retryable failure naming the missing `fleet` section. */
  fleet(): FleetApi;
}

/**
 * Reads the targets file at each call, not at worker start, so a worker can start before the systems it acts on,
 * follows a sample estate restarted on new ports, and picks up a corrected file without a restart.
 */
export function targetsAccess(targetsPath: string): TargetsAccess {
  const targets = (): Targets => {
    try {
      return loadTargets(targetsPath);
    } catch (err) {
      throw ApplicationFailure.retryable((err as Error).message, ProviderErrorType.NotReachable);
    }
  };
  return {
    targets,
    service: (service) => serviceFrom(targets(), service),
    group: (service) => groupFrom(targets(), service),
    fleet: () => {
      const fleet = openFleet(targets());
      if (!fleet)
        throw ApplicationFailure.nonRetryable(
          'the targets file has no "fleet" section: add one naming the fleet API (see docs/api/fleet.openapi.json)',
          ProviderErrorType.Precondition,
        );
      return fleet;
    },
  };
}

/** Access to a targets value held in memory (the sample estate's own tools, tests). */
export function fixedTargetsAccess(targets: Targets): TargetsAccess {
  return {
    targets: () => targets,
    service: (service) => serviceFrom(targets, service),
    group: (service) => groupFrom(targets, service),
    fleet: () => {
      const fleet = openFleet(targets);
      if (!fleet) throw ApplicationFailure.nonRetryable('the targets have no "fleet" section', ProviderErrorType.Precondition);
      return fleet;
    },
  };
}

/** A service's failover group from one reading of the file, so every member comes from the same version of it. */
function groupFrom(targets: Targets, service: string | undefined): ServiceProviders[] {
  const named = serviceFrom(targets, service);
  const others = groupOf(targets, named.service).filter((name) => name !== named.service);
  return [named, ...others.map((name) => serviceFrom(targets, name))];
}

/**
 * A region named in a run's input, checked against the service's regions in the targets file before the run changes
 * anything. An unknown one ends the run at once (no operator can fix the input), naming the field and the regions to use.
 */
export function knownRegion(providers: ServiceProviders, field: string, region: RegionName): RegionName {
  if (providers.regions.includes(region)) return region;
  throw ApplicationFailure.nonRetryable(
    `${field}: "${region}" is not a region of ${providers.service} in the targets file; use one of ${providers.regions.join(', ')}`,
    ProviderErrorType.UnknownTarget,
  );
}
