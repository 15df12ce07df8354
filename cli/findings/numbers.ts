import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FINDING_NUMBERS_ID, FINDING_NUMBERS_TYPE } from '../../lib/findings/names';
import { allocateFindingNumberUpdate, type FindingNumbersInput } from '../../workflows/finding-numbers';

/**
 * The next finding number, from the namespace's numberer (started here when it does not run). A workflow of another
 * type or task queue under the numberer's ID could hand out any number, so it is refused, naming it.
 */
export async function allocateFindingNumber(client: Client, taskQueue: string): Promise<number> {
  const running = await client.workflow
    .getHandle(FINDING_NUMBERS_ID)
    .describe()
    .then((d) => (d.status.name === 'RUNNING' ? d : undefined))
    .catch(() => undefined);
  if (running && (running.type !== FINDING_NUMBERS_TYPE || running.taskQueue !== taskQueue))
    throw ApplicationFailure.nonRetryable(
      `${FINDING_NUMBERS_ID} is held by a ${running.type} workflow on task queue ${running.taskQueue}, not the finding numberer: terminate it (temporal workflow terminate --workflow-id ${FINDING_NUMBERS_ID})`,
      'FindingNumbersSquatted',
    );
  const input: FindingNumbersInput = {};
  const start = new WithStartWorkflowOperation(FINDING_NUMBERS_TYPE, {
    workflowId: FINDING_NUMBERS_ID,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return (await client.workflow.executeUpdateWithStart(allocateFindingNumberUpdate, { startWorkflowOperation: start })) as number;
}
