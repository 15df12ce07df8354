import type { FleetApi } from '../providers/http/fleet';
import type { TargetsAccess } from './targets';

export type { ActionResponse, Host, HostCounters, HostHealth, HostRole, HostSelector, HostTarget, ScratchFleet } from '../providers/http/fleet';

/** The names of the fleet API's operations, as the worker registers them. */
const fleetOperations = [
  'listHosts',
  'fleetSummary',
  'setUpdateChannel',
  'pushContentUpdate',
  'quarantineModule',
  'rollbackHost',
  'rebootHost',
  'markRepaired',
  'counters',
  'createScratchFleet',
  'removeScratchFleet',
] as const satisfies readonly (keyof FleetApi)[];

type Unlisted = Exclude<keyof FleetApi, (typeof fleetOperations)[number]>;
const everyOperationListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyOperationListed;

/**
 * The fleet API's operations as activities, through whichever provider the targets file names (the HTTP contract of
 * docs/api/fleet.openapi.json, or a command). The file is read at each call.
 */
export function createFleetActivities(access: TargetsAccess): FleetApi {
  const entries = fleetOperations.map((name) => [name, (...args: unknown[]) => (access.fleet()[name] as (...a: unknown[]) => Promise<unknown>)(...args)]);
  return Object.fromEntries(entries) as unknown as FleetApi;
}

export type FleetActivities = FleetApi;
