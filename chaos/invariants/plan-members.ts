import type { PlanMemberView, RunStatus } from '../../kit';
import type { ChaosWorld, Violation } from '../world-types';
import { checkRunEnded } from './run-ended';
import { checkUndo, type UndoSnapshot } from './undo';

/** A plan's members as its status shows them (`details.members`); empty for a runbook's run. */
export function planMembersOf(status: RunStatus): PlanMemberView[] {
  const members = status.details.members;
  return members && typeof members === 'object' ? Object.values(members as Record<string, PlanMemberView>) : [];
}

/**
 * {@link checkRunEnded} for a run or a plan. A plan waits, running, while a member waits for an operator: that is the
 * plan's next action, so the plan is fine when every member it shows running waits for an operator with a reason. A
 * member that ended while the plan still shows it running, or one that is stuck itself, leaves the plan stuck.
 */
export async function checkRunOrPlanEnded(world: Pick<ChaosWorld, 'status'>, status: RunStatus): Promise<Violation[]> {
  const own = checkRunEnded(status);
  const running = planMembersOf(status).filter((m) => m.state === 'running');
  if (own.length === 0 || status.state !== 'running' || running.length === 0) return own;
  for (const member of running) {
    const memberStatus = await world.status(member.runId);
    if (!memberStatus) return [{ ...own[0]!, evidence: `${own[0]!.evidence}; member ${member.runId}'s status could not be read` }];
    const stuck = checkRunEnded(memberStatus);
    if (stuck.length > 0) return stuck;
    if (memberStatus.state !== 'needs-intervention') {
      return [{ ...own[0]!, evidence: `${own[0]!.evidence}; member ${member.runId} ended ${memberStatus.state}, yet the plan still shows it running` }];
    }
  }
  return [];
}

/**
 * {@link checkUndo} for a run or a plan. A plan's abort is passed to its running members, each of which undoes its own
 * steps; members that finished before stay where they are. So each member that ended aborted is checked against the
 * services it acts on, from its own status. A runbook's run is checked as it is.
 */
export async function checkRunOrPlanUndo(
  world: Pick<ChaosWorld, 'status'>,
  before: UndoSnapshot,
  after: UndoSnapshot,
  status: RunStatus,
): Promise<Violation[]> {
  const members = planMembersOf(status);
  if (members.length === 0) return checkUndo(before, after, status);
  const violations: Violation[] = [];
  for (const member of members.filter((m) => m.state === 'aborted')) {
    const memberStatus = await world.status(member.runId);
    if (!memberStatus) {
      violations.push({ invariant: 'undo before the point of no return', evidence: `${status.runId}: member ${member.runId}'s status could not be read` });
      continue;
    }
    violations.push(...checkUndo(before, after, memberStatus));
  }
  return violations;
}
