import { z } from 'zod';
import { defineRunbook, gate, type RunbookRun, type RunRequest, type RunResult, runRunbook, step } from '../../kit';
import type { ExerciseActivities } from '../helpers/exercise-activities';

const KitBeforeInput = z.object({
  target: z.string().min(1),
  /** How many attempts of the change fail before one succeeds. */
  failures: z.number().int().min(0).default(0),
  nonRetryable: z.boolean().default(false),
});
type KitBeforeInput = z.infer<typeof KitBeforeInput>;

/** A test-only runbook: one change whose undo restores what `before` read, then a gate to abort at. */
export const kitBefore = defineRunbook({
  id: 'kit-before',
  title: 'Kit before',
  description: 'Test-only: a change that reads the state before it, then a gate.',
  workflowType: 'kitBeforeWorkflow',
  input: KitBeforeInput,
  target: (input) => input.target,
  procedure: {
    change: step({
      title: 'Change the target',
      undo: 'Put back what was there',
      retry: { maximumAttempts: 3, initialInterval: '100 ms' },
      timeout: '10 seconds',
    }),
    hold: gate({ title: 'Hold', policy: { approvers: { groups: ['sre-leads'] } } }),
  },
});

export async function kitBeforeWorkflow(request: RunRequest<KitBeforeInput>): Promise<RunResult> {
  return runRunbook(kitBefore, request, async (run: RunbookRun<ExerciseActivities>, input) => {
    await run.step(kitBefore.procedure.change, (a) => a.flaky(input.target, input.failures, input.nonRetryable), {
      before: (a) => a.flaky(`${input.target}:before`, 0, false),
      undo: (a, { before, result }) => a.record(input.target, `restore ${before} (result: ${result ?? 'none'})`),
    });
    await run.gate(kitBefore.procedure.hold);
  });
}
