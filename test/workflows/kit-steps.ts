import { defineRunbook, type RunbookRun, type RunRequest, type RunResult, runRunbook, step } from '../../kit';
import { z } from 'zod';
import type { ExerciseActivities } from '../helpers/exercise-activities';

export const kitSteps = defineRunbook({
  id: 'kit-steps',
  title: 'Kit steps',
  description: 'Benchmark-only: N kit steps around a no-op activity.',
  workflowType: 'kitStepsWorkflow',
  input: z.object({ target: z.string(), count: z.number().int().min(1) }),
  target: (input) => input.target,
  procedure: { noop: step({ title: 'No-op', timeout: '10 seconds' }) },
});

export async function kitStepsWorkflow(request: RunRequest<{ target: string; count: number }>): Promise<RunResult<number>> {
  return runRunbook(kitSteps, request, async (run: RunbookRun<ExerciseActivities>, input) => {
    for (let i = 0; i < input.count; i++) await run.step(kitSteps.procedure.noop, (a) => a.noop());
    return input.count;
  });
}
