import { commandDatabase, commandFleet, commandRebuild, commandServiceMode, commandTraffic } from './command/providers';
import type { DatabaseProvider } from './contracts/database';
import { providerFailure, ProviderErrorType } from './contracts/errors';
import type { RegionName } from './contracts/provider';
import type { RebuildProvider } from './contracts/rebuild';
import type { ServiceModeProvider } from './contracts/service-mode';
import type { TrafficProvider } from './contracts/traffic';
import { createHaproxyTraffic } from './haproxy/traffic';
import { createHttpBookingService, httpServiceMode, type HttpBookingService } from './http/booking-service';
import { createHttpFleet, type FleetApi } from './http/fleet';
import { createPatroniDatabase } from './patroni/database';
import { createPatroniRebuild } from './patroni/rebuild';
import { createPostgresDatabase } from './postgres/database';
import { createRoute53Traffic } from './route53/traffic';
import { createSampleEstateRebuild } from './sample-estate/rebuild';
import type { SampleEstateSettings } from './sample-estate/settings';
import type { ServiceTargets, Targets } from './targets/schema';

/** The capabilities a runbook may ask a service for, as the targets file names them. */
export type Capability = 'traffic' | 'database' | 'serviceMode' | 'booking' | 'rebuild' | 'sampleEstate';

/** One service's providers, built from its section of the targets file. A capability the file leaves out is absent. */
export interface ServiceProviders {
  service: string;
  regions: readonly RegionName[];
  traffic?: TrafficProvider;
  database?: DatabaseProvider;
  serviceMode?: ServiceModeProvider;
  /** The booking service's own operations (bookings, ledger), when its service mode is the HTTP contract. */
  booking?: HttpBookingService;
  rebuild?: RebuildProvider;
  sampleEstate?: SampleEstateSettings;
}

/** Builds a service's providers. Nothing connects here: providers reach their systems only when called. */
export function openService(name: string, config: ServiceTargets): ServiceProviders {
  const regions = config.regions;
  const traffic = config.traffic && trafficProvider(config.traffic, regions);
  const database = config.database && databaseProvider(config.database, regions, name);
  let serviceMode: ServiceModeProvider | undefined;
  let booking: HttpBookingService | undefined;
  if (config.serviceMode?.provider === 'http') {
    booking = createHttpBookingService(config.serviceMode, traffic?.entryUrl);
    serviceMode = httpServiceMode(config.serviceMode, booking);
  } else if (config.serviceMode?.provider === 'command') serviceMode = commandServiceMode(config.serviceMode);
  let rebuild: RebuildProvider | undefined;
  const r = config.rebuild;
  if (r?.provider === 'command') rebuild = commandRebuild(r);
  else if (r?.provider === 'patroni' && config.database?.provider === 'patroni') rebuild = createPatroniRebuild(config.database, regions, name);
  else if (r?.provider === 'sample-estate' && database) rebuild = createSampleEstateRebuild(r, database);
  return {
    service: name,
    regions,
    ...(traffic ? { traffic } : {}),
    ...(database ? { database } : {}),
    ...(serviceMode ? { serviceMode } : {}),
    ...(booking ? { booking } : {}),
    ...(rebuild ? { rebuild } : {}),
    ...(config.sampleEstate ? { sampleEstate: config.sampleEstate } : {}),
  };
}

function trafficProvider(settings: NonNullable<ServiceTargets['traffic']>, regions: readonly RegionName[]): TrafficProvider {
  switch (settings.provider) {
    case 'haproxy':
      return createHaproxyTraffic(settings, regions);
    case 'route53':
      return createRoute53Traffic(settings, regions);
    case 'command':
      return commandTraffic(settings);
  }
}

function databaseProvider(settings: NonNullable<ServiceTargets['database']>, regions: readonly RegionName[], service: string): DatabaseProvider {
  switch (settings.provider) {
    case 'postgres':
      return createPostgresDatabase(settings, regions);
    case 'patroni':
      return createPatroniDatabase(settings, regions, service);
    case 'command':
      return commandDatabase(settings, regions);
  }
}

/** The fleet API the targets file names, if any. */
export function openFleet(targets: Targets): FleetApi | undefined {
  const f = targets.fleet;
  if (!f) return undefined;
  return f.provider === 'http' ? createHttpFleet({ url: f.url, timeoutMs: f.timeoutMs }) : commandFleet(f);
}

/**
 * The service a run acts on. `service` may be left out only when the file has exactly one service, which is how
 * activities recorded before the targets file (they name no service) keep working.
 */
export function serviceFrom(targets: Targets, service: string | undefined): ServiceProviders {
  const names = Object.keys(targets.services);
  const name = service ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw providerFailure(ProviderErrorType.UnknownTarget, `the targets file has ${names.length} services (${names.join(', ')}); name one`);
  }
  const config = targets.services[name];
  if (!config) throw providerFailure(ProviderErrorType.UnknownTarget, `the targets file has no service "${name}"; it has ${names.join(', ') || 'none'}`);
  return openService(name, config);
}

/** A capability the runbook needs, or a non-retryable failure that names the missing section of the targets file. */
export function need<C extends Capability>(providers: ServiceProviders, capability: C): NonNullable<ServiceProviders[C]> {
  const found = providers[capability];
  if (found === undefined) {
    const hint =
      capability === 'sampleEstate'
        ? `isolated drills and the lost-booking counter need the sample estate (services.${providers.service}.sampleEstate); real estates run live drills (--drill live)`
        : capability === 'booking'
          ? `bookings and the offline ledger need the booking service's HTTP API: set services.${providers.service}.serviceMode.provider to "http"`
          : `add services.${providers.service}.${capability} to the targets file (see docs/adding-a-provider.md)`;
    throw providerFailure(ProviderErrorType.Precondition, `service "${providers.service}" has no ${capability} provider: ${hint}`);
  }
  return found as NonNullable<ServiceProviders[C]>;
}
