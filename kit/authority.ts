import type { OperatorAction, RunbookDefinition } from './definition';
import type { ApproverSelector } from './roster';

/** The group that is always on call for a runbook's steering, whatever its gates say. */
export const ON_CALL_GROUP = 'sre-oncall';

/**
 * Who may take an operator action on a run of this runbook: what the definition declares for it, or else
 * everyone who may approve one of its gates plus the on-call group. Never anything from a run's input.
 */
export function operatorsFor(definition: Pick<RunbookDefinition, 'procedure' | 'operators'>, action: OperatorAction): ApproverSelector {
  const declared = definition.operators?.[action];
  if (declared) return declared;
  const groups = new Set<string>([ON_CALL_GROUP]);
  const users = new Set<string>();
  for (const entry of Object.values(definition.procedure)) {
    if (entry.kind !== 'gate') continue;
    for (const g of entry.policy.approvers.groups ?? []) groups.add(g);
    for (const u of entry.policy.approvers.users ?? []) users.add(u);
  }
  return { groups: [...groups].sort(), ...(users.size > 0 ? { users: [...users].sort() } : {}) };
}
