import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { ErrorType, planRunbookOf, runPlanMembers, type PlanMemberView, type RunbookRun, type RunRequest, type RunResult, runRunbook } from '../kit';
import { plans } from '../plans';
import { forecastBeforeGate } from './plan-forecast-step';

/**
 * Runs a recovery plan: the plan its run ID names (`plan/evacuate-region/A` runs evacuate-region), under the kit's
 * frame like any runbook (signed start, its one gate, status, interventions, abort), with its members as child runs.
 * The ID is checked against the input's target by the kit, so a plan run is what its ID says.
 */
export async function recoveryPlan(request: RunRequest): Promise<RunResult<Record<string, PlanMemberView>>> {
  const { workflowId } = workflowInfo();
  const planId = workflowId.split('/')[1] ?? '';
  const plan = workflowId.startsWith('plan/') && Object.hasOwn(plans, planId) ? plans[planId]! : undefined;
  if (!plan) {
    throw ApplicationFailure.nonRetryable(
      `${workflowId.slice(0, 200)} names no recovery plan: a plan's run is plan/<plan>/<target>, with <plan> one of ${Object.keys(plans).join(', ')}`,
      ErrorType.InvalidInput,
    );
  }
  const definition = planRunbookOf(plan);
  return runRunbook(definition, request, async (run: RunbookRun<unknown>, input) => {
    await forecastBeforeGate(run, plan.id, input);
    return runPlanMembers(run, plan, definition, input);
  });
}
