import { workflowInfo } from '@temporalio/workflow';
import type { regionFailover } from '../runbooks/region-failover';
import type { Region, SwitchOptions } from '../runbooks/region-switch';
import { type RunbookRun, secondsBetween } from '../kit';
import { assessAndApprove, type RegionActivities } from './region-switch';

/** What an isolated drill measured on its clone. */
export interface IsolatedDrillResult {
  drill: 'isolated';
  service: string;
  mode: 'planned' | 'emergency';
  source: Region;
  target: Region;
  /** The synthetic write on the clone: a booking's id (booking), or a record's key (a service with a `records` table). */
  clone: { name: string; port: number; bookingId?: number; recordKey?: string; removed: boolean };
  rto: { fromStartSeconds: number; fromApprovalSeconds: number };
  /** What a failover at the moment of the drill's promotion would have lost. */
  rpo: { bytes: number | null; seconds: number | null };
}

type Steps = Pick<(typeof regionFailover)['procedure'], 'assess' | 'approve'> & (typeof regionFailover)['drills']['isolated']['steps'];

/**
 * The isolated drill of a failover: the same preflight, assessment and gate, then a clone of the target standby is
 * promoted and written to instead of the real one, and removed. Production keeps serving from the source throughout;
 * an abort or a failure removes the clone through its undo.
 */
export async function isolatedFailoverDrill(
  run: RunbookRun<RegionActivities>,
  steps: Steps,
  plan: { options: SwitchOptions; mode: 'planned' | 'emergency'; source: Region; target: Region },
): Promise<IsolatedDrillResult> {
  const { source, target } = plan;
  const { approvedAt } = await assessAndApprove(run, { ...plan, steps });

  const { workflowId, runId } = workflowInfo();
  const name = `drill-${runId}`;
  const service = plan.options.service;
  const clone = await run.step(steps.drillClone, (a) => a.cloneStandby({ service, region: target, name }), { undo: (a) => a.removeClone({ service, name }) });
  run.report('drillClone', clone);
  const promoted = await run.step(steps.drillPromote, (a) => a.promoteClone({ service, name, primary: source }));
  const verified = await run.step(steps.drillVerify, (a) => a.verifyClone({ service, name, idempotencyKey: `lifeboat-drill:${workflowId}:${runId}` }));
  const verifiedAt = Date.now();
  const removed = await run.step(steps.drillRemove, (a) => a.removeClone({ service, name }));

  const rto = { fromStartSeconds: secondsBetween(Date.parse(run.status.startedAt), verifiedAt), fromApprovalSeconds: secondsBetween(approvedAt, verifiedAt) };
  const rpo = { bytes: promoted.lagBytes, seconds: promoted.lagSeconds };
  run.measure({
    rtoSeconds: rto.fromStartSeconds,
    ...(rpo.bytes !== null ? { rpoBytes: rpo.bytes } : {}),
    ...(rpo.seconds !== null ? { rpoSeconds: rpo.seconds } : {}),
  });
  run.report('rto', rto);
  run.report('rpo', rpo);
  return {
    drill: 'isolated',
    service: plan.options.service,
    mode: plan.mode,
    source,
    target,
    clone: { name, port: clone.port, ...verified, removed: removed.removed },
    rto,
    rpo,
  };
}
