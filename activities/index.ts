import { createEstateActivities, type EstateActivities } from './estate';
import type { KitActivities } from './kit-types';
import { createManualBookingActivities, type ManualBookingActivities } from './manual-booking';
import { createNotifyActivities, type NotifyConfig } from './notify';
import { createFailoverDrillActivities, type FailoverDrillActivities } from './failover-drill';
import { createRegionSwitchActivities, type RegionSwitchActivities } from './region-switch';
import { createReadinessActivities, type ReadinessActivities } from './readiness';
import { createRosterActivities } from './roster';
import { createStandbyRebuildActivities, type StandbyRebuildActivities } from './standby-rebuild';
import { createVendorIsolationActivities, type VendorIsolationActivities } from './vendor-isolation';

/** What the activities need from the outside world; the worker builds it from the environment. */
export interface ActivityDeps {
  rosterPath: string;
  notify: NotifyConfig;
  /** The estate catalog the adapters act on; read at each call (see `createEstateActivities`). */
  catalogPath: string;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): KitActivities & EstateActivities & VendorIsolationActivities & ManualBookingActivities & RegionSwitchActivities & StandbyRebuildActivities & FailoverDrillActivities & ReadinessActivities {
  return {
    ...createEstateActivities({ catalogPath: deps.catalogPath }),
    ...createNotifyActivities(deps.notify),
    ...createRosterActivities({ rosterPath: deps.rosterPath }),
    ...createRegionSwitchActivities({ catalogPath: deps.catalogPath }),
    ...createStandbyRebuildActivities({ catalogPath: deps.catalogPath }),
    ...createFailoverDrillActivities({ catalogPath: deps.catalogPath }),
    ...createManualBookingActivities({ catalogPath: deps.catalogPath }),
    ...createVendorIsolationActivities({ catalogPath: deps.catalogPath }),
    ...createReadinessActivities({ catalogPath: deps.catalogPath, rosterPath: deps.rosterPath }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
