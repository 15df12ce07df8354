import { ApplicationFailure, CancellationScope, condition, allHandlersFinished, isCancellation } from '@temporalio/workflow';
import { z } from 'zod';
import type { Objectives, RunbookDefinition } from './definition';
import { ErrorType, RunAborted } from './errors';
import { describeError, Run } from './run';
import type { DrillMode, RunResult } from './status';

/** What every runbook workflow takes: the runbook's input and who asked for the run. */
export const RunRequest = z.object({
  input: z.unknown(),
  requestedBy: z.string().trim().min(1, 'say who starts the run (--as USER or LIFEBOAT_USER)'),
  drill: z
    .object({
      kind: z.enum(['isolated', 'live']),
      approvals: z.enum(['people', 'policy']).default('policy'),
    })
    .optional(),
  /** Objectives to check instead of the runbook's own, as a scheduled drill may set. */
  objectives: z.object({ rtoSeconds: z.number().positive().optional(), rpoSeconds: z.number().min(0).optional() }).optional(),
});
export type RunRequest<Input = unknown> = { input: Input; requestedBy: string; drill?: DrillMode; objectives?: Objectives };

/** Parses a runbook's input; the CLI calls this before starting, the workflow again after. */
export function parseInput<D extends RunbookDefinition>(definition: D, input: unknown): z.output<D['input']> {
  const parsed = definition.input.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`Invalid input for ${definition.id}:\n${z.prettifyError(parsed.error)}`, ErrorType.InvalidInput);
  }
  return parsed.data as z.output<D['input']>;
}

/**
 * The frame of every runbook workflow: validate the request, run the procedure, and on abort,
 * rejection, expiry or cancellation run the registered undos before ending.
 */
export async function runRunbook<D extends RunbookDefinition, A, Output>(
  definition: D,
  rawRequest: RunRequest,
  procedure: (run: Run<A>, input: z.output<D['input']>) => Promise<Output>,
): Promise<RunResult<Output>> {
  const request = RunRequest.safeParse(rawRequest);
  if (!request.success) {
    throw ApplicationFailure.nonRetryable(`Invalid request for ${definition.id}:\n${z.prettifyError(request.error)}`, ErrorType.InvalidInput);
  }
  const input = parseInput(definition, request.data.input);
  const objectives = { ...definition.objectives, ...request.data.objectives };
  const run = new Run<A>(definition, definition.target(input), request.data.requestedBy, request.data.drill, objectives);
  run.registerHandlers();
  try {
    const output = await procedure(run, input);
    await run.finish('succeeded', 'all steps completed');
    await condition(allHandlersFinished);
    return { ...run.status, output };
  } catch (err) {
    if (err instanceof RunAborted) {
      await run.compensate();
      const beyond = run.status.pointOfNoReturn;
      await run.finish('aborted', beyond ? `${err.reason}; past the point of no return (${beyond.step}), so nothing was undone: ${beyond.undoInstead}` : err.reason);
      return { ...run.status };
    }
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        run.audit('temporal', 'cancelled', 'the workflow was cancelled; running undos');
        await run.compensate();
        await run.finish('aborted', 'cancelled through Temporal');
      });
      throw err;
    }
    await CancellationScope.nonCancellable(() => run.finish('failed', describeError(err)));
    throw err;
  }
}
