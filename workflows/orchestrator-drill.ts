import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { orchestratorDrill as runbook, type OrchestratorDrillInput } from '../runbooks/orchestrator-drill';
import { ErrorType, type KitActivities, type RunbookRun, type RunRequest, type RunResult, runRunbook } from '../kit';
import type { OrchestratorDrillActivities } from '../activities/orchestrator-drill';

const { clusters, approve, lag, failover, continueThere, failback, continueHome } = runbook.procedure;

/** What the drill measured, each way: the figures its report gives. */
export interface OrchestratorDrillResult {
  namespace: string;
  from: string;
  to: string;
  /** Events the other cluster was missing of this run when the failover was asked for, and how long it took to catch up. */
  eventsBehindAtSwitch: number;
  lagAtSwitchMs: number;
  /** From asking for the failover until the namespace recorded it. */
  failoverMs: number;
  /** From the failover until the run's next step ran on the other cluster's worker. */
  waitedMs: number;
  failbackMs: number;
  waitedAfterFailbackMs: number;
}

type Run = RunbookRun<KitActivities & OrchestratorDrillActivities>;

/**
 * Fails the run's own namespace over to the other cluster, checks the run goes on there, and fails back. Nothing it
 * acts on comes from its input: the namespace is the run's own, the clusters are those Temporal replicates it to.
 */
export async function orchestratorDrill(request: RunRequest<OrchestratorDrillInput>): Promise<RunResult<OrchestratorDrillResult>> {
  return runRunbook(runbook, request, async (run: Run, input) => {
    // The failover is real even in a drill, so only a live drill may run it; a real run has nothing to recover.
    if (run.status.drill?.kind !== 'live')
      throw ApplicationFailure.nonRetryable(
        'orchestrator-drill only runs as a live drill: lifeboat run orchestrator-drill --drill live',
        ErrorType.Precondition,
      );
    const { namespace, active: from, other: to } = await run.step(clusters, (a) => a.orchestratorClusters());
    run.report('orchestrator', { namespace, from, to });
    await run.gate(approve);

    const there = await switchTo(run, to, from, run.status.runId);
    run.report('failover', there);
    await sleep(input.holdSeconds * 1000);
    const home = await failBack(run, from);
    run.report('failback', home);
    run.measure({ rtoSeconds: Math.round((there.failoverMs + there.waitedMs) / 100) / 10 });
    return {
      namespace,
      from,
      to,
      eventsBehindAtSwitch: there.eventsBehind,
      lagAtSwitchMs: there.caughtUpMs,
      failoverMs: there.failoverMs,
      waitedMs: there.waitedMs,
      failbackMs: home.failoverMs,
      waitedAfterFailbackMs: home.waitedMs,
    };
  });
}

/** The lag at the switch, the failover, and the run's first step on the new cluster, timed. */
async function switchTo(run: Run, to: string, from: string, workflowId: string) {
  const { eventsBehind, caughtUpMs } = await run.step(lag, (a) => a.replicationAtSwitch({ workflowId, from, to }));
  const askedAt = Date.now();
  const made = await run.step(failover, (a) => a.failOrchestratorOver({ to }));
  const moved = await run.step(continueThere, (a) => a.workerClusterIs({ expected: to }));
  return { eventsBehind, caughtUpMs, ...timings(askedAt, made.failedOverAt, moved.at) };
}

async function failBack(run: Run, home: string) {
  const askedAt = Date.now();
  const made = await run.step(failback, (a) => a.failOrchestratorOver({ to: home }));
  const moved = await run.step(continueHome, (a) => a.workerClusterIs({ expected: home }));
  return timings(askedAt, made.failedOverAt, moved.at);
}

/** Clocks of two clusters' hosts and the workflow's own: a difference below zero is skew, shown as zero. */
function timings(askedAt: number, failedOverAt: number, movedAt: number) {
  return { failoverMs: Math.max(0, failedOverAt - askedAt), waitedMs: Math.max(0, movedAt - failedOverAt) };
}
