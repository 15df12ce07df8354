import { WorkflowIdReusePolicy } from '@temporalio/common';
import { ApplicationFailure, executeChild, ParentClosePolicy } from '@temporalio/workflow';
import { regionFailback, type RegionFailbackInput } from '../runbooks/region-failback';
import type { RegionFailoverInput } from '../runbooks/region-failover';
import { ErrorType, type RunbookRun, runIdFor, type RunResult, type StepSpec } from '../kit';
import { checkObjectives, type ObjectiveCheck, runSearchAttributes } from '../kit/trust';
import type { FailbackResult } from './region-failback';
import type { SwitchResult } from './region-switch-facts';
import type { RegionActivities, SwitchOutcome } from './region-switch';

/** What a live drill's way back did: the failback run, its outcome and its own RTO and RPO. */
export interface LiveDrillFailback {
  runId: string;
  state: RunResult['state'];
  outcome: string | null;
  source: string;
  target: string;
  rto: FailbackResult['rto'] | null;
  rpo: FailbackResult['rpo'] | null;
  objectives: ObjectiveCheck[];
  /** The failback's own drill verdict: empty when it passed. */
  drillProblems: string[];
}

/** A live drill's result: the failover's figures (its RTO and RPO are the drill's), and the failback's. */
export interface LiveDrillResult extends SwitchResult {
  drill: 'live';
  failback: LiveDrillFailback;
}

/**
 * The way back of a live drill: `region-failback` as a child workflow, under the ID a real failback of the service
 * would use (so it never overlaps one), as the same kind of drill for the same requester. The child is abandoned
 * rather than killed if this run is terminated: a failback half done must finish or be handled on its own.
 * A failback that does not succeed fails this step, so the drill says so, and an operator decides what next.
 */
export async function failBackAfterLiveDrill(
  run: RunbookRun<RegionActivities>,
  spec: StepSpec & { skippable: true },
  input: RegionFailoverInput,
  failover: SwitchOutcome,
): Promise<LiveDrillFailback | undefined> {
  return run.step(spec, async () => {
    const childInput: RegionFailbackInput = {
      service: input.service,
      source: failover.target,
      target: failover.source,
      rpoBudgetBytes: input.rpoBudgetBytes,
      rpoBudgetSeconds: input.rpoBudgetSeconds,
      verifyWindowSeconds: input.verifyWindowSeconds,
      catchUpTimeoutSeconds: input.catchUpTimeoutSeconds,
      ...(input.incidentId ? { incidentId: input.incidentId } : {}),
    };
    const workflowId = runIdFor(regionFailback.id, regionFailback.target(childInput));
    const drill = run.status.drill!;
    run.report('failback', { runId: workflowId, state: 'running' });
    const result = await executeChild<(request: unknown) => Promise<RunResult<FailbackResult>>>(regionFailback.workflowType, {
      workflowId,
      args: [{ input: childInput, requestedBy: run.status.requestedBy, drill, ...(run.startProof ? { start: run.startProof } : {}) }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: runSearchAttributes({
        runbook: regionFailback.id,
        target: input.service,
        state: 'running',
        requestedBy: run.status.requestedBy,
        drill: drill.kind,
      }),
    });
    const summary: LiveDrillFailback = {
      runId: workflowId,
      state: result.state,
      outcome: result.outcome ?? null,
      source: failover.target,
      target: failover.source,
      rto: result.output?.rto ?? null,
      rpo: result.output?.rpo ?? null,
      objectives: checkObjectives(result),
      drillProblems: problemsOf(result),
    };
    run.report('failback', summary);
    if (result.state !== 'succeeded') {
      throw ApplicationFailure.nonRetryable(
        `the failback ${workflowId} ended ${result.state}: ${result.outcome ?? 'no outcome'}; the service is still in region ${failover.target}`,
        ErrorType.Precondition,
      );
    }
    return summary;
  });
}

function problemsOf(result: RunResult): string[] {
  const verdict = result.details.drillResult;
  if (verdict === 'passed') return [];
  const failed = (verdict as { failed?: unknown } | undefined)?.failed;
  return Array.isArray(failed) ? failed.map(String) : [];
}
