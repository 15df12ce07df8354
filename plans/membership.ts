import type { RecoveryPlanDefinition, RunbookDefinition } from '../kit';
import { plans } from './index';

/**
 * The runbook as its workflow runs it when a plan may start it as a member: with the plans whose definitions list it,
 * so a member's start can check that its parent's plan names it (kit/start-trust.ts). Plans import runbooks, never the
 * reverse, so the link is made here, where a runbook's workflow picks its definition.
 */
export function asPlanMember<D extends RunbookDefinition>(runbook: D): D {
  const listing: Record<string, RecoveryPlanDefinition> = {};
  for (const plan of Object.values(plans)) {
    if (Object.values(plan.members).some((member) => member.runbook.id === runbook.id)) listing[plan.id] = plan;
  }
  return Object.keys(listing).length === 0 ? runbook : { ...runbook, plans: listing };
}
