import { proxyActivities } from '@temporalio/workflow';
import type { ExerciseActivities } from '../helpers/exercise-activities';

const { noop } = proxyActivities<ExerciseActivities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } });

/** The yardstick for the kit's overhead: the same activity, called directly. */
export async function plainSteps(count: number): Promise<number> {
  for (let i = 0; i < count; i++) await noop();
  return count;
}
