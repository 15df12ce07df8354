import type { Client } from '@temporalio/client';
import { findingsQuery, type FindingsView } from './messages';
import { FINDINGS_WORKFLOW_TYPE, findingsWorkflowId } from './names';

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Tries to read a findings workflow's view this many times, 250 ms apart, while it is still restoring its findings. */
const RESTORE_TRIES = 40;

/**
 * A findings workflow's view. A workflow that has just started answers its query only once it has read its findings
 * back from the archive, so a query it has no handler for yet is asked again, for up to ten seconds.
 */
async function viewOf(client: Client, workflowId: string): Promise<FindingsView> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.workflow.getHandle(workflowId).query(findingsQuery);
    } catch (err) {
      if (attempt >= RESTORE_TRIES || !/did not register a handler/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The findings of one runbook and target, or undefined when no findings workflow of ours runs for it. */
export async function findingsOf(client: Client, taskQueue: string, runbook: string, target: string): Promise<FindingsView | undefined> {
  const workflowId = findingsWorkflowId(runbook, target);
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  // A workflow of another type under the ID (an insider's) is not believed, whatever it answers.
  if (!description || description.status.name !== 'RUNNING' || description.type !== FINDINGS_WORKFLOW_TYPE || description.taskQueue !== taskQueue)
    return undefined;
  return viewOf(client, workflowId);
}

/** The findings of every runbook and target that has a findings workflow, narrowed by runbook and target when given. */
export async function allFindings(client: Client, taskQueue: string, filter: { runbook?: string; target?: string } = {}): Promise<FindingsView[]> {
  if (filter.runbook && filter.target) {
    const one = await findingsOf(client, taskQueue, filter.runbook, filter.target);
    return one ? [one] : [];
  }
  const query = [`WorkflowType = ${quote(FINDINGS_WORKFLOW_TYPE)}`, "ExecutionStatus = 'Running'", `TaskQueue = ${quote(taskQueue)}`].join(' AND ');
  const views: FindingsView[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const view = await viewOf(client, wf.workflowId).catch(() => undefined);
    if (!view || wf.workflowId !== findingsWorkflowId(view.runbook, view.target)) continue;
    if ((filter.runbook && view.runbook !== filter.runbook) || (filter.target && view.target !== filter.target)) continue;
    views.push(view);
  }
  return views.sort((a, b) => a.runbook.localeCompare(b.runbook) || a.target.localeCompare(b.target));
}
