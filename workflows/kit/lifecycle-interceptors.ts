import { defaultPayloadConverter } from '@temporalio/common';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';

/**
 * The header every activity a run schedules carries: the run ID that scheduled it. Temporal's reset keeps the events
 * before the reset point, activities scheduled there included, and dispatches those still pending again under the new
 * run's ID; the worker's activity guard (lib/activity-guard.ts) refuses an activity whose header names another run, so an
 * approval given before a reset cannot drive a step after it.
 */
export const SCHEDULED_BY_RUN_HEADER = 'lifeboat-scheduled-by-run';

/** Workflow interceptors that every bundle carries (lib/workflow-bundle.ts, the tests' bundle): the run ID on each activity. */
export const interceptors = (): WorkflowInterceptors => ({
  outbound: [
    {
      scheduleActivity: (input, next) => next({ ...input, headers: { ...input.headers, [SCHEDULED_BY_RUN_HEADER]: runIdPayload() } }),
      scheduleLocalActivity: (input, next) => next({ ...input, headers: { ...input.headers, [SCHEDULED_BY_RUN_HEADER]: runIdPayload() } }),
    },
  ],
});

function runIdPayload() {
  return defaultPayloadConverter.toPayload(workflowInfo().runId);
}
