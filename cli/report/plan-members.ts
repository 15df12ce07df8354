import type { Client } from '@temporalio/client';
import { statusQuery, type PlanMemberView, type RunStatus } from '../../kit';
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
