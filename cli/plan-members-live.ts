import type { Client } from '@temporalio/client';
import { planIdOf, type RunStatus } from '../kit';
import { plans } from '../plans';
import { memberRunsToRead, plannedMembers, planRunView, publishedMembers, type PlanRunStatus, type PlanRunView } from './plan-run-view';
import { readStatus, startInputOfRun } from './runs';

/** How long a member's status may take: the plan's own status is shown either way, and a member's run needs a worker. */
const MEMBER_READ_DEADLINE_MS = 5_000;

/**
 * The plan's section of a plan run's status, read live: its members' own runs where one is running or held (a member
 * waiting at a gate its plan's approval does not cover shows there, not in the plan), and, before the plan publishes
 * its members, the members as its definition and the run's input will start them.
 */
export async function readPlanRunView(
  client: Client,
  status: PlanRunStatus & { endedByTemporal?: { statusRead: boolean } },
  taskQueue: string,
): Promise<PlanRunView> {
  const plan = plans[planIdOf(status.runbook) ?? ''];
  // A run Temporal ended, whose own status no worker could give, may have started members: none is guessed at.
  const known = status.endedByTemporal?.statusRead !== false;
  const planned = known && !publishedMembers(status) && plan ? plannedMembers(plan, await startInputOfRun(client, status.runId)) : undefined;
  return planRunView(status, await readMemberStatuses(client, status, taskQueue), planned);
}

/** The live statuses of the members worth reading, by run ID; a member whose run cannot be read in time is left out. */
async function readMemberStatuses(client: Client, plan: PlanRunStatus, taskQueue: string): Promise<Record<string, RunStatus | undefined>> {
  const runIds = memberRunsToRead(plan);
  const read = await Promise.all(
    runIds.map((runId) => client.withDeadline(Date.now() + MEMBER_READ_DEADLINE_MS, () => readStatus(client, runId, taskQueue)).catch(() => undefined)),
  );
  return Object.fromEntries(runIds.map((runId, i) => [runId, read[i]]));
}
