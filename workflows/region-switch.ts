import { workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { SystemActivities as EstateActivities } from '../activities';
import type { FailoverDrillActivities } from '../activities';
import type { FencingState, LoadLoss, RegionSwitchActivities, ServerState } from '../activities/region-switch';
import type { Region, SwitchOptions, switchSteps } from '../runbooks/region-switch';
import { describeError, type RunbookRun, RunAborted, type StepSpec, type UndoContext, secondsBetween, type KitActivities } from '../kit';
import {
  dataAtRisk,
  emergencyRpo,
  keepsNoData,
  lsnBytes,
  type NoDataAtRisk,
  plannedRefusal,
  serviceNames,
  statelessRpo,
  type SwitchResult,
} from './region-switch-facts';

/** A switch's figures; the runbook adds each step's timings once its last step has run. */
export type SwitchOutcome = Omit<SwitchResult, 'stepTimings'>;

/** Every activity the region runbooks call. */
export type RegionActivities = KitActivities & EstateActivities & RegionSwitchActivities & FailoverDrillActivities;

type Named<T> = { [K in keyof T]: T[K] & { name: string } };

/** What the controlled switch needs from the runbook that runs it. */
export interface SwitchPlan {
  steps: Named<typeof switchSteps>;
  options: SwitchOptions;
  mode: 'planned' | 'emergency';
  source: Region;
  target: Region;
  /** What to run instead of undoing once the standby is promoted. */
  undoInstead: string;
  /** Every service the switch moves (its failover group), when resolveRegions said; else the service alone. */
  group?: string[] | undefined;
  /** The service keeps no data: the switch moves traffic and modes only. */
  stateless?: boolean;
}

/** What the data steps left for the rest of the switch: the RPO, and which system promoted the standby. */
interface DataMoved {
  rpo: SwitchResult['rpo'];
  promotedBy?: string | null;
}

/**
 * The controlled switch from `source` to `target`, steps 2 to 7 of the paper procedure: assess, approve, drain and
 * fence, catch up or record the loss, promote, count lost bookings, open the target, switch traffic, verify.
 * Every undo is registered as its step succeeds; after promotion the way back is `undoInstead`. A service that keeps
 * no data skips the data steps (fence to measureLoss) and is past return once traffic has moved.
 */
export async function switchRegions(run: RunbookRun<RegionActivities>, plan: SwitchPlan): Promise<SwitchOutcome> {
  const { steps: s, options, mode, source, target } = plan;
  const on = { service: options.service };

  const { approvedAt } = await assessAndApprove(run, plan);

  // Both undos put back what was there before the step's first attempt, which a retry after a lost worker cannot see.
  const drainFrom = Date.now();
  await run.step(s.drain, (a) => a.drainBackend({ ...on, region: source }), {
    before: (a) => a.readServerState({ ...on, region: source }),
    undo: (a, { before }) => a.drainBackend({ ...on, region: source, state: before?.state ?? 'ready', ...memberStatesOf(before) }),
  });

  const moved = plan.stateless ? skipDataSteps(run, plan) : await moveData(run, plan);
  const { rpo } = moved;
  run.report('rpo', rpo);
  run.measure({
    ...(rpo.bytes !== null ? { rpoBytes: rpo.bytes } : {}),
    ...(rpo.seconds !== null ? { rpoSeconds: rpo.seconds } : {}),
    ...(rpo.lostAcknowledgedBookings !== null ? { rpoWrites: rpo.lostAcknowledgedBookings } : {}),
  });

  await run.step(s.openTarget, async (a) => {
    if (!plan.stateless) await a.unfenceDatabase({ ...on, region: target });
    return a.setMode({ ...on, region: target, mode: 'normal' });
  });
  const switched = await run.step(s.switchTraffic, (a) => a.setActiveBackend({ ...on, region: target }));
  if (plan.stateless) {
    // Nothing was promoted, so the switch could be undone until clients went to the target; from here the way back
    // is the other runbook, as after a promotion.
    run.pointOfNoReturn(s.switchTraffic.name, plan.undoInstead);
    run.report('actedThrough', { switchTraffic: switched.provider ?? null });
  } else run.report('actedThrough', { promote: moved.promotedBy ?? null, switchTraffic: switched.provider ?? null });
  const switchedAt = Date.now();
  const switchWindow = { from: new Date(drainFrom).toISOString(), to: new Date(switchedAt).toISOString(), ms: switchedAt - drainFrom };
  run.report('switchWindow', switchWindow);

  const { workflowId, runId } = workflowInfo();
  const verified = await run.step(s.verify, (a) =>
    a.verifyThroughLoadBalancer({
      ...on,
      region: target,
      idempotencyKey: `lifeboat-verify:${workflowId}:${runId}`,
      windowSeconds: options.verifyWindowSeconds,
    }),
  );
  const verifiedAt = Date.now();
  // Traffic is restored when clients are served in the target, which the switch alone does not prove.
  if (verified.servedAt) run.report('servedAt', verified.servedAt);

  const rto = {
    fromStartSeconds: secondsBetween(Date.parse(run.status.startedAt), verifiedAt),
    fromApprovalSeconds: secondsBetween(approvedAt, verifiedAt),
    ...(options.detectedAt ? { fromDetectionSeconds: secondsBetween(Date.parse(options.detectedAt), verifiedAt) } : {}),
  };
  run.measure({ rtoSeconds: rto.fromStartSeconds, ...(rto.fromDetectionSeconds !== undefined ? { rtoFromDetectionSeconds: rto.fromDetectionSeconds } : {}) });
  run.report('rto', rto);
  return {
    service: options.service,
    services: plan.group ?? [options.service],
    mode,
    source,
    target,
    ...(options.incidentId ? { incidentId: options.incidentId } : {}),
    rto,
    rpo,
    switchWindow,
  };
}

/**
 * The data side of the switch: fence the source, let the standby catch up (planned) or record its position
 * (emergency), promote it, and count the acknowledged writes the target lacks. Promotion is the point of no return.
 */
async function moveData(run: RunbookRun<RegionActivities>, plan: SwitchPlan): Promise<DataMoved> {
  const { steps: s, options, mode, source, target } = plan;
  const on = { service: options.service };
  const fence = await run.step(
    s.fence,
    async (a): Promise<SourceFence> => {
      const node = await a.nodeStatus({ ...on, region: source });
      if (!node.reachable && mode === 'emergency') return { fenced: false, alreadyFenced: false, unreachable: node.error ?? 'unreachable' };
      const fenced = await a.fenceDatabase({ ...on, region: source });
      const { lsn } = await a.currentWalLsn({ ...on, region: source });
      return { fenced: true, alreadyFenced: fenced.alreadyFenced, finalLsn: lsn };
    },
    { before: (a) => a.readFencing({ ...on, region: source }), undo: (a, seen) => restoreFencing(a, on, source, seen) },
  );
  run.report('sourceFence', fence);

  let standbyLsn: string | null = null;
  let standbyLastReplayAt: string | null = null;
  if (mode === 'planned') {
    const timeoutMs = options.catchUpTimeoutSeconds * 1000;
    const caught = await run.step(s.catchUp, (a) => a.waitForReplay({ ...on, region: target, targetLsn: fence!.finalLsn!, timeoutMs }));
    standbyLsn = caught.replayLsn;
  } else {
    const position = await run.step(s.recordPosition, (a) => a.nodeStatus({ ...on, region: target }));
    standbyLsn =
      [position.receiveLsn, position.replayLsn]
        .filter((l): l is string => !!l)
        .sort((x, y) => lsnBytes(x) - lsnBytes(y))
        .at(-1) ?? null;
    standbyLastReplayAt = position.lastReplayAt ?? null;
    run.report('lastPosition', {
      receiveLsn: position.receiveLsn,
      replayLsn: position.replayLsn,
      lastReplayAt: position.lastReplayAt,
      sourceFinalLsn: fence.finalLsn ?? null,
    });
  }

  const promoted = await run.step(s.promote, (a) => a.promoteStandby({ ...on, region: target }));
  // Which system did it, as the worker's targets file named it: for the report, never for a decision.
  run.report('actedThrough', { promote: promoted.provider ?? null });
  run.pointOfNoReturn(s.promote.name, plan.undoInstead);

  const loss = await run.step(s.measureLoss, (a) =>
    a.countLostAcknowledged({ ...on, region: target }).catch((err: unknown): LoadLoss => {
      run.audit('lifeboat', 'loss-unmeasured', describeError(err));
      return { present: false };
    }),
  );
  const rpo =
    mode === 'planned'
      ? { bytes: 0, seconds: 0, lostAcknowledgedBookings: loss.present ? loss.lost : null }
      : emergencyRpo(fence.finalLsn, standbyLsn, standbyLastReplayAt, loss);
  return { rpo, promotedBy: promoted.provider ?? null };
}

/** For a service that keeps no data: the data steps do not run, and status and the audit trail say why. */
function skipDataSteps(run: RunbookRun<RegionActivities>, plan: SwitchPlan): DataMoved {
  const { steps: s, mode } = plan;
  const skipped = [s.fence, mode === 'planned' ? s.catchUp : s.recordPosition, s.promote, s.measureLoss].map((step) => step.name);
  stepsNotRun(run, plan.options.service, skipped);
  return { rpo: statelessRpo() };
}

/**
 * Each failover-group member's serving state as the drain step's `before` read it, so its undo puts back each one's
 * own (one member may have been in maintenance). Nothing where the read named no members (a run recorded before groups).
 */
function memberStatesOf(before: object | undefined): { memberStates?: Record<string, ServerState['state']> } {
  const members = (before as { members?: { service: string; state: ServerState['state'] }[] } | undefined)?.members;
  return members ? { memberStates: Object.fromEntries(members.map((m) => [m.service, m.state])) } : {};
}

/**
 * Records steps of the procedure that did not run because the service keeps no data: an audit entry, and the list in
 * status (`stepsNotRun`), added to what earlier steps of the run left there.
 */
export function stepsNotRun(run: RunbookRun<RegionActivities>, service: string, steps: string[]): void {
  const reason = keepsNoData(service);
  const earlier = (run.status.details.stepsNotRun as { steps?: readonly string[] } | undefined)?.steps ?? [];
  run.report('stepsNotRun', { steps: [...earlier, ...steps], reason });
  run.audit('lifeboat', 'steps-not-run', `${steps.join(', ')} did not run: ${reason}`);
}

/** What the fence step did to the source database. */
interface SourceFence {
  fenced: boolean;
  alreadyFenced: boolean;
  finalLsn?: string;
  unreachable?: string;
}

/**
 * Undoes the fence step by putting back the fence as it was before the step: lifted if the source was not fenced, left
 * if it was. Where that is unknown (the read never completed, or the source did not answer then),
 * it goes by what the step says it did, and lifts only a fence the step itself set.
 */
async function restoreFencing(
  a: ActivityInterfaceFor<RegionActivities>,
  on: { service: string },
  source: Region,
  seen: UndoContext<FencingState, SourceFence>,
): Promise<unknown> {
  const { before, result } = seen;
  if (before?.reachable) return before.fenced ? undefined : a.unfenceDatabase({ ...on, region: source });
  return result?.fenced && !result.alreadyFenced ? a.unfenceDatabase({ ...on, region: source }) : undefined;
}

/**
 * Where a switch starts, and an isolated drill too: see how much data is at risk (a planned switch over its budget
 * stops here, before any change), then wait for the approvals.
 */
export async function assessAndApprove(
  run: RunbookRun<RegionActivities>,
  plan: Pick<SwitchPlan, 'options' | 'mode' | 'source' | 'target' | 'stateless'> & { steps: Pick<SwitchPlan['steps'], 'assess' | 'approve'> },
): Promise<{ approvedAt: number }> {
  const { steps: s, options, mode, source, target } = plan;
  const on = { service: options.service };
  if (plan.stateless) {
    // Nothing to lose, so nothing to weigh against a budget: the approvers see only whether the source answers.
    const risk = await run.step(s.assess, async (a): Promise<NoDataAtRisk> => ({
      sourceServiceAnswers: (await a.health({ ...on, region: source })).reachable,
      stateless: true,
      reason: keepsNoData(options.service),
    }));
    run.report('dataAtRisk', risk);
  } else {
    const risk = await run.step(s.assess, async (a) => {
      const [replication, sourceService] = await Promise.all([a.replicationStatus(on), a.health({ ...on, region: source })]);
      return dataAtRisk(replication, sourceService, source, target);
    });
    run.report('dataAtRisk', risk);
    if (mode === 'planned') {
      const refusal = plannedRefusal(risk, { bytes: options.rpoBudgetBytes, seconds: options.rpoBudgetSeconds });
      if (refusal) throw new RunAborted(`planned switch stopped before any change: ${refusal}`, 'lifeboat');
    }
  }

  await run.gate(s.approve);
  return { approvedAt: Date.now() };
}

/** Each step's duration so far, for the result and the notification. */
export function stepTimings(run: RunbookRun<RegionActivities>): SwitchResult['stepTimings'] {
  return run.status.steps.map((st) => ({ step: st.name, durationMs: st.durationMs ?? null }));
}

/** Sends the summary a channel needs after the switch: where the services are now, RTO and RPO. */
export async function notifySwitched(run: RunbookRun<RegionActivities>, spec: StepSpec, result: SwitchOutcome): Promise<void> {
  const { rto, rpo } = result;
  const moved = result.services ?? [result.service];
  const names = serviceNames(moved);
  const one = moved.length <= 1;
  const text = [
    `${names} ${one ? 'now serves' : 'now serve'} from region ${result.target} (${result.mode}, from ${result.source})${result.incidentId ? `, incident ${result.incidentId}` : ''}.`,
    `RTO ${rto.fromStartSeconds}s from start${rto.fromDetectionSeconds !== undefined ? `, ${rto.fromDetectionSeconds}s from detection` : ''}; clients could not ${rpo.stateless ? `reach ${result.service}` : 'book'} for ${result.switchWindow.ms} ms.`,
    rpo.stateless
      ? `RPO 0: ${keepsNoData(result.service)}.`
      : `RPO ${rpo.bytes ?? 'unknown'} WAL bytes, ${rpo.lostAcknowledgedBookings ?? 'unmeasured'} acknowledged bookings lost.`,
  ].join('\n');
  await run.step(spec, (a) =>
    a.notify({
      kind: 'info',
      runId: run.status.runId,
      runbook: run.status.runbook,
      target: run.status.target,
      state: run.status.state,
      title: `${run.status.title}: ${names} ${one ? 'is' : 'are'} in region ${result.target}`,
      text,
    }),
  );
}
