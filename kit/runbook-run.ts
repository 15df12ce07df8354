import {
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  allHandlersFinished,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { KitActivities } from './activity-contracts';
import { SignedDecision } from './decisions/statement';
import { carriedTrust } from './carried-trust';
import { checkPredecessor, establishTrust } from './start-trust';
import { runIdFor, type Objectives, type RunbookDefinition } from './definition';
import { describeError, ErrorType, RunAborted } from './errors';
import type { CarriedRun } from './carry-over';
import { Run } from './run';
import type { RunbookRun } from './runbook-run-api';
import { statusQuery } from './messages';
import { publishSearchAttributes } from './publish-search-attributes';
import { runSearchAttributes } from './search-attributes';
import type { DrillMode, RunResult, RunStatus } from './status';

/** What every runbook workflow takes: the runbook's input and who asked for the run. */
export const RunRequest = z.object({
  input: z.unknown(),
  requestedBy: z.string().trim().min(1, 'say who starts the run (--as USER or LIFEBOAT_USER)').max(64),
  drill: z
    .object({
      kind: z.enum(['isolated', 'live']),
      /** Defaults to `policy` for an isolated drill and `people` for a live one, the only choice a live drill has. */
      approvals: z.enum(['people', 'policy']).optional(),
    })
    .optional(),
  /** Objectives to check instead of the runbook's own, as a scheduled drill may set. */
  objectives: z
    .object({
      rtoSeconds: z
        .number()
        .positive()
        .max(7 * 24 * 3600)
        .optional(),
      rpoSeconds: z
        .number()
        .min(0)
        .max(7 * 24 * 3600)
        .optional(),
    })
    .optional(),
  /** The requester's signed start; a child run started by a run gets its parent's. */
  start: SignedDecision.optional(),
  /** A recovery plan's signed approval, which a member its plan started carries; its start checks it (plan-approval.ts). */
  planApproval: z.array(SignedDecision).max(8, "a plan's approval is at most 8 signed approvals").optional(),
  /** Set only by the kit when a run carries itself over; a run Temporal did not continue refuses it. */
  carried: z.custom<CarriedRun>((v) => typeof v === 'object' && v !== null && 'status' in v && 'steps' in v).optional(),
});
export type RunRequest<Input = unknown> = {
  input: Input;
  requestedBy: string;
  drill?: { kind: DrillMode['kind']; approvals?: DrillMode['approvals'] };
  objectives?: Objectives;
  start?: SignedDecision;
  planApproval?: SignedDecision[];
  carried?: CarriedRun;
};

const kitActivities = proxyActivities<KitActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 3, initialInterval: '1 second' } });

/**
 * Everything a run checks before it does anything: the request, the input, the drill mode and the signed start.
 * A start that fails any of them ends the run as failed with the reason, and status and `lifeboat list` show it so.
 */
async function startOrFail<D extends RunbookDefinition>(definition: D, rawRequest: RunRequest) {
  let target: string | undefined;
  try {
    const parsed = RunRequest.safeParse(rawRequest);
    if (!parsed.success) {
      throw ApplicationFailure.nonRetryable(`Invalid request for ${definition.id}:\n${z.prettifyError(parsed.error)}`, ErrorType.InvalidInput);
    }
    const request = parsed.data;
    const input = parseInput(definition, request.input);
    target = definition.target(input);
    checkTarget(definition, target);
    const drill = drillModeOf(request.drill);
    checkRunId(definition, target);
    if (request.carried && !workflowInfo().continuedFromExecutionRunId) {
      throw ApplicationFailure.nonRetryable('start refused: carried-over state is only taken from a run that continued as this one', ErrorType.DecisionRefused);
    }
    // A run checks its own lifecycle with Temporal: who started it, and what it continued from.
    if (request.carried) await checkPredecessor();
    const trust = request.carried ? carriedTrust(request.carried, request.input) : await establishTrust(definition, request, drill);
    return { request, input, drill, trust };
  } catch (err) {
    showFailedStart(definition, target, err);
    throw err;
  }
}

/** Targets go into workflow IDs and into commands that status tells people to copy: a safe character set only. */
export const SAFE_TARGET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkTarget(definition: RunbookDefinition, target: string): void {
  if (!SAFE_TARGET.test(target)) {
    throw ApplicationFailure.nonRetryable(
      `Invalid input for ${definition.id}: its target "${target.slice(0, 80)}" may hold only letters, digits, ".", "_" and "-" (at most 128, starting with a letter or digit); it becomes part of the run id and of commands people copy`,
      ErrorType.InvalidInput,
    );
  }
}

/**
 * A run is what its ID says: one run per runbook and target holds only when the ID is the one the input's target
 * gives. A start from any client under another ID (`region-failover/not-booking` acting on booking) is refused.
 */
function checkRunId(definition: RunbookDefinition, target: string): void {
  const expected = runIdFor(definition.id, target);
  const actual = workflowInfo().workflowId;
  if (actual !== expected) {
    throw ApplicationFailure.nonRetryable(
      `this run's workflow ID is "${actual.slice(0, 200)}", but its input makes it ${definition.id} on ${target}, whose ID is "${expected}"; start it under that ID (lifeboat run does), so that one run per target holds`,
      ErrorType.InvalidInput,
    );
  }
}

/** A run that failed before it began still answers `status` and shows in `list`, as failed, with the reason. */
function showFailedStart(definition: RunbookDefinition, target: string | undefined, err: unknown): void {
  const info = workflowInfo();
  const now = new Date(Date.now()).toISOString();
  const outcome = describeError(err).slice(0, 2000);
  const shownTarget = target && SAFE_TARGET.test(target) ? target : '(invalid)';
  const status: RunStatus = {
    runId: info.workflowId,
    runbook: definition.id,
    title: definition.title,
    target: shownTarget,
    state: 'failed',
    requestedBy: 'unknown',
    startedAt: now,
    updatedAt: now,
    finishedAt: now,
    steps: [],
    gates: [],
    compensation: [],
    details: {},
    outcome: `the run was refused at start: ${outcome}`,
    audit: [{ at: now, actor: 'lifeboat', action: 'start-refused', detail: outcome }],
  };
  setHandler(statusQuery, () => status);
  publishSearchAttributes(runSearchAttributes({ runbook: definition.id, target: shownTarget, state: 'failed' }));
}

/**
 * The drill mode a request asks for. Approval by policy is for isolated drills only: a live drill moves production,
 * so its gates wait for people.
 */
function drillModeOf(drill: RunRequest['drill']): DrillMode | undefined {
  if (!drill) return undefined;
  if (drill.kind === 'live' && drill.approvals === 'policy') {
    throw ApplicationFailure.nonRetryable(
      'a live drill moves production, so its gates need people: drop drill.approvals=policy (or run an isolated drill)',
      ErrorType.InvalidInput,
    );
  }
  return { kind: drill.kind, approvals: drill.approvals ?? (drill.kind === 'isolated' ? 'policy' : 'people') };
}

/** Input fields that older versions took and that now come from elsewhere, with what to do instead. */
export const retiredInputs: Record<string, string> = {
  approvers: 'approvers is not an input: who approves comes from the runbook definition and the roster, so a run cannot choose its own approvers; remove it',
};

/** The first top-level field of an object input that the runbook's schema does not declare (zod would drop it silently). */
function unknownFieldOf(definition: RunbookDefinition, input: unknown): string | undefined {
  const shape = (definition.input as unknown as { shape?: Record<string, unknown> }).shape;
  if (!shape || typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  return Object.keys(input).find((key) => !Object.hasOwn(shape, key));
}

/**
 * Parses a runbook's input in the workflow. A field the runbook no longer takes (`removedInputs`) is dropped first, so
 * runs started with it replay and run as before; the CLI refuses it by name before a run starts.
 */
export function parseInput<D extends RunbookDefinition>(definition: D, rawInput: unknown): z.output<D['input']> {
  const input = withoutRemovedInputs(definition, rawInput);
  const unknownField = unknownFieldOf(definition, input);
  if (unknownField) {
    const why = retiredInputs[unknownField] ?? `${definition.id} has no input field "${unknownField}"; remove it (see lifeboat plan ${definition.id})`;
    throw ApplicationFailure.nonRetryable(`Invalid input for ${definition.id}:\n✖ ${why}\n  → at ${unknownField}`, ErrorType.InvalidInput);
  }
  const parsed = definition.input.safeParse(input);
  if (!parsed.success) {
    throw ApplicationFailure.nonRetryable(`Invalid input for ${definition.id}:\n${z.prettifyError(parsed.error)}`, ErrorType.InvalidInput);
  }
  return parsed.data as z.output<D['input']>;
}

function withoutRemovedInputs(definition: RunbookDefinition, input: unknown): unknown {
  const removed = Object.keys(definition.removedInputs ?? {});
  if (removed.length === 0 || typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return Object.fromEntries(Object.entries(input).filter(([key]) => !removed.includes(key)));
}

/**
 * The frame of every runbook workflow: validate the request, run the procedure, and on abort,
 * rejection, expiry or cancellation run the registered undos before ending.
 */
export async function runRunbook<D extends RunbookDefinition, A, Output>(
  definition: D,
  rawRequest: RunRequest,
  procedure: (run: RunbookRun<A>, input: z.output<D['input']>) => Promise<Output>,
): Promise<RunResult<Output>> {
  const { request, input, drill, trust } = await startOrFail(definition, rawRequest);
  const objectives = { ...definition.objectives, ...request.objectives };
  const run = new Run<A>(definition, definition.target(input), trust.requestedBy, drill, objectives, trust.trust);
  run.configureCarryOver(rawRequest, request.carried);
  run.registerHandlers();
  run.watchForReset();
  try {
    // A Temporal cancellation carries no signature, so the run does not act on it: it is recorded, and
    // `lifeboat cancel` (a signed cancel) is the way to stop the run with its undos.
    CancellationScope.current().cancelRequested.catch(() =>
      run.recordRefusal('temporal', 'cancel', 'a Temporal cancellation is not signed, so it was ignored; cancel with lifeboat cancel, which signs it'),
    );
    const procedureRun = run.forProcedure();
    const output = await CancellationScope.nonCancellable(() => procedure(procedureRun, input));
    await run.finish('succeeded', 'all steps completed');
    await condition(allHandlersFinished);
    return { ...run.status, output };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (err instanceof RunAborted) {
      await run.compensate();
      const beyond = run.status.pointOfNoReturn;
      await run.finish(
        'aborted',
        beyond ? `${err.reason}; past the point of no return (${beyond.step}), so nothing was undone: ${beyond.undoInstead}` : err.reason,
      );
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
