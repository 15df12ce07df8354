import { commandProviders } from './command/providers';
import type { CapabilityContracts } from './contracts/by-capability';
import type { FileCapability, ServiceCapability } from './contracts/capabilities';
import type { DatabaseProvider } from './contracts/database';
import type { IsolatedDrillProvider } from './contracts/isolated-drills';
import { providerFailure, ProviderErrorType } from './contracts/errors';
import type { Provider, RegionName } from './contracts/provider';
import type { RebuildProvider } from './contracts/rebuild';
import type { ServiceModeProvider } from './contracts/service-mode';
import type { TrafficProvider } from './contracts/traffic';
import { createHaproxyTraffic } from './haproxy/traffic';
import { createHttpBookingService, httpServiceMode, type HttpBookingService } from './http/booking-service';
import { createHttpFleet, probeFleet, type FleetApi } from './http/fleet';
import { createPatroniDatabase } from './patroni/database';
import { createPatroniRebuild } from './patroni/rebuild';
import { createPostgresDatabase } from './postgres/database';
import { createRoute53Traffic } from './route53/traffic';
import { createSampleEstateDrills } from './sample-estate/drills';
import { BOOKING_SERVICE, countLostRecords, type LoadLoss } from './sample-estate/load-counter';
import { createSampleEstateRebuild } from './sample-estate/rebuild';
import type { ServiceTargets, Targets } from './targets/schema';

/** A service's capabilities (providers/contracts/capabilities.ts), each opened as its contract. */
type ServedCapabilities = { [C in ServiceCapability]: CapabilityContracts[C] | undefined };

/**
 * One service's providers, built from its section of the targets file: one per capability of the catalog, and what
 * only some providers offer besides. A capability the file leaves out is absent.
 */
export type ServiceProviders = { [C in ServiceCapability]?: CapabilityContracts[C] } & {
  service: string;
  regions: readonly RegionName[];
  /** Keeps no data (`stateless: true`): it has no database, and a failover moves only its traffic and modes. */
  stateless: boolean;
  /** The booking service's own operations (bookings, ledger), when its service mode is the HTTP contract. */
  booking?: HttpBookingService;
  /** Isolated drills, the lost-booking counter and the ledger's directory, which only the sample estate offers. */
  sampleEstate?: IsolatedDrillProvider;
};

/** What a runbook may ask a service for: its capabilities, and what only some providers offer. */
export type Needed = Exclude<keyof ServiceProviders, 'service' | 'regions' | 'stateless'>;

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
  } else if (config.serviceMode?.provider === 'command') serviceMode = commandProviders.serviceMode(config.serviceMode, regions);
  let rebuild: RebuildProvider | undefined;
  const r = config.rebuild;
  if (r?.provider === 'command') rebuild = commandProviders.rebuild(r, regions);
  else if (r?.provider === 'patroni' && config.database?.provider === 'patroni') rebuild = createPatroniRebuild(config.database, regions, name);
  else if (r?.provider === 'sample-estate' && database) rebuild = createSampleEstateRebuild(r, database);
  // Every capability of the catalog, so tsc names this place when one is added.
  const served: ServedCapabilities = { traffic, database, serviceMode, rebuild };
  const opened = Object.fromEntries(Object.entries(served).filter(([, provider]) => provider !== undefined)) as Partial<ServedCapabilities>;
  return {
    service: name,
    regions,
    stateless: config.stateless === true,
    ...opened,
    ...(booking ? { booking } : {}),
    ...(config.sampleEstate ? { sampleEstate: createSampleEstateDrills(config.sampleEstate) } : {}),
  };
}

function trafficProvider(settings: NonNullable<ServiceTargets['traffic']>, regions: readonly RegionName[]): TrafficProvider {
  switch (settings.provider) {
    case 'haproxy':
      return createHaproxyTraffic(settings, regions);
    case 'route53':
      return createRoute53Traffic(settings, regions);
    case 'command':
      return commandProviders.traffic(settings, regions);
  }
}

function databaseProvider(settings: NonNullable<ServiceTargets['database']>, regions: readonly RegionName[], service: string): DatabaseProvider {
  switch (settings.provider) {
    case 'postgres':
      return createPostgresDatabase(settings, regions);
    case 'patroni':
      return createPatroniDatabase(settings, regions, service);
    case 'command':
      return commandProviders.database(settings, regions);
  }
}

/** The fleet API the targets file names, if any. */
export function openFleet(targets: Targets): FleetApi | undefined {
  const f = targets.fleet;
  if (!f) return undefined;
  return f.provider === 'http' ? createHttpFleet({ url: f.url, timeoutMs: f.timeoutMs }) : commandProviders.fleet(f, []);
}

/**
 * The providers of the whole file's capabilities as `lifeboat targets check` probes them and `lifeboat plan` names
 * them, or undefined where the file names none. Every file capability of the catalog, so tsc names this place when
 * one is added.
 */
export const fileProviders: { [C in FileCapability]: (targets: Targets) => Provider | undefined } = {
  fleet(targets) {
    const f = targets.fleet;
    const api = openFleet(targets);
    if (!f || !api) return undefined;
    return {
      kind: f.provider,
      describe: () => (f.provider === 'http' ? `http (${f.url})` : `command (${f.describe ?? f.command.join(' ')})`),
      probe: () => probeFleet(api, f.provider === 'http' ? f.url : 'command'),
    };
  },
};

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
export function need<C extends Needed>(providers: ServiceProviders, capability: C): NonNullable<ServiceProviders[C]> {
  const found = providers[capability];
  if (found === undefined && providers.stateless && (capability === 'database' || capability === 'rebuild')) {
    // Not a section to add: the file says the service keeps no data, so a step that needs its database is the mistake.
    throw providerFailure(
      ProviderErrorType.Precondition,
      `service "${providers.service}" keeps no data (stateless in the targets file), so it has no ${capability} to act on: a failover of it moves only its traffic and modes`,
    );
  }
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

/**
 * How to count the acknowledged writes a region of `providers.service` lacks, from the sample estate's load counters,
 * or undefined where there is none (a real estate measures this with its own monitoring). The booking service counts
 * bookings through its sampleEstate section, as it always has; every other service that keeps data counts records
 * (`load-<service>-acked.jsonl`, looked up at its region's `POST /records/lookup`). The estate has one state
 * directory: a service without a sampleEstate section of its own (crew, on Patroni) uses another service's.
 */
export function lostWritesCounter(targets: Targets, providers: ServiceProviders): ((region: RegionName) => Promise<LoadLoss>) | undefined {
  if (providers.stateless) return undefined;
  if (providers.service === BOOKING_SERVICE) {
    const sample = providers.sampleEstate;
    return sample && ((region) => sample.countLostAcknowledged(region));
  }
  const own = targets.services[providers.service]?.sampleEstate?.stateDir;
  const stateDir = own ?? Object.values(targets.services).find((s) => s.sampleEstate)?.sampleEstate?.stateDir;
  const urlOf = providers.serviceMode?.urlOf?.bind(providers.serviceMode);
  if (!stateDir || !urlOf) return undefined;
  return async (region) => {
    const regionUrl = urlOf(region);
    return regionUrl ? countLostRecords({ stateDir, service: providers.service, regionUrl, region }) : { present: false };
  };
}

/**
 * The booking API a switch's verification books its synthetic seat through, or undefined. Every service whose
 * service mode is HTTP gets `booking` (the contract's health and modes), but only the booking service takes bookings:
 * the sample estate's other services (loyalty, checkin, crew) answer records, not seats. A file with one service
 * keeps what it always had, whatever that service is called.
 */
export function bookingApiOf(targets: Targets, providers: ServiceProviders): HttpBookingService | undefined {
  return providers.service === BOOKING_SERVICE || Object.keys(targets.services).length === 1 ? providers.booking : undefined;
}
