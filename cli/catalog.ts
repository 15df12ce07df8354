import { runbooks } from '../runbooks';
import { plans } from '../plans';
import { planIdOf, planRunbookOf, type RecoveryPlanDefinition, type RunbookDefinition } from '../kit';
import { usageError } from './errors';

/** What `lifeboat run` and `lifeboat plan` take: the runbooks, then the plans (by id, or as `plan/<id>`). */
function catalogList(): string {
  return `runbooks ${Object.keys(runbooks).join(', ')}; plans ${Object.keys(plans).join(', ')}`;
}

/**
 * The recovery plan an id names: `evacuate-region` or its runbook id `plan/evacuate-region`; undefined for anything
 * else. A runbook of the same name wins over a plan, so a plan can never shadow a runbook someone already runs.
 */
export function findPlan(id: string | undefined): RecoveryPlanDefinition | undefined {
  if (!id || Object.hasOwn(runbooks, id)) return undefined;
  const planId = planIdOf(id) ?? id;
  return Object.hasOwn(plans, planId) ? plans[planId] : undefined;
}

/**
 * Looks a runbook up by id, or says which ids exist. A recovery plan is found too, as the runbook it runs as
 * (`plan/<id>`: its gate, then a step per member), so `run`, `plan` and the rest work on plans as on runbooks.
 */
export function findRunbook(id: string | undefined): RunbookDefinition {
  if (!id) throw usageError('name a runbook', `one of: ${catalogList()}`);
  const runbook = Object.hasOwn(runbooks, id) ? runbooks[id] : undefined;
  if (runbook) return runbook;
  const plan = findPlan(id);
  if (plan) return planRunbookOf(plan);
  throw usageError(`unknown runbook "${id}"`, `one of: ${catalogList()} (see lifeboat runbooks)`);
}
