import type { RunLifecycle } from './lifecycle';
import { runName } from './start-statement';

/**
 * Checks a continue-as-new chain, oldest first. Temporal lets a workflow of any type, on any task queue, continue
 * as one of ours, so the carried-over state of a run is evidence only when every earlier run of the chain was the
 * same workflow type on the same task queue and closed by continuing as new into the next one. Returns the index
 * of the first run whose history can be trusted (after the last broken link), and the problems, in sentences.
 */
export function checkContinuation(chain: RunLifecycle[]): { from: number; problems: string[] } {
  const problems: string[] = [];
  let from = 0;
  for (let i = 1; i < chain.length; i++) {
    const previous = chain[i - 1]!;
    const next = chain[i]!;
    const name = runName(next.workflowId, next.originalExecutionRunId);
    const previousName = `run ${previous.originalExecutionRunId}`;
    if (previous.workflowType !== next.workflowType || previous.taskQueue !== next.taskQueue) {
      problems.push(
        `${name} continued from ${previous.workflowType} on task queue ${previous.taskQueue} (${previousName}), not from ${next.workflowType} on ${next.taskQueue}: carried state from another workflow is not evidence`,
      );
      from = i;
    } else if (previous.closedAs !== 'continued-as-new') {
      problems.push(
        `${name} says it continued from ${previousName}, which ${previous.closedAs ? `closed as ${previous.closedAs}` : 'is still running'}, not by continuing as new`,
      );
      from = i;
    } else if (previous.continuedAs && previous.continuedAs.runId && previous.continuedAs.runId !== next.originalExecutionRunId) {
      problems.push(`${name} says it continued from ${previousName}, but that run continued as run ${previous.continuedAs.runId}`);
      from = i;
    }
  }
  return { from, problems };
}
