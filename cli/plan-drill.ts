import { runIdFor, type DrillKind, type DrillMode, type RecoveryPlanDefinition } from '../kit';

/** What one member of a plan does when the plan runs as a drill: the plan hands its drill to every member. */
export interface PlanMemberDrill {
  member: string;
  runbook: string;
  runId: string;
  /** The member runbook's own summary of this kind of drill, or what it does without one. */
  does: string;
}

/**
 * The first member whose runbook refuses this kind of drill, with its reason: the plan hands its drill to every
 * member, so one member's refusal would stop the plan halfway, after its decision. Undefined when all take it.
 */
export function planDrillRefusal(plan: RecoveryPlanDefinition, kind: DrillKind): { member: string; runbook: string; reason: string } | undefined {
  for (const [member, { runbook }] of Object.entries(plan.members)) {
    const drill = runbook.drills?.[kind];
    if (drill && 'refused' in drill) return { member, runbook: runbook.id, reason: drill.refused };
  }
  return undefined;
}

/** Each member's run and what its drill of this kind does, in the plan's member order, for the plan's parsed input. */
export function planMemberDrills(plan: RecoveryPlanDefinition, planInput: unknown, kind: DrillKind): PlanMemberDrill[] {
  return Object.entries(plan.members).map(([member, { runbook, input }]) => {
    const target = runbook.target(runbook.input.parse(input(planInput)));
    const drill = runbook.drills?.[kind];
    const does =
      drill && !('refused' in drill)
        ? drill.summary
        : `runs its own procedure marked as ${kind === 'isolated' ? 'an' : 'a'} ${kind} drill (${runbook.id} defines no ${kind} drill steps)`;
    return { member, runbook: runbook.id, runId: runIdFor(runbook.id, target), does };
  });
}

/** Who answers the plan's decision in this drill, and what that means for the members' gates. */
export function planDrillDecision(plan: RecoveryPlanDefinition, drill: DrillMode): string {
  return drill.approvals === 'policy'
    ? "approvals by policy: the plan's decision and every member's gates approve themselves; nobody signs"
    : `approvals by people: the plan's decision waits for its signers (lifeboat plan ${plan.id} says who), and stands for the members' gates as in a real run`;
}

/** The lines `lifeboat run <plan> --drill ...` prints, at its dry run and at its start: what each member will do. */
export function renderPlanDrill(plan: RecoveryPlanDefinition, planInput: unknown, drill: DrillMode): string {
  const members = planMemberDrills(plan, planInput, drill.kind);
  const width = Math.max(...members.map((m) => m.member.length));
  const runWidth = Math.max(...members.map((m) => m.runId.length));
  return [
    `${drill.kind} drill of plan ${plan.id}: each member runs as ${drill.kind === 'isolated' ? 'an' : 'a'} ${drill.kind} drill, and each member's drill ends before the members after it start`,
    `  ${planDrillDecision(plan, drill)}`,
    ...members.map((m) => `  ${m.member.padEnd(width)}  ${m.runId.padEnd(runWidth)}  ${m.does}`),
  ].join('\n');
}
