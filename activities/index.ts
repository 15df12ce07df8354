import { createEstateActivities, type EstateActivities } from './estate';
import type { KitActivities } from './kit-types';
import { createNotifyActivities, type NotifyConfig } from './notify';
import { createRosterActivities } from './roster';

/** What the activities need from the outside world; the worker builds it from the environment. */
export interface ActivityDeps {
  rosterPath: string;
  notify: NotifyConfig;
  /** The estate catalog the adapters act on; read at each call (see `createEstateActivities`). */
  catalogPath: string;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): KitActivities & EstateActivities {
  return {
    ...createEstateActivities({ catalogPath: deps.catalogPath }),
    ...createNotifyActivities(deps.notify),
    ...createRosterActivities({ rosterPath: deps.rosterPath }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
