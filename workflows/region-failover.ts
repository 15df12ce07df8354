import { regionFailover as runbook, type RegionFailoverInput } from '../runbooks/region-failover';
import { type RunbookRun, RunAborted, type RunRequest, type RunResult, runRunbook } from '../kit';
import { isolatedFailoverDrill, type IsolatedDrillResult } from './region-failover-drill';
import { failBackAfterLiveDrill, type LiveDrillResult } from './region-failover-live-drill';
import { keepsNoData, scopeOf, type SwitchResult } from './region-switch-facts';
import { notifySwitched, stepTimings, switchRegions, type RegionActivities } from './region-switch';
import { asPlanMember } from '../plans/membership';

const steps = runbook.procedure;
const { preflight, notify } = steps;
const { isolated, live } = runbook.drills;

/**
 * Fails a service over to its secondary region: preflight the target, then the controlled switch (assess, two
 * approvals, drain and fence, catch up or record the loss, promote, switch, verify), then notify with RTO and RPO.
 * An isolated drill rehearses the database side on a clone of the standby instead, and leaves production alone; a
 * live drill runs the real failover, then fails back as a child run, so the estate ends where it started. A service
 * that keeps no data moves its traffic and modes only, with every service of its failover group named in the result.
 */
export async function regionFailover(request: RunRequest<RegionFailoverInput>): Promise<RunResult<SwitchResult | IsolatedDrillResult | LiveDrillResult>> {
  return runRunbook(asPlanMember(runbook), request, async (run: RunbookRun<RegionActivities>, input) => {
    if (input.incidentId) run.audit(run.status.requestedBy, 'incident', input.incidentId);

    const regions = await run.step(preflight, async (a) => {
      const resolved = await a.resolveRegions({ service: input.service, source: input.source, target: input.target });
      const target = await a.preflightTarget({ service: input.service, region: resolved.target, requireStreaming: input.mode === 'planned' });
      // A service that keeps no data has no standby: the preflight looked at its service and the traffic provider only.
      if (scopeOf(resolved).stateless) return { ...resolved, standby: null };
      return { ...resolved, standby: { streaming: target.database?.streaming ?? false, replayLsn: target.database?.replayLsn ?? null } };
    });
    run.report('regions', regions);
    const { group, stateless } = scopeOf(regions);

    if (run.status.drill?.kind === 'isolated') {
      if (stateless) {
        // Said apart from the outcome's words, so a plan's isolated drill can pass over this member instead of stopping.
        run.report('nothingToRehearse', 'isolated');
        throw new RunAborted(
          `${runbook.id} has no isolated drill for ${input.service}: ${keepsNoData(input.service)}, so there is no standby to clone; rehearse it with --drill live`,
          'lifeboat',
        );
      }
      return isolatedFailoverDrill(run, { ...steps, ...isolated.steps }, { options: input, mode: input.mode, source: regions.source, target: regions.target });
    }

    const result = await switchRegions(run, {
      steps,
      options: input,
      mode: input.mode,
      source: regions.source,
      target: regions.target,
      undoInstead: `lifeboat run region-failback --set service=${input.service}`,
      group,
      stateless,
    });

    await notifySwitched(run, notify, result);
    if (run.status.drill?.kind === 'live') {
      const failback = await failBackAfterLiveDrill(run, live.steps.drillFailback, input, result);
      if (failback) return { ...result, stepTimings: stepTimings(run), drill: 'live', failback };
    }
    return { ...result, stepTimings: stepTimings(run) };
  });
}
