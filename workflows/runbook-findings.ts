import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { z } from 'zod';
import { ErrorType } from '../kit';
import { SignedDecision } from '../kit/trust';
import type { FindingsActivities } from '../lib/findings/activity-contracts';
import { FindingsBook } from '../lib/findings/book';
import {
  closeFindingSignal,
  closeFindingUpdate,
  DrillEndedClaim,
  drillEndedSignal,
  findingsQuery,
  NotReadyClaim,
  notReadySignal,
  type FindingsIdentity,
} from '../lib/findings/messages';
import { findingsIdentityDigest, findingsWorkflowId } from '../lib/findings/names';
import { runbooks } from '../runbooks';
import { FindingsInbox, MAX_WAITING } from './findings-inbox';
import { FindingsKeeper } from './findings-keeper';

/**
 * The findings of one runbook and target (workflow ID `findings/<runbook>/<target>`): opened by drills that did not pass
 * and by readiness that stayed not ready, closed by signed decisions, sealed into the evidence archive at each change.
 *
 * Trust. Anyone with namespace access can start this workflow under any input and send it anything, so:
 * - What it holds comes from the archive, not from its input: at each start (a first start, an insider's start, or a
 *   carry-over) it reads the newest sealed findings bundle of its runbook and target, whose seal and files an activity
 *   checks (lib/evidence/verify-bundle.ts). Every change is sealed there before it is acknowledged, so the archive is
 *   always at least as new as any state this workflow could carry. Its input carries only claims still to check.
 * - A claim that a drill ended opens nothing until an activity has read that run from Temporal (our workflow type, on
 *   our task queue, a drill of this runbook and target, closed) and found what it showed in the run's own status.
 * - A close counts only as a signed decision, verified here against the roster and this workflow's identity.
 */

export const RunbookFindingsInput = z.strictObject({
  runbook: z.string().min(1).max(200),
  target: z.string().min(1).max(200),
  /** Claims that arrived before the run before this one carried itself over; each is checked again like a new one. */
  pending: z
    .array(z.union([z.strictObject({ drill: DrillEndedClaim }), z.strictObject({ notReady: NotReadyClaim })]))
    .max(MAX_WAITING)
    .optional(),
});
export type RunbookFindingsInput = z.infer<typeof RunbookFindingsInput>;

/** Changes before it carries itself over. */
const CHANGES_PER_RUN = 200;

const { readSealedFindings, findingsSettings } = proxyActivities<FindingsActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function runbookFindings(raw: RunbookFindingsInput): Promise<never> {
  const parsed = RunbookFindingsInput.safeParse(raw);
  if (!parsed.success) throw ApplicationFailure.nonRetryable(`not a findings workflow's input: ${z.prettifyError(parsed.error)}`, ErrorType.InvalidInput);
  const { runbook, target } = parsed.data;
  const definition = runbooks[runbook];
  if (!definition) throw ApplicationFailure.nonRetryable(`unknown runbook ${runbook}`, ErrorType.InvalidInput);
  const info = workflowInfo();
  // One writer per findings chain: a second workflow under another ID would race this one for the chain's links.
  if (info.workflowId !== findingsWorkflowId(runbook, target))
    throw ApplicationFailure.nonRetryable(
      `the findings of ${runbook} on ${target} are kept under ${findingsWorkflowId(runbook, target)}`,
      ErrorType.InvalidInput,
    );
  const identity: FindingsIdentity = {
    namespace: info.namespace,
    workflowId: info.workflowId,
    runId: info.firstExecutionRunId,
    inputDigest: findingsIdentityDigest(runbook, target),
  };

  // Messages are taken (queued) from the first moment, so none is lost while the findings are read back; the query is
  // answered only once they are, so nobody reads an empty list that is merely not restored yet.
  const inbox = new FindingsInbox(parsed.data.pending);
  setHandler(
    drillEndedSignal,
    inbox.accept(DrillEndedClaim, (drill) => ({ drill })),
  );
  setHandler(
    notReadySignal,
    inbox.accept(NotReadyClaim, (notReady) => ({ notReady })),
  );
  setHandler(closeFindingSignal, (message) => inbox.enqueue({ close: message }));
  setHandler(closeFindingUpdate, (message) => inbox.closeRequest(message), { validator: (message: SignedDecision) => void SignedDecision.parse(message) });

  const restored = await readSealedFindings(runbook, target);
  const book = new FindingsBook(runbook, target, restored.snapshot?.findings ?? []);
  const keeper = new FindingsKeeper(
    definition,
    target,
    identity,
    book,
    inbox,
    await findingsSettings(),
    restored.snapshot ? Date.parse(restored.snapshot.at) : 0,
  );
  setHandler(findingsQuery, () => ({ runbook, target, identity, findings: book.findings, refused: inbox.refused, restoredFrom: restored.from }));

  for (let changes = 0; changes < CHANGES_PER_RUN && !workflowInfo().continueAsNewSuggested; changes++) {
    await condition(() => inbox.waiting.length > 0 || workflowInfo().continueAsNewSuggested);
    const work = inbox.waiting.shift();
    if (work) await keeper.handle(work);
  }
  // Closes are answered before carrying over (an update cannot wait across runs); claims go along to be checked there.
  for (;;) {
    const work = inbox.nextClose();
    if (work) {
      inbox.take(work);
      await keeper.handle(work);
    } else if (allHandlersFinished()) break;
    else await condition(() => allHandlersFinished() || inbox.nextClose() !== undefined);
  }
  return continueAsNew<typeof runbookFindings>({ runbook, target, pending: inbox.claims() });
}
