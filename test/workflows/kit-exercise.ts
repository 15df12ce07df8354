import { z } from 'zod';
import { defineRunbook, gate, type RunbookRun, type RunRequest, type RunResult, runRunbook, step } from '../../kit';
import type { ExerciseActivities } from '../helpers/exercise-activities';

export const ExerciseInput = z.object({
  target: z.string().min(1),
  /** How many times the flaky step fails before it succeeds. */
  flakyFailures: z.number().int().min(0).default(0),
  /** Make the flaky step's failure non-retryable. */
  nonRetryable: z.boolean().default(false),
  quorum: z.number().int().min(1).default(2),
  /** Fail the final step's undo, to see a failed compensation reported. */
  failUndo: z.boolean().default(false),
  onExpiry: z.enum(['abort', 'proceed']).default('abort'),
  /** Make the last step fail for good, so an operator has to abort after `apply`. */
  failVerify: z.boolean().default(false),
  /** Treat `apply` as irreversible, as a promotion is. */
  noReturnAfterApply: z.boolean().default(false),
});
export type ExerciseInput = z.infer<typeof ExerciseInput>;

/** A test-only runbook that uses every kit primitive against activities that record what they did. */
export const kitExercise = defineRunbook({
  id: 'kit-exercise',
  title: 'Kit exercise',
  description: 'Test-only: prepare, a flaky step, an approval gate, then apply.',
  workflowType: 'kitExercise',
  // Only kit steps come before its gates, so a run can carry itself over at a gate (continue-as-new).
  carryOver: true,
  input: ExerciseInput,
  target: (input) => input.target,
  procedure: {
    prepare: step({ title: 'Prepare the target', undo: 'Unprepare the target', timeout: '10 seconds' }),
    flaky: step({ title: 'A step that fails first', skippable: true, retry: { maximumAttempts: 2, initialInterval: '100 ms' }, timeout: '10 seconds' }),
    approve: gate({
      title: 'Leads approve',
      policy: { approvers: { groups: ['sre-leads'] }, quorum: 2, escalateAfter: '10 minutes', escalateEvery: '5 minutes', expireAfter: '1 hour' },
    }),
    apply: step({ title: 'Apply the change', undo: 'Revert the change', timeout: '10 seconds' }),
    verify: step({ title: 'Verify the change', timeout: '10 seconds', retry: { maximumAttempts: 1 } }),
  },
});

const { prepare, flaky, approve, apply, verify } = kitExercise.procedure;

export async function kitExerciseWorkflow(request: RunRequest<ExerciseInput>): Promise<RunResult<{ applied: boolean }>> {
  return runRunbook(kitExercise, request, async (run: RunbookRun<ExerciseActivities>, input) => {
    await run.step(prepare, (a) => a.record(input.target, 'prepare'), { undo: (a) => a.record(input.target, 'unprepare') });
    await run.step(flaky, (a) => a.flaky(input.target, input.flakyFailures, input.nonRetryable));
    await run.gate({ ...approve, policy: { ...approve.policy, quorum: input.quorum, onExpiry: input.onExpiry } });
    await run.step(apply, (a) => a.record(input.target, 'apply'), {
      undo: (a) => (input.failUndo ? a.alwaysFail('revert refused by the test') : a.record(input.target, 'revert')),
    });
    if (input.noReturnAfterApply) run.pointOfNoReturn('apply', 'run kit-exercise-back to revert');
    run.report('applied', { target: input.target });
    await run.step(verify, (a) => (input.failVerify ? a.alwaysFail('verification failed') : a.record(input.target, 'verify')));
    return { applied: true };
  });
}
