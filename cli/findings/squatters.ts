import type { Client } from '@temporalio/client';
import { FINDING_NUMBERS_ID, FINDING_NUMBERS_TYPE, FINDINGS_WORKFLOW_TYPE, findingsWorkflowId } from '../../lib/findings/names';

/** A running workflow under a findings ID that is not ours: another type, or our type on a task queue no worker of ours polls. */
export interface FindingsSquatter {
  workflowId: string;
  type: string;
  taskQueue: string;
  /** What it stops, in words for the person reading `lifeboat findings`. */
  blocks: string;
}

const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Every findings ID held by a workflow Lifeboat did not start there. Temporal runs one workflow per ID, so an insider who
 * starts anything under `findings/numbers` or `findings/<runbook>/<target>` keeps the real one from starting: drills
 * that fail then open no finding, and nothing shows it but this. The numberer's ID is read directly; the findings
 * workflows' IDs are the one named (given a runbook and a target) or every running workflow whose ID starts `findings/`.
 */
export async function findingsSquatters(client: Client, taskQueue: string, filter: { runbook?: string; target?: string } = {}): Promise<FindingsSquatter[]> {
  const held = new Map<string, { type: string; taskQueue: string }>();
  const describe = async (workflowId: string) => {
    const d = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (d?.status.name === 'RUNNING') held.set(workflowId, { type: d.type, taskQueue: d.taskQueue });
  };
  await describe(FINDING_NUMBERS_ID);
  if (filter.runbook && filter.target) await describe(findingsWorkflowId(filter.runbook, filter.target));
  else {
    const prefix = filter.runbook ? `findings/${filter.runbook}/` : 'findings/';
    const query = `WorkflowId STARTS_WITH ${quote(prefix)} AND ExecutionStatus = 'Running'`;
    for await (const wf of client.workflow.list({ query })) if (!held.has(wf.workflowId)) held.set(wf.workflowId, { type: wf.type, taskQueue: wf.taskQueue });
  }
  const squatters: FindingsSquatter[] = [];
  for (const [workflowId, wf] of held) {
    const numberer = workflowId === FINDING_NUMBERS_ID;
    if (wf.type === (numberer ? FINDING_NUMBERS_TYPE : FINDINGS_WORKFLOW_TYPE) && wf.taskQueue === taskQueue) continue;
    if (!numberer && filter.target && !workflowId.endsWith(`/${filter.target}`)) continue;
    squatters.push({
      workflowId,
      ...wf,
      blocks: numberer
        ? 'no finding can be numbered, so no drill or readiness check opens one anywhere in the namespace'
        : `the findings kept under it are not kept: no finding opens or closes there`,
    });
  }
  return squatters.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
}

/** One line per squatter: its ID, what holds it and what it stops. */
export function renderSquatters(squatters: readonly FindingsSquatter[], taskQueue: string): string[] {
  return squatters.map(
    (s) =>
      `HELD: ${s.workflowId} is held by a ${s.type} workflow on task queue ${s.taskQueue}, not Lifeboat's ${s.workflowId === FINDING_NUMBERS_ID ? FINDING_NUMBERS_TYPE : FINDINGS_WORKFLOW_TYPE} on ${taskQueue}: ${s.blocks}`,
  );
}
