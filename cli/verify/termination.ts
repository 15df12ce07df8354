import { type RunLifecycle, stepActivities } from './lifecycle';

/**
 * A run terminated from outside (`temporal workflow terminate`) stopped wherever it was, with no undo run and no
 * signed decision behind it: verify fails it and says who did it, why, and in which step. `step` is the step the
 * run's own status named, when it could be asked; else the last step activity its history shows.
 */
export function checkTermination(run: RunLifecycle, step: string | undefined): string[] {
  const terminated = run.terminated;
  if (!terminated) return [];
  const steps = stepActivities(run);
  const open = steps.filter((a) => !a.closed).at(-1) ?? steps.at(-1);
  const where = step ? `in step ${step}` : open ? `in step activity ${open.type}` : 'before any step';
  return [
    `the run was terminated by ${terminated.identity} at ${terminated.at} ${where} (reason: ${terminated.reason}): no signed decision stopped it, and the undos of the steps it had done never ran`,
  ];
}
