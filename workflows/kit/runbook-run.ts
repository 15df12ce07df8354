import {
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  allHandlersFinished,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { z } from 'zod';
import type { KitActivities } from '../../activities/kit-types';
import { digestOf, SignedDecision } from './decisions/statement';
import { proofOf, verifySignedDecision, type RunIdentity } from './decisions/verify';
import { runIdFor, type Objectives, type RunbookDefinition } from './definition';
import { ErrorType, RunAborted } from './errors';
import type { CarriedRun } from './carry-over';
import { describeError, Run, type RunTrust } from './run';
import type { Roster } from './roster';
import { statusQuery } from './messages';
import { publishSearchAttributes } from './publish-search-attributes';
import { runbookAttribute, stateAttribute, targetAttribute } from './search-attributes';
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
  /** Set only by the kit when a run carries itself over; a run Temporal did not continue refuses it. */
  carried: z.custom<CarriedRun>((v) => typeof v === 'object' && v !== null && 'status' in v && 'steps' in v).optional(),
});
export type RunRequest<Input = unknown> = {
  input: Input;
  requestedBy: string;
  drill?: { kind: DrillMode['kind']; approvals?: DrillMode['approvals'] };
  objectives?: Objectives;
  start?: SignedDecision;
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
    const input = parseInput({ ...definition, input: inputSchemaOf(definition) }, request.input);
    target = definition.target(input);
    checkTarget(definition, target);
    // Runs started before signed decisions existed replay with their old rules; every new run takes only signed ones.
    const signed = patched('signed-decisions');
    const drill = drillModeOf(request.drill, signed);
    if (signed && patched('run-id-matches-target')) checkRunId(definition, target);
    if (request.carried && !workflowInfo().continuedFromExecutionRunId) {
      throw ApplicationFailure.nonRetryable('start refused: carried-over state is only taken from a run that continued as this one', ErrorType.DecisionRefused);
    }
    const trust = signed ? (request.carried ? carriedTrust(request.carried, request) : await establishTrust(definition, request, drill)) : undefined;
    return { request, input, signed, drill, trust };
  } catch (err) {
    if (patched('failed-start-status')) showFailedStart(definition, target, err);
    throw err;
  }
}

/** Targets go into workflow IDs and into commands that status tells people to copy: a safe character set only. */
const SAFE_TARGET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

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
  publishSearchAttributes([
    { key: runbookAttribute, value: definition.id },
    { key: targetAttribute, value: shownTarget },
    { key: stateAttribute, value: 'failed' },
  ]);
}

/**
 * The drill mode a request asks for. Approval by policy is for isolated drills only: a live drill moves production,
 * so its gates wait for people. Old runs keep the old default (policy) on replay.
 */
function drillModeOf(drill: RunRequest['drill'], signed: boolean): DrillMode | undefined {
  if (!drill) return undefined;
  if (!signed) return { kind: drill.kind, approvals: drill.approvals ?? 'policy' };
  if (drill.kind === 'live' && drill.approvals === 'policy') {
    throw ApplicationFailure.nonRetryable(
      'a live drill moves production, so its gates need people: drop drill.approvals=policy (or run an isolated drill)',
      ErrorType.InvalidInput,
    );
  }
  return { kind: drill.kind, approvals: drill.approvals ?? (drill.kind === 'isolated' ? 'policy' : 'people') };
}

/**
 * Loads the roster and proves who started the run: a start statement signed by the requester for this workflow,
 * runbook, input and drill (a drill schedule's authorisation may live as long as the schedule), or, for a child run,
 * the parent's own verified start. Refuses the run otherwise: nothing has happened yet, so nothing needs undoing.
 */
async function establishTrust(
  definition: RunbookDefinition,
  request: RunRequest,
  drill: DrillMode | undefined,
): Promise<{ requestedBy: string; trust: RunTrust }> {
  const info = workflowInfo();
  const identity: RunIdentity = {
    namespace: info.namespace,
    workflowId: info.workflowId,
    runId: info.firstExecutionRunId,
    inputDigest: digestOf(request.input),
  };
  const roster: Roster = await kitActivities.loadRoster();
  const refuse = (reason: string): never => {
    throw ApplicationFailure.nonRetryable(`start refused: ${reason}`, ErrorType.DecisionRefused);
  };
  if (!request.start) return refuse(`the start is not signed; start runs with lifeboat run (it signs as ${request.requestedBy}), or pass a signed start`);
  const parent = info.parent;
  // A child run (a live drill's failback) carries its parent's start, checked against the parent the server names.
  const delegated = parent !== undefined && parseStartStatement(request.start)?.workflowId === parent.workflowId;
  const startStatement = parseStartStatement(request.start);
  const context = delegated
    ? {
        namespace: identity.namespace,
        workflowId: parent.workflowId,
        runId: '',
        inputDigest: startStatement!.inputDigest,
        nowMs: Date.parse(startStatement!.issuedAt),
        roster,
        used: new Set<string>(),
      }
    : { ...identity, runId: '', nowMs: Date.now(), roster, used: new Set<string>(), allowScheduleLifetime: true };
  const verdict = verifySignedDecision(['start'], request.start, context);
  if (!verdict.ok) return refuse(verdict.reason);
  const { decision } = verdict;
  if (decision.by !== request.requestedBy) refuse(`the start is signed by ${decision.by}, but the request names ${request.requestedBy} as requester`);
  const schedule = typeof decision.body.schedule === 'string' ? decision.body.schedule : undefined;
  if (!delegated) {
    if (decision.body.runbook !== definition.id) refuse(`the signed start is for runbook ${String(decision.body.runbook)}, not ${definition.id}`);
    if ((decision.body.drill ?? 'none') !== (drill?.kind ?? 'none'))
      refuse(`the signed start is for drill ${String(decision.body.drill ?? 'none')}, but the request asks for ${drill?.kind ?? 'no drill'}`);
    if (schedule !== undefined && !(parent?.workflowId ?? '').startsWith(`${schedule}-`)) {
      refuse(`a drill schedule's authorisation (${schedule}) is only valid for runs that schedule starts`);
    }
  }
  const proof = proofOf(decision);
  return {
    requestedBy: decision.by,
    trust: {
      identity,
      roster,
      startProof: request.start,
      start: { verified: proof, ...(delegated ? { delegatedBy: parent.workflowId } : {}), ...(schedule ? { schedule } : {}) },
    },
  };
}

/**
 * The trust of a run that continued from an earlier one: the earlier run verified the start, so this one takes the
 * start's proof and the roster it carried; who the run is (namespace, first run ID, input) is the same.
 */
function carriedTrust(carried: CarriedRun, request: RunRequest): { requestedBy: string; trust: RunTrust } {
  const info = workflowInfo();
  const start = carried.status.trust?.start ?? {};
  if (!carried.roster) throw ApplicationFailure.nonRetryable('start refused: the carried-over state has no roster', ErrorType.DecisionRefused);
  return {
    requestedBy: carried.status.requestedBy,
    trust: {
      identity: { namespace: info.namespace, workflowId: info.workflowId, runId: info.firstExecutionRunId, inputDigest: digestOf(request.input) },
      roster: carried.roster,
      start,
      ...(carried.startProof ? { startProof: carried.startProof } : {}),
    },
  };
}

function parseStartStatement(signed: SignedDecision): { workflowId: string; inputDigest: string; issuedAt: string } | undefined {
  try {
    const json = JSON.parse(signed.statement) as { workflowId?: unknown; inputDigest?: unknown; issuedAt?: unknown };
    if (typeof json.workflowId !== 'string' || typeof json.inputDigest !== 'string' || typeof json.issuedAt !== 'string') return undefined;
    return { workflowId: json.workflowId, inputDigest: json.inputDigest, issuedAt: json.issuedAt };
  } catch {
    return undefined;
  }
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
 * The schema a run checks its input with: the runbook's, ranges and all, except in runs started before the ranges
 * existed, which replay with the schema they started with. Call it from workflow code only.
 */
export function inputSchemaOf(definition: RunbookDefinition): z.ZodType {
  return definition.inputBeforeRanges && !patched('input-ranges') ? definition.inputBeforeRanges : definition.input;
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
  procedure: (run: Run<A>, input: z.output<D['input']>) => Promise<Output>,
): Promise<RunResult<Output>> {
  const { request, input, signed, drill, trust } = await startOrFail(definition, rawRequest);
  const objectives = { ...definition.objectives, ...request.objectives };
  const run = new Run<A>(definition, definition.target(input), trust ? trust.requestedBy : request.requestedBy, drill, objectives, trust?.trust);
  run.configureCarryOver(rawRequest, request.carried);
  run.registerHandlers();
  try {
    // A Temporal cancellation carries no signature, so a run that takes signed decisions does not act on it: it is
    // recorded, and `lifeboat cancel` (a signed cancel) is the way to stop the run with its undos.
    if (signed) {
      CancellationScope.current().cancelRequested.catch(() =>
        run.recordRefusal('temporal', 'cancel', 'a Temporal cancellation is not signed, so it was ignored; cancel with lifeboat cancel, which signs it'),
      );
    }
    const output = signed ? await CancellationScope.nonCancellable(() => procedure(run, input)) : await procedure(run, input);
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
