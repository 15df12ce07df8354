import type { TrustRoot } from '../lib/roster-seal';
import { createBookingActivities, type BookingActivities } from './booking';
import { createDatabaseActivities, type DatabaseActivities } from './database';
import { createFleetActivities, type FleetActivities } from './fleet';
import { createFailoverDrillActivities, type FailoverDrillActivities } from './isolated-drills';
import type { KitActivities } from '../kit';
import { createManualBookingActivities, type ManualBookingActivities } from './manual-booking';
import { createNamespaceFailoverActivities, type NamespaceFailoverActivities } from './namespace-failover';
import { createNotifyActivities, type NotifyConfig } from './notify';
import { createOrchestratorDrillActivities, type OrchestratorDrillActivities } from './orchestrator-drill';
import { createPlanForecastActivities, type PlanForecastActivities } from './plan-forecast';
import { createReadinessActivities, type ReadinessActivities } from './readiness';
import { createRegionSwitchActivities, type RegionSwitchActivities } from './region-switch';
import { createRosterActivities } from './roster';
import { createRunLookupActivities } from './run-lookup';
import { targetsAccess } from './targets';
import { createTrafficActivities, type TrafficActivities } from './traffic';
import { createVendorIsolationActivities, type VendorIsolationActivities } from './vendor-isolation';

/** What the activities need from the outside world; the worker builds it from the environment. */
export interface ActivityDeps {
  rosterPath: string;
  /** The roster admins and their quorum (lib/roster-seal.ts); without it, LIFEBOAT_TRUST_ROOT is read at the first gate. */
  trustRoot?: TrustRoot;
  notify: NotifyConfig;
  /** The targets file (`lifeboat.targets.json`) naming the systems and providers; read at each call. */
  targetsPath: string;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(
  deps: ActivityDeps,
): KitActivities &
  BookingActivities &
  DatabaseActivities &
  FleetActivities &
  TrafficActivities &
  VendorIsolationActivities &
  ManualBookingActivities &
  RegionSwitchActivities &
  FailoverDrillActivities &
  ReadinessActivities &
  PlanForecastActivities &
  NamespaceFailoverActivities &
  OrchestratorDrillActivities {
  const access = targetsAccess(deps.targetsPath);
  return {
    ...createBookingActivities(access),
    ...createDatabaseActivities(access),
    ...createFleetActivities(access),
    ...createTrafficActivities(access),
    ...createNotifyActivities(deps.notify),
    // What a run asks Temporal about its parent, its predecessor, its schedule and its signed start.
    ...createRunLookupActivities(),
    // A recovery plan's RTO forecast, from its members' recent runs and their standbys' lag now, shown at the plan's gate.
    ...createPlanForecastActivities(access),
    ...createRosterActivities({ rosterPath: deps.rosterPath, ...(deps.trustRoot ? { trustRoot: deps.trustRoot } : {}) }),
    ...createRegionSwitchActivities(access),
    // Isolated drills of a failover act on clones only the sample estate can make.
    ...createFailoverDrillActivities(access),
    ...createManualBookingActivities({ access }),
    ...createVendorIsolationActivities(access),
    ...createReadinessActivities({ access, rosterPath: deps.rosterPath }),
    // The orchestrator's own failover: makes the worker's cluster the active one of a global namespace.
    ...createNamespaceFailoverActivities(),
    // The orchestrator drill: fails its own namespace over to the other cluster (LIFEBOAT_CLUSTERS) and back.
    ...createOrchestratorDrillActivities(),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The activities that act on the systems of the targets file, through their providers. */
export type SystemActivities = BookingActivities & DatabaseActivities & FleetActivities & TrafficActivities;

export type { FailoverDrillActivities } from './isolated-drills';
export type { BookingTarget, ScratchBookingRemoval } from '../providers/contracts/isolated-drills';
