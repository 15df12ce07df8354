import type { Client } from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import { planIdOf, statusQuery, type PlanMemberView, type RunStatus } from '../../kit';
import { memberWorkflowIdsOf } from '../../lib/plan-forecast';
import { plans } from '../../plans';
import { readShownStatus } from '../shown-status';
import { planMembersOf, type MemberStatusRead } from './plan-model';

/**
 * Each started member's own status, read by its run ID, for the plan's report and console page: its gates and its
 * waits for an operator are only there. When a later run of the same ID (a standalone run after the plan) is the
 * current one, the run this plan started is read instead, by the Temporal run ID the plan recorded.
 */
export async function readMemberStatuses(client: Client, plan: Pick<RunStatus, 'details'>, taskQueue: string): Promise<Record<string, MemberStatusRead>> {
  const entries = await Promise.all(
    Object.entries(planMembersOf(plan))
      .filter(([, view]) => view.startedAt !== undefined)
      .map(async ([member, view]) => [member, await memberStatus(client, view, taskQueue)] as const),
  );
  return Object.fromEntries(entries);
}

async function memberStatus(client: Client, view: PlanMemberView, taskQueue: string): Promise<MemberStatusRead> {
  try {
    const status = await readShownStatus(client, view.runId, taskQueue);
    if (!view.temporalRunId || !status.trust || status.trust.temporalRunId === view.temporalRunId) return { status };
    const handle = client.workflow.getHandle(view.runId, view.temporalRunId);
    const described = await handle.describe();
    // result() follows a carried-over chain to its end, so a finished member gives its final status.
    const own = described.status.name === 'RUNNING' ? await handle.query(statusQuery) : ((await handle.result()) as RunStatus);
    return { status: own };
  } catch (err) {
    return { note: `its own status could not be read (${(err as Error).message.split('\n')[0]}); its waits for people are not shown` };
  }
}

/**
 * The members a plan run will start, each waiting, for a plan still at its gate: the run lists its members only once
 * its decision is made, and the approvers want to see what they decide. Read from the plan's definition and the input
 * the run was started with (the first event of its history); empty when either is unknown here.
 */
export async function plannedMembers(client: Client, plan: Pick<RunStatus, 'runId' | 'runbook' | 'details'>): Promise<Record<string, PlanMemberView>> {
  const definition = plans[planIdOf(plan.runbook) ?? ''];
  if (!definition || Object.keys(planMembersOf(plan)).length > 0) return {};
  try {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: plan.runId },
      maximumPageSize: 1,
    });
    const started = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    const [request] = await decodeArrayFromPayloads(client.options.loadedDataConverter, started?.input?.payloads);
    const input = (request as { input?: unknown } | undefined)?.input;
    return Object.fromEntries(
      memberWorkflowIdsOf(definition, input).map(({ member, workflowId }) => {
        const { runbook, after } = definition.members[member]!;
        const view: PlanMemberView = {
          runbook: runbook.id,
          runId: workflowId,
          target: workflowId.slice(runbook.id.length + 1),
          after: [...(after ?? [])],
          state: 'waiting',
        };
        return [member, view];
      }),
    );
  } catch {
    // The page still shows the plan and its gate; only the list of members to come is missing.
    return {};
  }
}
