import { defaultPayloadConverter } from '@temporalio/common';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';

/**
 * The header every activity a run schedules carries: the run ID that scheduled it. Temporal's reset keeps the events
 * before the reset point, activities scheduled there included, and dispatches those still pending again under the new
 * run's ID; the worker's activity guard (lib/activity-guard.ts) refuses an activity whose header names another run, so an
 * approval given before a reset cannot drive a step after it.
 */
export const SCHEDULED_BY_RUN_HEADER = 'lifeboat-scheduled-by-run';

/** The marker a run records where it took notice of a reset; the run ID of the reset run follows it. */
export const RESET_NOTICED_PREFIX = 'reset-noticed-';

/**
 * The reset markers Temporal has announced so far while replaying this run. Temporal announces the markers a workflow
 * task recorded before that task's jobs run; the SDK keeps them in its activator (`knownPresentPatches`, not part of
 * its public API, so pinned with the SDK version and covered by test/trust/lifecycle.test.ts, whose worker replays
 * every run at every task). With them the run asks for each marker exactly where it asked live, under whatever run ID
 * it now replays (a later reset's, or a replayer's).
 */
export function announcedResetMarkers(): string[] {
  const activator = (globalThis as { __TEMPORAL_ACTIVATOR__?: { knownPresentPatches?: Set<string> } }).__TEMPORAL_ACTIVATOR__;
  return [...(activator?.knownPresentPatches ?? [])].filter((id) => id.startsWith(RESET_NOTICED_PREFIX));
}

/**
 * Workflow interceptors that every bundle carries (lib/workflow-bundle.ts, the tests' bundle): the run ID on each
 * activity.
 */
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
