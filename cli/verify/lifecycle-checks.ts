import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import { planIdOf, type GateRecord } from '../../kit';
import type { VerifyReport } from './check';
import { checkDelegation, type LifecycleFetcher, type ScheduleActions } from './delegation';
import type { PayloadDecoder, RunHistory } from './history-decisions';
import { readLifecycle, type RunLifecycle } from './lifecycle';
import { checkResets } from './resets';
import { checkRefusal } from './refusal';
import { checkStartIdentity } from './start-identity';
import { checkStartReuse, startUsesOf } from './start-reuse';
import { startRequestOf } from './start-statement';
import { checkTermination } from './termination';

export interface LifecycleInputs {
  /** The run whose start the chain began with (the first run verify trusts). */
  first: RunLifecycle;
  /** The chain's joined history as one lifecycle, numbered as checkRun's decisions are. */
  joined: RunLifecycle;
  run: RunHistory;
  report: VerifyReport;
  /** The server, or undefined when verify reads a history file. */
  client: Client | undefined;
  decode: PayloadDecoder;
  runbookOf: (workflowType: string) => string | undefined;
  /** The runbook the run's own status names, for a workflow type the catalog does not know. */
  statusRunbook?: string;
  /** The gates of the run's own status (its result or a live answer), when verify has it. */
  gates?: GateRecord[];
  /** The step the run's own status says it was in, for a terminated run. */
  terminatedInStep?: string;
}

/**
 * Everything verify checks from Temporal's own records rather than from the signed decisions: that the start names
 * what ran, who started it (parents), whether its statement started another run, resets and termination. Returns
 * notes (what happened, to show) and problems (what fails verification), in sentences.
 */
export async function checkLifecycle(inputs: LifecycleInputs): Promise<{ notes: string[]; problems: string[] }> {
  const { first, joined, run, report, client, decode, runbookOf } = inputs;
  const notes: string[] = [];
  const problems: string[] = [];
  problems.push(...checkRefusal(joined.failure));
  if (first.parent) {
    if (client) {
      const delegation = await checkDelegation(first, { run: fetcherOf(client, decode), scheduleActions: scheduleActionsOf(client) }, runbookOf);
      notes.push(...delegation.notes);
      problems.push(...delegation.problems);
    } else
      problems.push(
        `this run was started by ${first.parent.workflowId} (run ${first.parent.runId}); a delegated start is checked against its parent's history: verify it against the server, without --history`,
      );
  } else {
    problems.push(...checkStartIdentity(first, runbookOf(first.workflowType) ?? inputs.statusRunbook));
  }
  if (!client && first.continuedFrom) {
    problems.push(`this run continued from run ${first.continuedFrom}, whose history is not in the file: verify it against the server, without --history`);
  }

  const statement = startRequestOf(first.request).statement;
  // A plan's member carries its plan run's start, which the kit never claims for the member: a plan that retries a
  // member starts it again with the same start, and a copy in a run the plan did not start fails that run's own check.
  const planMember = first.parent !== undefined && statement?.workflowId === first.parent.workflowId && planIdOf(String(statement.body.runbook)) !== undefined;
  if (client && first.workflowId && statement && !planMember) {
    const own = { firstExecutionRunId: first.firstExecutionRunId, nonce: statement.nonce, schedule: typeof statement.body.schedule === 'string' };
    try {
      problems.push(...checkStartReuse(own, await startUsesOf(client, first.workflowId, decode)));
    } catch (err) {
      notes.push(
        `whether its start statement started another run could not be checked: listing the runs of ${first.workflowId} failed (${(err as Error).message})`,
      );
    }
  } else if (!client && statement) {
    notes.push('whether its start statement started another run is checked only against the server (not with --history)');
  }

  const issuedAt = new Map(run.decisions.map((d) => [d.eventId, issuedAtOf(d.message)]));
  const byNonce = new Map(report.decisions.filter((d) => d.nonce !== undefined).map((d) => [d.nonce!, issuedAt.get(d.eventId)]));
  const resets = checkResets(
    joined,
    report.decisions,
    (d) => issuedAt.get(d.eventId),
    inputs.gates ? { gates: inputs.gates, signedAtOfNonce: (nonce) => byNonce.get(nonce) } : undefined,
  );
  notes.push(...resets.notes);
  problems.push(...resets.problems);
  problems.push(...checkTermination(joined, inputs.terminatedInStep));
  return { notes, problems };
}

function fetcherOf(client: Client, decode: PayloadDecoder): LifecycleFetcher {
  return async (workflowId, runId) => readLifecycle(await client.workflow.getHandle(workflowId, runId || undefined).fetchHistory(), decode);
}

function scheduleActionsOf(client: Client): ScheduleActions {
  return async (scheduleId) => {
    let description;
    try {
      description = await client.schedule.getHandle(scheduleId).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
    return [
      ...description.info.runningActions.map((a) => ({ ...a.workflow, takenAt: new Date().toISOString() })),
      ...description.info.recentActions.map((a) => ({ ...a.action.workflow, takenAt: a.takenAt.toISOString() })),
    ].map(({ workflowId, firstExecutionRunId, takenAt }) => ({ workflowId, firstExecutionRunId, takenAt }));
  };
}

function issuedAtOf(message: unknown): string | undefined {
  const text = (message as { statement?: unknown } | null | undefined)?.statement;
  if (typeof text !== 'string') return undefined;
  try {
    const issued = (JSON.parse(text) as { issuedAt?: unknown }).issuedAt;
    const ms = typeof issued === 'string' ? Date.parse(issued) : NaN;
    return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
  } catch {
    return undefined;
  }
}
