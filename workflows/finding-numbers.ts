import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ErrorType } from '../kit';
import type { FindingsActivities } from '../lib/findings/activity-contracts';
import { FINDING_NUMBERS_ID } from '../lib/findings/names';

/**
 * The namespace's finding numberer: one workflow under a fixed ID hands out `F-<n>` numbers through an update. Temporal
 * runs one workflow per ID and one update at a time, so no number is handed out twice while it runs, whichever findings
 * workflow asks. Its count is carried over as a claim only: at each start it also reads the highest number any sealed
 * findings bundle holds, and never hands out one at or below it, so an insider who starts it afresh (or carries a low
 * count) cannot make it repeat a number the archive already holds. A count carried too high only skips numbers.
 */

export const allocateFindingNumberUpdate = defineUpdate<number>('allocate');

export interface FindingNumbersInput {
  /** The next number, as the run before this one left it: a claim, never below the archive's highest plus one. */
  next?: number;
}

/** Numbers handed out before the numberer carries itself over, which keeps its history short. */
const NUMBERS_PER_RUN = 500;
const MAX_NUMBER = 999_999_999;

const { highestSealedFindingNumber } = proxyActivities<FindingsActivities>({ startToCloseTimeout: '1 minute', retry: { maximumInterval: '30 seconds' } });

export async function findingNumbers(input: FindingNumbersInput = {}): Promise<never> {
  if (workflowInfo().workflowId !== FINDING_NUMBERS_ID)
    throw ApplicationFailure.nonRetryable(`the finding numberer runs only under ${FINDING_NUMBERS_ID}`, ErrorType.InvalidInput);
  let next = Number.isSafeInteger(input.next) && input.next! > 0 ? Math.min(input.next!, MAX_NUMBER) : 1;
  let floorRead = false;
  let handed = 0;
  // Registered first, so the update that started the numberer finds its handler; it answers once the floor is read.
  setHandler(allocateFindingNumberUpdate, async () => {
    await condition(() => floorRead);
    if (next > MAX_NUMBER) throw ApplicationFailure.nonRetryable('finding numbers are used up', ErrorType.InvalidInput);
    handed++;
    return next++;
  });
  next = Math.max(next, (await highestSealedFindingNumber()) + 1);
  floorRead = true;
  await condition(() => handed >= NUMBERS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  return continueAsNew<typeof findingNumbers>({ next });
}
