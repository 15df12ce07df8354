import { defaultPayloadConverter } from '@temporalio/common';
import { workflowInfo, type WorkflowInterceptors } from '@temporalio/workflow';

/**
 * The header every activity a run schedules carries: the run ID that scheduled it. Temporal's reset keeps the events
 * before the reset point, activities scheduled there included, and dispatches those still pending again under the new
 * run's ID; the worker's activity guard (lib/reset-guard.ts) refuses an activity whose header names another run, so an
 * approval given before a reset cannot drive a step after it.
 */
export const SCHEDULED_BY_RUN_HEADER = 'lifeboat-scheduled-by-run';

interface ResetWatch {
  seen: boolean;
  listener?: () => void;
}

/** Per workflow: the sandbox gives each run its own global object. */
function watch(): ResetWatch {
  const holder = globalThis as { __lifeboatResetWatch?: ResetWatch };
  return (holder.__lifeboatResetWatch ??= { seen: false });
}

/**
 * Calls `listener` at the point where Temporal reset this run, at once if that point has passed. The SDK marks the
 * point with a new randomness seed, delivered in the activation that follows the reset on every replay too, so the
 * run reacts at the same place each time (deterministic), before the messages of that activation are applied.
 */
export function onTemporalReset(listener: () => void): void {
  const state = watch();
  state.listener = listener;
  if (state.seen) listener();
}

/** Workflow interceptors that every bundle carries (lib/workflow-bundle.ts, the tests' bundle). */
export const interceptors = (): WorkflowInterceptors => ({
  internals: [
    {
      activate(input, next) {
        if (input.activation.jobs?.some((job) => job.updateRandomSeed)) {
          const state = watch();
          if (!state.seen) {
            state.seen = true;
            state.listener?.();
          }
        }
        return next(input);
      },
    },
  ],
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
