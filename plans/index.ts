import type { RecoveryPlanDefinition } from '../kit';
import { evacuateRegion } from './evacuate-region';
import { returnHome } from './return-home';

/** Every recovery plan Lifeboat ships, by id. */
export const plans: Record<string, RecoveryPlanDefinition> = {
  [evacuateRegion.id]: evacuateRegion,
  [returnHome.id]: returnHome,
};

export { evacuateRegion, returnHome };
