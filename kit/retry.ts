import { msToNumber } from '@temporalio/common/lib/time';
import type { StepRetry } from './definition';

/** Retries a step gets unless its spec says otherwise: three attempts, 1 s then 2 s apart. */
export const defaultStepRetry: Required<StepRetry> = {
  maximumAttempts: 3,
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
};

export function retryPolicyOf(retry: StepRetry | undefined): Required<StepRetry> {
  return { ...defaultStepRetry, ...retry };
}

/** Delay before the attempt after `attempt` (1-based), in ms: exponential, capped. */
export function backoffMs(retry: Required<StepRetry>, attempt: number): number {
  const initial = msToNumber(retry.initialInterval);
  const cap = msToNumber(retry.maximumInterval);
  return Math.min(cap, initial * retry.backoffCoefficient ** (attempt - 1));
}
