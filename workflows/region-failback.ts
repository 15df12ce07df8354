import { regionFailback as runbook, type RegionFailbackInput } from '../runbooks/region-failback';
import { type RunbookRun, RunAborted, type RunRequest, type RunResult, runRunbook } from '../kit';
import { keepsNoData, scopeOf, type SwitchResult } from './region-switch-facts';
import { notifySwitched, stepTimings, stepsNotRun, switchRegions, type RegionActivities } from './region-switch';
import { asPlanMember } from '../plans/membership';

const { resolve, rebuild, preflight, reprotect, notify, ...steps } = runbook.procedure;

/** What a failback returns: the switch's figures, and how each region was rebuilt as a standby. */
export interface FailbackResult extends SwitchResult {
  /** `notNeeded`: why nothing was rebuilt (the service keeps no data, and `method` is `none`). */
  rebuilt: { region: string; method: string; fallbackReason?: string; rewindError?: string; notNeeded?: string };
  reprotected: { region: string; method: string; fallbackReason?: string; rewindError?: string; notNeeded?: string } | null;
}

/**
 * Reprotect, then return: rebuild the old primary as a standby of the current one, wait for it to catch up, run the
 * controlled switch back (planned: nothing may be lost), and rebuild the region left behind and put its server back in
 * rotation, so the next failover works. A service that keeps no data rebuilds nothing: its failback moves traffic
 * and modes back, and puts the region left behind back in rotation.
 */
export async function regionFailback(request: RunRequest<RegionFailbackInput>): Promise<RunResult<FailbackResult>> {
  return runRunbook(asPlanMember(runbook), request, async (run: RunbookRun<RegionActivities>, input) => {
    if (run.status.drill?.kind === 'isolated') {
      throw new RunAborted(`${runbook.id} has no isolated drill: ${runbook.drills.isolated.refused}`, 'lifeboat');
    }
    if (input.incidentId) run.audit(run.status.requestedBy, 'incident', input.incidentId);

    const regions = await run.step(resolve, (a) => a.resolveRegions({ service: input.service, source: input.source, target: input.target }));
    run.report('regions', regions);
    const { source, target } = regions;
    const { group, stateless } = scopeOf(regions);

    let rebuilt: FailbackResult['rebuilt'];
    if (stateless) {
      // Nothing to rebuild: the old region needs only its server back in rotation, which reprotect does.
      stepsNotRun(run, input.service, [rebuild.name]);
      rebuilt = notRebuilt(target, input.service);
    } else rebuilt = await run.step(rebuild, (a) => a.rebuildStandby({ service: input.service, region: target, primary: source }));
    run.report('rebuilt', rebuilt);

    await run.step(preflight, async (a) => {
      // A service that keeps no data has no standby to wait for: its service and the traffic provider only.
      if (!stateless) await a.waitForStandby({ service: input.service, region: target, maxLagBytes: input.rpoBudgetBytes, timeoutMs: 4 * 60_000 });
      return a.preflightTarget({ service: input.service, region: target, requireStreaming: true });
    });

    const result = await switchRegions(run, {
      steps,
      options: input,
      mode: 'planned',
      source,
      target,
      undoInstead: `lifeboat run region-failover --set service=${input.service} --set mode=planned`,
      group,
      stateless,
    });

    // The reprotected region goes back to how a fresh estate has its standby: its server in rotation at the load
    // balancer (the switch drained it), so readiness and the next failover find it ready.
    if (stateless) run.audit('lifeboat', 'steps-not-run', `reprotect rebuilds no standby in region ${source}: ${keepsNoData(input.service)}`);
    const reprotected = await run.step(reprotect, async (a) => {
      const rebuiltSource = stateless ? notRebuilt(source, input.service) : await a.rebuildStandby({ service: input.service, region: source, primary: target });
      await a.drainBackend({ service: input.service, region: source, state: 'ready' });
      return rebuiltSource;
    });
    run.report('reprotected', reprotected ?? 'skipped by an operator');

    await notifySwitched(run, notify, result);
    return { ...result, stepTimings: stepTimings(run), rebuilt, reprotected: reprotected ?? null };
  });
}

/** What a failback reports for a region of a service that keeps no data: nothing was rebuilt, and why. */
function notRebuilt(region: string, service: string): FailbackResult['rebuilt'] {
  return { region, method: 'none', notNeeded: keepsNoData(service) };
}
