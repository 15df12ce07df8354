import type { Context as ActivityContext } from '@temporalio/activity';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ErrorType } from '../kit';
import { SCHEDULED_BY_RUN_HEADER } from '../kit/trust';

/** How long what Temporal said about a run is reused, so a wave of activities asks once. */
const FACTS_TTL_MS = 60_000;

/**
 * The worker's guard in front of every activity: an activity acts on the estate only for a run on the worker's own
 * task queue, and only as scheduled by that workflow's current Temporal run.
 * - An insider's workflow on another task queue can schedule our activities onto our task queue by name; the run
 *   that asks is looked up in Temporal, and one on another task queue is refused. (Every workflow on our task queue is
 *   one of ours: a type the worker does not know fails its first workflow task and schedules nothing.)
 * - `temporal workflow reset` dispatches activities that were pending at the reset point again, under the new run;
 *   each carries the run ID that scheduled it (lifecycle-interceptors.ts), and one scheduled before a reset is
 *   refused, so that the run decides again with fresh signatures.
 */
export function activityGuard(): ActivityInterceptorsFactory {
  const known = new Map<string, { taskQueue: string; type: string; until: number }>();
  return (ctx: ActivityContext) => ({
    inbound: {
      async execute(input, next) {
        const { info } = ctx;
        const refuse = (why: string): never => {
          throw ApplicationFailure.nonRetryable(`activity ${info.activityType} refused: ${why}`, ErrorType.ResetRefused);
        };
        const header = input.headers[SCHEDULED_BY_RUN_HEADER];
        const scheduledBy = header ? (defaultPayloadConverter.fromPayload(header) as unknown) : undefined;
        const runId = info.workflowExecution?.runId;
        if (!info.isLocal) {
          const facts = await runFacts(ctx, known);
          if (facts.taskQueue !== info.taskQueue || facts.type !== info.workflowType)
            refuse(`it was scheduled by ${facts.type} on task queue ${facts.taskQueue}, not by a Lifeboat run on ${info.taskQueue}`);
        }
        if (header && scheduledBy !== runId) {
          refuse(
            `it was scheduled by run ${String(scheduledBy).slice(0, 64)}, which Temporal has since reset (now run ${runId}); the run decides again with fresh signatures before it acts`,
          );
        }
        return next(input);
      },
    },
  });
}

async function runFacts(ctx: ActivityContext, known: Map<string, { taskQueue: string; type: string; until: number }>) {
  const execution = ctx.info.workflowExecution!;
  const key = `${ctx.info.workflowNamespace}/${execution.workflowId}/${execution.runId}`;
  const cached = known.get(key);
  if (cached && cached.until > Date.now()) return cached;
  const described = await ctx.client.workflow.getHandle(execution.workflowId, execution.runId).describe();
  const facts = { taskQueue: described.taskQueue, type: described.type, until: Date.now() + FACTS_TTL_MS };
  if (known.size > 1000) known.clear();
  known.set(key, facts);
  return facts;
}
