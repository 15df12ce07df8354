import type { RecoveryPlanDefinition } from '../kit';
import { evacuateRegion } from '../plans/evacuate-region';
import { returnHome } from '../plans/return-home';
import { syntheticPlan } from './synthetic-plan';

/**
 * The plan benchmark's catalog, bundled in place of plans/index.ts (bench/plan-bundle.ts): the plans Lifeboat ships
 * and the synthetic ones the benchmark runs, full (50 services) and quick (10). The shipped plans are imported one by
 * one, not through plans/index.ts, which this module replaces.
 */
export const SYNTHETIC_SIZES = [50, 10] as const;

export const plans: Record<string, RecoveryPlanDefinition> = {
  [evacuateRegion.id]: evacuateRegion,
  [returnHome.id]: returnHome,
  ...Object.fromEntries(SYNTHETIC_SIZES.map((size) => syntheticPlan(size)).map((plan) => [plan.id, plan])),
};

export { evacuateRegion, returnHome };
