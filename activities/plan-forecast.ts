import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../kit';
import { forecastPlan, PlanInputError, type PlanForecastReport } from '../lib/plan-forecast';
import { plans } from '../plans';

/**
 * The RTO forecast a plan's run shows at its gate, before anyone signs: made on the worker, from the members' recent
 * runs as Temporal recorded them, so the signers see the forecast the plan was approved against in its own history.
 */
export function createPlanForecastActivities() {
  return {
    async forecastPlanRto(args: { plan: string; input: unknown }): Promise<PlanForecastReport> {
      const plan = Object.hasOwn(plans, args.plan) ? plans[args.plan] : undefined;
      if (!plan) {
        throw ApplicationFailure.nonRetryable(
          `no recovery plan ${String(args.plan).slice(0, 200)}; the plans are ${Object.keys(plans).join(', ')}`,
          ErrorType.InvalidInput,
        );
      }
      try {
        return await forecastPlan(Context.current().client, plan, args.input);
      } catch (err) {
        // A refused input stays refused however often it is retried; Temporal's errors are retried as usual.
        if (err instanceof PlanInputError) throw ApplicationFailure.nonRetryable(err.message, ErrorType.InvalidInput);
        throw err;
      }
    },
  };
}

export type PlanForecastActivities = ReturnType<typeof createPlanForecastActivities>;
