import type { FleetApi } from '../http/fleet';
import type { Capability, ServiceCapability } from './capabilities';
import type { DatabaseProvider } from './database';
import type { Provider } from './provider';
import type { RebuildProvider } from './rebuild';
import type { ServiceModeProvider } from './service-mode';
import type { TrafficProvider } from './traffic';

/**
 * Holds the map below complete: every capability of the catalog has a contract, and a service's is a `Provider`
 * (`describe()` and `probe()`), which `lifeboat targets check` and `plan` rely on.
 */
type EveryCapability<T extends { [C in Capability]: C extends ServiceCapability ? Provider : unknown }> = T;

/**
 * The contract each capability's providers serve: what its activities call and what the registry opens. The fleet's
 * is the HTTP contract of docs/api/fleet.openapi.json, which the `command` provider serves too.
 */
export type CapabilityContracts = EveryCapability<{
  traffic: TrafficProvider;
  database: DatabaseProvider;
  serviceMode: ServiceModeProvider;
  rebuild: RebuildProvider;
  fleet: FleetApi;
}>;
