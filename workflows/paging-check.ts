import { pagingCheck as runbook, type PagingCheckInput } from '../runbooks/paging-check';
import { type KitActivities, type RunbookRun, type RunRequest, type RunResult, runRunbook } from '../kit';

const { page, acknowledge, allClear } = runbook.procedure;

/** Page the team, wait for an acknowledgement, send the all-clear. */
export async function pagingCheck(request: RunRequest<PagingCheckInput>): Promise<RunResult<{ acknowledgedBy: string }>> {
  return runRunbook(runbook, request, async (run: RunbookRun<KitActivities>, input) => {
    const notice = { runId: run.status.runId, runbook: runbook.id, target: input.team, state: run.status.state };
    await run.step(page, (a) => a.notify({ ...notice, kind: 'info', title: `Paging check for ${input.team}`, text: input.message }));
    const acknowledged = await run.gate({ ...acknowledge, policy: { ...acknowledge.policy, approvers: { groups: [input.team] } } });
    const acknowledgedBy = acknowledged.votes[0]!.by;
    // The paging path's recovery time: from the page to a person on call answering it.
    run.measure({ rtoSeconds: Math.round((Date.now() - Date.parse(run.status.startedAt)) / 100) / 10 });
    await run.step(allClear, (a) =>
      a.notify({ ...notice, kind: 'info', title: `Paging check for ${input.team}: all clear`, text: `Acknowledged by ${acknowledgedBy}.` }),
    );
    return { acknowledgedBy };
  });
}
