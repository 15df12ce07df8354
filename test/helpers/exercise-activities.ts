import { ApplicationFailure } from '@temporalio/common';
import type { Notification } from '../../kit';

/** Activities for the test-only workflows; they record what they did so tests can check it. */
export function createExerciseActivities() {
  const effects: { target: string; action: string }[] = [];
  const flakyCalls = new Map<string, number>();
  const notifications: Notification[] = [];
  const activities = {
    async record(target: string, action: string): Promise<void> {
      effects.push({ target, action });
    },
    async flaky(target: string, failures: number, nonRetryable: boolean): Promise<string> {
      const calls = (flakyCalls.get(target) ?? 0) + 1;
      flakyCalls.set(target, calls);
      if (calls <= failures) {
        const message = `flaky failure ${calls} of ${failures}`;
        if (nonRetryable) throw ApplicationFailure.nonRetryable(message, 'Precondition');
        throw new Error(message);
      }
      return `ok after ${calls} calls`;
    },
    async alwaysFail(message: string): Promise<void> {
      throw ApplicationFailure.nonRetryable(message);
    },
    async noop(): Promise<void> {},
    async notify(notification: Notification): Promise<void> {
      notifications.push(notification);
    },
  };
  return { activities, effects, flakyCalls, notifications };
}

export type ExerciseActivities = ReturnType<typeof createExerciseActivities>['activities'];
