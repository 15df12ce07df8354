import { proxyActivities } from '@temporalio/workflow';
import { describeError, type RunbookRun } from '../kit';
import type { PlanForecastActivities } from '../activities/plan-forecast';

const forecasts = proxyActivities<PlanForecastActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 2, initialInterval: '1 second' } });

/**
 * The plan's RTO forecast, made before its gate opens so the signers see it beside the objective, and kept in the
 * plan's history and status (`details.forecast`) for the report to set against the actual RTO. It informs and never
 * blocks: a forecast that cannot be made is said so in status, and the gate opens all the same.
 */
export async function forecastBeforeGate(run: RunbookRun<unknown>, plan: string, input: unknown): Promise<void> {
  try {
    const report = await forecasts.forecastPlanRto({ plan, input });
    run.report('forecast', report);
    run.audit('lifeboat', 'forecast', report.summary.slice(0, 300));
  } catch (err) {
    run.report('forecast', { unavailable: describeError(err).slice(0, 300) });
  }
}
