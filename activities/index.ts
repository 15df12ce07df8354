import type { KitActivities } from './kit-types';
import { createNotifyActivities, type NotifyConfig } from './notify';
import { createRosterActivities } from './roster';

/** What the activities need from the outside world; the worker builds it from the environment. */
export interface ActivityDeps {
  rosterPath: string;
  notify: NotifyConfig;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps): KitActivities {
  return {
    ...createNotifyActivities(deps.notify),
    ...createRosterActivities({ rosterPath: deps.rosterPath }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
