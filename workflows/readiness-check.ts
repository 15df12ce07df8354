import { ApplicationFailure, proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { ReadinessActivities } from '../activities/readiness';
import type { ReadinessFindingsActivities } from '../lib/findings/activity-contracts';
import { runbooks } from '../runbooks';
import { ErrorType, type KitActivities } from '../kit';
import {
  type ReadinessCheckResult,
  type ReadinessEvaluation,
  readinessOf,
  readinessSummary,
  readinessTargetOf,
  recordReadiness,
  transitionOf,
} from '../kit/trust';

/** What `lifeboat readiness` and a readiness schedule start. */
export interface ReadinessRequest {
  runbook: string;
  /** Default: the runbook's usual target (`booking`). */
  target?: string;
  /** The person who would start the run: never counted as one of its approvers. */
  requester?: string;
  /** Set by a readiness schedule: its evaluations are compared with the one before, and a change notifies. */
  schedule?: string;
}

const probes = proxyActivities<ReadinessActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 2, initialInterval: '1 second' } });
const { notify } = proxyActivities<KitActivities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });
const { tellFindingsNotReady } = proxyActivities<ReadinessFindingsActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 1 } });

/**
 * Evaluates a runbook's readiness now: every check as a read-only activity, side by side. A check that cannot look
 * (its activity fails) counts as not ready, with the failure as its reason. Under a schedule, a change from ready to
 * not ready, or back, notifies once; the evaluation is kept in the workflow's memo, where `readiness history` lists it.
 */
export async function readinessCheck(request: ReadinessRequest): Promise<ReadinessEvaluation> {
  const runbook = runbooks[request.runbook];
  if (!runbook) throw ApplicationFailure.nonRetryable(`unknown runbook ${request.runbook}`, ErrorType.InvalidInput);
  const target = request.target ?? readinessTargetOf(runbook);
  const checks = await Promise.all(
    readinessOf(runbook).map(async (check): Promise<ReadinessCheckResult> => {
      try {
        const outcome = await probes.readinessProbe({ runbook: runbook.id, target, check, ...(request.requester ? { requester: request.requester } : {}) });
        return { name: check.name, ready: outcome.ready, reason: outcome.reason, fix: check.fix };
      } catch (err) {
        const cause = (err as { cause?: Error }).cause ?? (err as Error);
        return { name: check.name, ready: false, reason: `the check could not look: ${cause.message}`, fix: check.fix };
      }
    }),
  );
  const evaluation: ReadinessEvaluation = { runbook: runbook.id, target, ready: checks.every((c) => c.ready), checkedAt: new Date().toISOString(), checks };
  if (request.schedule) {
    recordReadiness(evaluation);
    const change = transitionOf(await probes.lastReadiness({ scheduleId: request.schedule }), evaluation.ready);
    if (change) {
      const receipt = await notify({
        kind: 'readiness',
        runId: request.schedule,
        runbook: runbook.id,
        target,
        state: evaluation.ready ? 'succeeded' : 'failed',
        title: `${runbook.id} on ${target} is ${evaluation.ready ? 'ready again' : 'NOT READY'}`,
        text: readinessSummary(evaluation),
      }).then(
        () => true,
        () => false,
      );
      evaluation.changed = { ...change, notified: receipt };
    }
    // A runbook that stays not ready too long is an audit finding: the findings workflow checks the streak itself.
    // Best effort: a worker that keeps no findings (no evidence archive) has no such activity, and readiness goes on.
    if (!evaluation.ready) await tellFindingsNotReady({ runbook: runbook.id, target, scheduleId: request.schedule }).catch(() => undefined);
  }
  upsertMemo({ readiness: evaluation });
  return evaluation;
}
