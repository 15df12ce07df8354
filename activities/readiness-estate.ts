import type { RegionName } from '../providers/contracts/provider';
import { keepsNoData } from '../workflows/region-switch-facts';
import { createBookingActivities } from './booking';
import { createDatabaseActivities } from './database';
import { createRegionSwitchActivities } from './region-switch';
import type { TargetsAccess } from './targets';

/** What one probe found: ready or not, and why, in words for the table and the notification. */
export interface ProbeOutcome {
  ready: boolean;
  reason: string;
}

/** The lag a standby may have and still count as ready: the planned failover's RPO budget. */
export interface LagBudget {
  maxLagBytes: number;
  maxLagSeconds: number;
}

/** How the reasons name one standby: the target's as the table has always put them, a dependency's with its name. */
interface StandbyWords {
  standby: string;
  database: string;
  lag: string;
}

const targetWords = (region: RegionName): StandbyWords => ({
  standby: `the standby in region ${region}`,
  database: `region ${region}'s database`,
  lag: `region ${region}'s standby`,
});

const dependencyWords = (service: string, region: RegionName): StandbyWords => ({
  standby: `${service}'s standby in region ${region}`,
  database: `${service}'s database in region ${region}`,
  lag: `${service}'s standby in region ${region}`,
});

/**
 * The estate probes of the region runbooks' readiness: the target region's standby, service and reach at the traffic
 * provider, for the failover's own service and for each service it depends on. Read-only, through the same
 * activities the runbooks use, so readiness judges as the failover's preflight does.
 */
export function createEstateProbes(access: TargetsAccess) {
  const database = createDatabaseActivities(access);
  const booking = createBookingActivities(access);
  const regionSwitch = createRegionSwitchActivities(access);

  const settingsOf = (service: string) => access.targets().services[service];
  /** Where a failover of `service` would go, what it moves with it, and whether it keeps data. */
  const regionsOf = (service: string) => regionSwitch.resolveRegions({ service });

  async function standbyIn(service: string, region: RegionName, budget: LagBudget, words: StandbyWords): Promise<ProbeOutcome> {
    const replication = await database.replicationStatus({ service });
    const node = replication.nodes[region];
    if (!node?.reachable) return { ready: false, reason: `${words.standby} is unreachable (${node?.error ?? 'no answer'})` };
    if (node.inRecovery === false) return { ready: false, reason: `${words.database} is a primary, not a standby` };
    if (!node.streaming) return { ready: false, reason: `${words.standby} is not streaming from the primary` };
    const { lagBytes, lagSeconds } = replication;
    if (lagBytes === null) return { ready: false, reason: `the lag of ${words.lag} cannot be measured` };
    if (lagBytes > budget.maxLagBytes || (lagSeconds ?? 0) > budget.maxLagSeconds) {
      return {
        ready: false,
        reason: `${words.standby} is ${lagBytes} bytes and ${lagSeconds ?? '?'} s behind, over the budget of ${budget.maxLagBytes} bytes and ${budget.maxLagSeconds} s`,
      };
    }
    return { ready: true, reason: `${words.lag} streams, ${lagBytes} bytes and ${lagSeconds ?? 0} s behind` };
  }

  async function serviceHealthyIn(service: string, region: RegionName, stateless: boolean): Promise<ProbeOutcome> {
    const health = await booking.health({ service, region });
    if (!health.reachable) return { ready: false, reason: `the ${service} service in region ${region} is unreachable (${health.error})` };
    if (stateless) {
      if (health.status === 'degraded') return { ready: false, reason: `the ${service} service in region ${region} reports itself degraded` };
      return { ready: true, reason: `the ${service} service in region ${region} answers (${keepsNoData(service)})` };
    }
    if (!health.db?.reachable)
      return { ready: false, reason: `the ${service} service in region ${region} cannot reach its database (${health.db?.error ?? 'unknown'})` };
    // A service that calls another (checkin calls booking) says so by reporting itself degraded when that one is down.
    if (health.status === 'degraded')
      return { ready: false, reason: `the ${service} service in region ${region} reaches its database but reports itself degraded` };
    return { ready: true, reason: `the ${service} service in region ${region} answers and reaches its database` };
  }

  async function reachesIn(service: string, region: RegionName): Promise<ProbeOutcome> {
    // The very judgement the failover's preflight makes, so readiness never refuses what the failover would do.
    const reach = await regionSwitch.targetReach({ service, region });
    return { ready: reach.reaches, reason: reach.reason };
  }

  /** One service `target` depends on, in the region a failover of `target` would go to. */
  async function dependencyIn(target: string, dependency: string, region: RegionName, budget: LagBudget): Promise<ProbeOutcome> {
    const settings = settingsOf(dependency);
    if (!settings) return { ready: false, reason: `the targets file has no service ${dependency}` };
    const regions = await regionsOf(dependency);
    // Where its traffic already goes, its database there is the primary: there is no standby to ask about.
    const serving = regions.source === region;
    const outcomes = await Promise.all([
      ...(settings.database !== undefined && !regions.stateless && !serving
        ? [standbyIn(dependency, region, budget, dependencyWords(dependency, region))]
        : []),
      serviceHealthyIn(dependency, region, regions.stateless),
      reachesIn(dependency, region),
    ]);
    const problems = outcomes.filter((o) => !o.ready);
    if (problems.length > 0) return { ready: false, reason: problems.map((p) => p.reason).join('; ') };
    if (serving) return { ready: true, reason: `${dependency} already serves from region ${region} and answers there` };
    const standby = settings.database !== undefined && !regions.stateless ? 'its standby streams, ' : '';
    return { ready: true, reason: `${dependency} is ready in region ${region}: ${standby}its service answers and the traffic provider reaches it` };
  }

  return {
    /** The target region's standby streams within the budget; the reason names the failover group that shares it. */
    async standbyStreaming(service: string, budget: LagBudget): Promise<ProbeOutcome> {
      const regions = await regionsOf(service);
      if (regions.stateless) return { ready: true, reason: `${keepsNoData(service)}: there is no standby to stream` };
      const outcome = await standbyIn(service, regions.target, budget, targetWords(regions.target));
      const { group } = regions;
      if (group.length < 2) return outcome;
      const others = group.filter((g) => g !== service);
      return { ...outcome, reason: `${outcome.reason} (the database is shared with ${others.join(', ')}: a failover moves ${group.join(', ')} together)` };
    },

    async reachesTarget(service: string): Promise<ProbeOutcome> {
      return reachesIn(service, (await regionsOf(service)).target);
    },

    async targetServiceHealthy(service: string): Promise<ProbeOutcome> {
      const regions = await regionsOf(service);
      return serviceHealthyIn(service, regions.target, regions.stateless);
    },

    /**
     * Every service `target` depends on (its `dependsOn` in the targets file) is ready in the region a failover of
     * `target` would go to: its standby streams (where it has a database), its service answers and the traffic
     * provider reaches it. A dependency in the target's own failover group moves with it, so it counts as ready.
     */
    async dependenciesReady(target: string, budget: LagBudget): Promise<ProbeOutcome> {
      const dependsOn = settingsOf(target)?.dependsOn ?? [];
      if (dependsOn.length === 0) return { ready: true, reason: 'no dependencies' };
      const regions = await regionsOf(target);
      const looks = await Promise.all(
        dependsOn.map(async (dependency): Promise<ProbeOutcome> => {
          if (regions.group.includes(dependency)) return { ready: true, reason: `${dependency} shares its database and fails over with it` };
          return dependencyIn(target, dependency, regions.target, budget).catch((err: Error) => ({
            ready: false,
            reason: `the check could not look: ${err.message}`,
          }));
        }),
      );
      const said = looks.map((look, i) => ({ ready: look.ready, reason: `${target} depends on ${dependsOn[i]}: ${look.reason}` }));
      const problems = said.filter((s) => !s.ready);
      if (problems.length > 0) return { ready: false, reason: problems.map((p) => p.reason).join('; ') };
      return { ready: true, reason: said.map((s) => s.reason).join('; ') };
    },
  };
}
