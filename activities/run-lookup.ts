import { Context } from '@temporalio/activity';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { ErrorType } from '../kit';
import { type ClaimStartRequest, type ClaimStartResult, type RunFacts, type ScheduledStartCheck } from '../kit/trust';

/**
 * What a run asks Temporal about other runs while it decides whether to trust its own start: the parent that started
 * it, the run it continued from, the schedule that claims to have started it, and whether its signed start was used
 * before. Each answer comes from the server's own records, never from what a workflow's input says about itself.
 */
export function createRunLookupActivities() {
  return {
    /** The workflow type, task queue, status, start time and first argument of one run, from its first history event. */
    async describeRun(request: { workflowId: string; runId: string }): Promise<RunFacts> {
      const client = Context.current().client;
      const response = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId: request.workflowId, runId: request.runId },
        maximumPageSize: 1,
      });
      const first = response.history?.events?.[0];
      const started = first?.workflowExecutionStartedEventAttributes;
      if (!first || !started) {
        throw ApplicationFailure.nonRetryable(`no run ${request.runId} of ${request.workflowId.slice(0, 200)} in this namespace`, ErrorType.DecisionRefused);
      }
      const described = await client.workflow.getHandle(request.workflowId, request.runId).describe();
      const [argument] = await decodeArrayFromPayloads(client.options.loadedDataConverter, started.input?.payloads ?? []);
      return {
        workflowType: started.workflowType?.name ?? '',
        taskQueue: started.taskQueue?.name ?? '',
        status: described.status.name,
        startTime: described.startTime.toISOString(),
        argument: boundedArgument(argument),
        firstRunId: started.firstExecutionRunId || request.runId,
      };
    },

    /**
     * Claims a signed start for one run: the first run to claim a statement's nonce holds it, and any other run is
     * told which run that was. The claim is a workflow ID of its own (`lifeboat-start-claim/<nonce>`) that Temporal
     * never lets be reused, so the check holds across workers and regions. Calling it again for the same run (an
     * activity retried after a crash) answers the same.
     */
    async claimStart(request: ClaimStartRequest): Promise<ClaimStartResult> {
      const client = Context.current().client;
      const claimId = `lifeboat-start-claim/${request.nonce}`;
      const holder = `${request.workflowId}@${request.runId}`;
      try {
        await client.workflow.start('lifeboatStartClaim', {
          workflowId: claimId,
          // The worker that serves the run serves its claim: a workflow that ends as soon as it starts.
          taskQueue: Context.current().info.taskQueue,
          args: [],
          memo: { holder },
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        return { claimed: true };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const earlier = await client.workflow.getHandle(claimId).describe();
        const heldBy = typeof earlier.memo?.holder === 'string' ? earlier.memo.holder : 'another run';
        return heldBy === holder ? { claimed: true } : { claimed: false, heldBy };
      }
    },

    /**
     * Whether a drill schedule started this run: the schedule must exist and list the run (by workflow ID and first run
     * ID) among the actions it took. The schedule records an action a moment after the start, so a miss is retried.
     */
    async checkScheduledStart(request: ScheduledStartCheck): Promise<{ ok: true } | { ok: false; reason: string }> {
      const client = Context.current().client;
      let description;
      try {
        description = await client.schedule.getHandle(request.scheduleId).describe();
      } catch {
        return { ok: false, reason: `no drill schedule ${request.scheduleId.slice(0, 200)} exists, so it cannot have started this run` };
      }
      const taken = [...description.info.runningActions, ...description.info.recentActions.map((a) => a.action)];
      const listed = taken.some((a) => a.workflow.workflowId === request.workflowId && a.workflow.firstExecutionRunId === request.firstExecutionRunId);
      if (listed) return { ok: true };
      if (Context.current().info.attempt < 5) throw new Error(`schedule ${request.scheduleId} does not list this run yet`);
      return { ok: false, reason: `drill schedule ${request.scheduleId.slice(0, 200)} did not start this run (it is not among the runs the schedule took)` };
    },
  };
}

export type RunLookupActivities = ReturnType<typeof createRunLookupActivities>;

/** A run's first argument as the checks need it, capped so a hostile input cannot swell the asking run's history. */
function boundedArgument(argument: unknown): unknown {
  const text = JSON.stringify(argument ?? null);
  if (text.length > 256 * 1024)
    throw ApplicationFailure.nonRetryable('the run checked has an input over 256 KiB; refusing to trust it', ErrorType.DecisionRefused);
  return argument;
}
