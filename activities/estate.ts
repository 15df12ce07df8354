import { ApplicationFailure } from '@temporalio/common';
import { createBookingActivities, bookingDepsFromCatalog, type BookingActivities } from './booking';
import { EstateErrorType, loadCatalog, type EstateCatalog } from './catalog';
import { createFleetActivities, fleetDepsFromCatalog, type FleetActivities } from './fleet';
import { createPostgresActivities, postgresDepsFromCatalog, type PostgresActivities } from './postgres';
import { createTrafficActivities, trafficDepsFromCatalog, type TrafficActivities } from './traffic';

/** Every adapter the runbooks use to act on the estate. */
export type EstateActivities = BookingActivities & FleetActivities & PostgresActivities & TrafficActivities;

/**
 * The names the worker registers. `tsc` fails when an adapter gains an activity that is not listed here
 * (see `Unlisted`), so a new adapter function cannot silently go unregistered.
 */
const estateActivityNames = [
  // booking
  'health', 'getMode', 'setMode', 'createBooking', 'getBooking', 'appendLedger', 'readLedger', 'importBooking', 'moveBooking', 'flightSeats',
  // fleet
  'listHosts', 'fleetSummary', 'setUpdateChannel', 'pushContentUpdate', 'quarantineModule', 'rollbackHost', 'rebootHost', 'markRepaired', 'counters', 'createScratchFleet', 'removeScratchFleet',
  // postgres
  'nodeStatus', 'replicationStatus', 'currentWalLsn', 'waitForReplay', 'fenceDatabase', 'unfenceDatabase', 'promoteStandby',
  // traffic
  'activeBackend', 'backendHealth', 'setActiveBackend', 'drainBackend',
] as const satisfies readonly (keyof EstateActivities)[];

type Unlisted = Exclude<keyof EstateActivities, (typeof estateActivityNames)[number]>;
const everyActivityListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyActivityListed;

/** Builds the adapters for one catalog; traffic activities refuse clearly when the estate has no load balancer. */
function adaptersFor(catalog: EstateCatalog): EstateActivities {
  let traffic: TrafficActivities;
  try {
    traffic = createTrafficActivities(trafficDepsFromCatalog(catalog));
  } catch (err) {
    const refuse = async (): Promise<never> => {
      throw err;
    };
    traffic = { activeBackend: refuse, backendHealth: refuse, setActiveBackend: refuse, drainBackend: refuse };
  }
  return {
    ...createBookingActivities(bookingDepsFromCatalog(catalog)),
    ...createFleetActivities(fleetDepsFromCatalog(catalog)),
    ...createPostgresActivities(postgresDepsFromCatalog(catalog)),
    ...traffic,
  };
}

/**
 * The estate adapters as activities. The catalog is read at each call, not at worker start, so a worker can
 * start before the estate does and follows an estate that was restarted on new ports.
 */
export function createEstateActivities(opts: { catalogPath: string }): EstateActivities {
  const current = (): EstateActivities => {
    let catalog: EstateCatalog;
    try {
      catalog = loadCatalog(opts.catalogPath);
    } catch (err) {
      throw ApplicationFailure.retryable((err as Error).message, EstateErrorType.NotReachable);
    }
    return adaptersFor(catalog);
  };
  const entries = estateActivityNames.map((name) => [
    name,
    (...args: unknown[]) => (current()[name] as (...a: unknown[]) => Promise<unknown>)(...args),
  ]);
  return Object.fromEntries(entries) as unknown as EstateActivities;
}
