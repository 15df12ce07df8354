import { CancellationScope, isCancellation, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { FleetActivities, ScratchFleet } from '../../activities/fleet';
import type { IsolationScope, VendorIsolationActivities } from '../../activities/vendor-isolation';
import { isolateVendorModule, type IsolateVendorModuleInput } from '../../runbooks/isolate-vendor-module';
import { type RunbookRun, RunAborted } from '../../kit';

const steps = isolateVendorModule.drills.isolated.steps;

/**
 * What the drill's steps call, with the retries their steps declare. Each call is idempotent (the console answers a
 * repeated request id, and removing a removed fleet is a no-op), so Temporal may retry it.
 */
type ScratchFleetActivities = Pick<FleetActivities, 'createScratchFleet' | 'removeScratchFleet'> & Pick<VendorIsolationActivities, 'reproduceFaultyUpdate'>;

/** What status shows once the scratch fleet is gone (`drillCleanup`). */
export interface DrillCleanup {
  scratchFleet: string;
  /** Hosts removed with it; 0 with `removed: false` when it was already gone. */
  hosts: number;
  removed: boolean;
  /** `cleanup` after a finished drill; `undo` after an abort, a rejection or a failure. */
  via: 'cleanup' | 'undo';
  at: string;
}

/**
 * An isolated drill of `isolate-vendor-module`: builds a scratch copy of the scope's hosts, reproduces the faulty
 * update on it, runs `procedure` against the copy only, then removes it. The removal is also the build step's undo,
 * so an abort, a rejected gate or a failed step removes the scratch fleet too.
 */
export async function inScratchFleet<T>(
  run: Pick<RunbookRun<ScratchFleetActivities>, 'step' | 'report' | 'audit' | 'compensate' | 'status'>,
  input: IsolateVendorModuleInput,
  procedure: (scope: IsolationScope) => Promise<T>,
): Promise<T> {
  const remove = async (fleet: ActivityInterfaceFor<ScratchFleetActivities>, id: string, via: DrillCleanup['via']): Promise<void> => {
    const r = await fleet.removeScratchFleet({ id });
    const cleanup: DrillCleanup = { scratchFleet: id, hosts: r.hosts, removed: r.removed, via, at: new Date(Date.now()).toISOString() };
    run.report('drillCleanup', cleanup);
    run.audit('lifeboat', 'drill-cleanup', `scratch fleet ${id}: ${r.removed ? `removed with its ${r.hosts} host(s)` : 'already gone'}`);
  };

  // One request id for every attempt of the build, even the kit's retries (new activities), so a retry never builds a second fleet.
  const requestId = `${workflowInfo().workflowId}:${workflowInfo().runId}:drill-build`;
  const scratch: ScratchFleet = await run.step(
    steps.drillBuild,
    (fleet) => fleet.createScratchFleet({ copyOf: input.scope, label: run.status.runId, requestId }),
    {
      undo: (fleet) => remove(fleet, scratch.id, 'undo'),
    },
  );
  const scope: IsolationScope = { ...input.scope, fleet: scratch.id };
  run.report('drillScratchFleet', { id: scratch.id, hosts: scratch.hosts, byRole: scratch.byRole });

  try {
    const fault = await run.step(steps.drillReproduce, (fleet) =>
      fleet.reproduceFaultyUpdate({ fleet: scratch.id, version: input.badVersion, crashRate: input.drillCrashRate }),
    );
    run.report('drillScratchFleet', { id: scratch.id, hosts: scratch.hosts, byRole: scratch.byRole, faultyUpdate: { version: input.badVersion, ...fault } });
    const output = await procedure(scope);
    await run.step(steps.drillCleanup, (fleet) => remove(fleet, scratch.id, 'cleanup'));
    return output;
  } catch (err) {
    // An abort or a cancellation runs the undos in the kit; any other failure would not, so run them here.
    if (!(err instanceof RunAborted) && !isCancellation(err)) await CancellationScope.nonCancellable(() => run.compensate());
    throw err;
  }
}
