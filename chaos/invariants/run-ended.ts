import { terminalStates, type RunStatus } from '../../kit';
import type { Violation } from '../world-types';

const INVARIANT = 'every run ends';

/**
 * Checks where a run stands once the scripted people have nothing left to do: it must have ended (succeeded, failed
 * or aborted, saying why), or wait for an operator with a reason and choices to offer. Anything else (running with no
 * step moving, waiting for approvals nobody will give, compensating forever) is a run stuck with no next action: the
 * worst place to leave someone during an outage, because nothing on the screen says what to do.
 */
export function checkRunEnded(status: RunStatus): Violation[] {
  const { state } = status;
  if (terminalStates.includes(state)) {
    // The kit's finish always says why; a final state without a reason is a run that ended outside it.
    return status.outcome?.trim() ? [] : [{ invariant: INVARIANT, evidence: `${status.runId} ended ${state} without an outcome saying why` }];
  }
  if (state === 'needs-intervention') {
    const pending = status.intervention;
    if (pending && pending.error.trim() && pending.options.length > 0) return [];
    return [
      {
        invariant: INVARIANT,
        evidence: `${status.runId} waits for an operator but ${!pending ? 'names no step or reason' : !pending.error.trim() ? `gives no reason for step ${pending.step}` : `offers no choice for step ${pending.step}`}`,
      },
    ];
  }
  return [{ invariant: INVARIANT, evidence: `${status.runId} is stuck with no next action: ${whereItStands(status)}` }];
}

/** The state, the step or gate it sits at and since when: what an operator would look at first. */
function whereItStands(status: RunStatus): string {
  const parts = [`state ${status.state}`];
  if (status.currentStep) parts.push(`current step ${status.currentStep}`);
  const open = status.gates.filter((g) => g.status === 'open');
  for (const g of open) parts.push(`gate ${g.name} open with ${g.votes.filter((v) => v.decision === 'approve').length}/${g.quorum} approvals`);
  const last = status.steps.at(-1);
  if (last) parts.push(`last step ${last.name} ${last.status} (attempts ${last.attempts}${last.lastError ? `, ${last.lastError.slice(0, 200)}` : ''})`);
  if (status.abortRequested) parts.push(`abort requested by ${status.abortRequested.by}`);
  parts.push(`last update ${status.updatedAt}`);
  return parts.join('; ');
}
