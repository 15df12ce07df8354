import type { RunLifecycle } from './lifecycle';
import { startRequestOf } from './start-statement';

/**
 * What the start statement of a run nobody else started must name: the runbook its workflow type runs, its own
 * workflow ID and its drill. A statement for another runbook (an old `paging-check` start reused for
 * `isolate-vendor-module`) moves nothing it names, so a run it started is not authorised. A drill schedule's
 * authorisation is only good for a child of that schedule's `scheduledDrill`, so here, with no parent, it fails.
 * Returns the problems, in sentences.
 */
export function checkStartIdentity(run: RunLifecycle, runbook: string | undefined): string[] {
  const request = startRequestOf(run.request);
  const statement = request.statement;
  if (!statement) return [];
  const problems: string[] = [];
  if (runbook === undefined) {
    problems.push(
      `workflow type ${run.workflowType} is no runbook Lifeboat knows, so its start statement (for runbook ${String(statement.body.runbook)}) cannot be matched to it`,
    );
  } else if (statement.body.runbook !== runbook) {
    problems.push(
      `the start statement is for runbook ${String(statement.body.runbook)}, but this run is ${run.workflowType}, runbook ${runbook}: a start moves only the runbook it names`,
    );
  }
  if (run.workflowId !== undefined && statement.workflowId !== run.workflowId) {
    problems.push(`the start statement is for workflow ${statement.workflowId}, but this run is ${run.workflowId}`);
  }
  if ((statement.body.drill ?? 'none') !== request.drill) {
    problems.push(`the start statement is for drill ${String(statement.body.drill ?? 'none')}, but the run was started as drill ${request.drill}`);
  }
  if (typeof statement.body.schedule === 'string') {
    problems.push(
      `the start statement is drill schedule ${statement.body.schedule}'s authorisation, but no drill run of that schedule started this run (it has no parent)`,
    );
  }
  return problems;
}
