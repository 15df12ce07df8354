import { msToNumber } from '@temporalio/common/lib/time';
import type { FleetActivities } from '../activities/fleet';
import type { IsolationScope, VendorIsolationActivities } from '../activities/vendor-isolation';
import { isolateVendorModule as runbook, type IsolateVendorModuleInput } from '../runbooks/isolate-vendor-module';
import { type KitActivities, type RunbookRun, type RunRequest, type RunResult, runRunbook } from '../kit';
import { HandsOnQueue } from './vendor-isolation/hands-on-queue';
import { buildReport, type IsolationReport } from './vendor-isolation/report';
import { describeWave, Rollout } from './vendor-isolation/rollout';
import { inScratchFleet } from './vendor-isolation/scratch-fleet';

type Activities = KitActivities & VendorIsolationActivities & Pick<FleetActivities, 'markRepaired' | 'createScratchFleet' | 'removeScratchFleet'>;

const { assess, contain, canary, continueRollout, wave, handsOn, verify, report } = runbook.procedure;

/**
 * Stop the spread, fix a canary, get approval, fix the rest in waves, wait for hands-on repairs, verify, report.
 * An isolated drill rehearses the same procedure on a scratch copy of the scope, so production is never touched.
 */
export async function isolateVendorModule(request: RunRequest<IsolateVendorModuleInput>): Promise<RunResult<IsolationReport>> {
  return runRunbook(runbook, request, async (run: RunbookRun<Activities>, input) => {
    const drill = run.status.drill;
    if (drill?.kind !== 'isolated') return isolate(run, input, { scope: input.scope });
    return inScratchFleet(run, input, (scratchScope) => isolate(run, input, { scope: scratchScope, closeHandsOnByPolicy: drill.approvals === 'policy' }));
  });
}

/**
 * The procedure on `on.scope`: production's hosts, or a drill's scratch copy of them. `closeHandsOnByPolicy` lets an
 * unattended drill close its scratch hands-on items itself (audited as the drill policy).
 */
async function isolate(
  run: RunbookRun<Activities>,
  input: IsolateVendorModuleInput,
  on: { scope: IsolationScope; closeHandsOnByPolicy?: boolean },
): Promise<IsolationReport> {
  const startMs = Date.now();
  const notice = { runbook: runbook.id, target: run.status.target };
  const queue = new HandsOnQueue(run, startMs + msToNumber(input.handsOnDeadline as Parameters<typeof msToNumber>[0]));
  queue.register();

  const blast = await run.step(assess, (a) =>
    a.assessBlastRadius({ scope: on.scope, badVersion: input.badVersion, sizing: { canary: input.waves.canary, sizes: input.waves.sizes } }),
  );
  const { waves: plan, ...radius } = blast;
  run.report('blastRadius', radius);

  // Containment runs before any gate: stopping the spread must not wait for a meeting.
  const pinned = await run.step(contain, (a) => a.pinUpdateChannel({ scope: on.scope, version: input.goodVersion }));
  const containedAtMs = Date.now();
  run.report('containment', { pinnedTo: input.goodVersion, hosts: pinned.hosts, changed: pinned.changed, afterSeconds: (containedAtMs - startMs) / 1000 });

  const rollout = new Rollout(run, { ...input, scope: on.scope }, queue, plan);
  const [canaryWave, ...laterWaves] = plan;
  if (canaryWave) {
    const canaryResult = await rollout.runWave(canary, canaryWave);
    run.report('canary', describeWave(canaryResult));
    if (laterWaves.length > 0) await run.gate({ ...continueRollout, title: `${continueRollout.title}: ${describeWave(canaryResult)}` });
  }
  for (const next of laterWaves) await rollout.runWave(wave, next);

  await run.step(handsOn, () => {
    if (on.closeHandsOnByPolicy) queue.closeByDrillPolicy();
    return queue.settle();
  });

  const verified = await run.step(verify, async (a) => {
    await queue.recordRepairs();
    return a.verifyScope({ scope: on.scope, badVersion: input.badVersion, goodVersion: input.goodVersion, waived: queue.waived().map((t) => t.host) });
  });
  run.report('verified', verified);
  run.measure({ rtoSeconds: Math.round((Date.now() - startMs) / 1000) });

  const result = buildReport({
    startMs,
    containedAtMs,
    affected: blast.affected,
    down: blast.down,
    recoveries: [...rollout.recoveries, ...queue.repairs],
    fixedRemotely: rollout.fixedRemotely,
    tasks: queue.list(),
  });
  run.report('report', result);
  await run.step(report, (a) =>
    a.notify({
      ...notice,
      kind: 'info',
      runId: run.status.runId,
      state: run.status.state,
      title: `${input.module} ${input.badVersion} isolated on ${run.status.target}${on.scope.fleet ? ` (scratch fleet ${on.scope.fleet})` : ''}`,
      text: `Contained after ${result.containedAfterSeconds}s; 50/90/100% of ${result.downAtStart} down hosts healthy after ${[result.recovery.p50Seconds, result.recovery.p90Seconds, result.recovery.p100Seconds].map((v) => (v === null ? 'not reached' : `${v}s`)).join(' / ')}; fixed remotely ${result.fixedRemotely}, by hand ${result.fixedByHand}, waived ${result.waivers.length}.`,
    }),
  );
  return result;
}
