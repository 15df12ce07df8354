import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  type ActivityInterfaceFor,
} from '@temporalio/workflow';
import type { StepSpec } from './definition';
import { describeError, ErrorType, RunAborted } from './errors';
import { isGateLookup } from './gate-lookup';
import { labellingNotices } from './notices';
import { backoffMs, retryPolicyOf } from './retry';
import { SYSTEM } from './run-record';
import type { RunParts, StepsPart } from './run-parts';
import type { StepRecord } from './status';

/** What a skippable step returns: its result, or undefined when an operator skipped it. */
export type StepResult<S extends StepSpec, T> = S extends { skippable: true } ? T | undefined : T;

/** What an undo is told: the state before the step, where the step reads it, and what the step returned. */
export interface UndoContext<B, T> {
  /**
   * What `before` read ahead of the step's first attempt. Undefined for a step without `before`, and when that read
   * never completed (the undo then goes by `result`).
   */
  before: B | undefined;
  /** The step's result; undefined when the run was aborted (or the step skipped) before an attempt succeeded. */
  result: T | undefined;
}

/** Options of one step call. */
export interface StepOptions<A, T = unknown, B = never> {
  /**
   * Reads the state the step is about to change, once, before its first attempt. The last attempt cannot tell what was
   * there before: an attempt that acted and then lost its worker leaves the retry seeing its own work (already fenced,
   * already in manual mode), so an undo built from the retry would restore the step's own state. The read is an
   * activity of its own in the run's history, so retries and a replacement worker reuse it instead of reading again.
   * Once it is recorded the undo is registered, so an abort while the step is still failing, waiting for an operator or
   * after an operator skipped it also restores it: write undos that restore `before`, not ones that reverse the step.
   */
  before?: (activities: ActivityInterfaceFor<A>) => Promise<B>;
  /**
   * Run in reverse order if the run is aborted. Registered once `before` is recorded, or (without `before`) when the
   * step succeeds.
   */
  undo?: (activities: ActivityInterfaceFor<A>, seen: UndoContext<B, T>) => Promise<unknown>;
}

interface Undo<A> {
  spec: StepSpec;
  undo: (activities: ActivityInterfaceFor<A>) => Promise<unknown>;
}

/** The steps of a run and their undos: retries, the wait for an operator, and the rollback in reverse. */
export class Steps<A> implements StepsPart {
  private readonly undos: Undo<A>[] = [];

  constructor(private readonly run: RunParts) {}

  /**
   * Runs one step: the action's activities get the step's timeout, and the kit retries the
   * whole action with backoff. When retries run out, or the failure is non-retryable, the run
   * waits for an operator to retry, skip (where allowed) or abort. With `before`, the state the
   * step changes is read once ahead of the first attempt and handed to the undo (see {@link StepOptions}).
   */
  async step<S extends StepSpec, T, B = never>(
    spec: S,
    action: (activities: ActivityInterfaceFor<A>) => Promise<T>,
    options: StepOptions<A, T, B> = {},
  ): Promise<StepResult<S, T>> {
    const { record: runRecord, carryOver, resets, interventions } = this.run;
    this.throwIfAbortRequested();
    const { before, undo } = options;
    const key = carryOver.memory.next(spec.name);
    const recalled = carryOver.memory.recall(key);
    if (recalled) {
      // Done before this run carried itself over: recall it, and its undo, without acting again.
      if (recalled.skipped) return undefined as StepResult<S, T>;
      if (undo) this.undos.push({ spec, undo: (a) => undo(a, { before: recalled.before as B | undefined, result: recalled.result as T }) });
      return recalled.result as StepResult<S, T>;
    }
    runRecord.resuming = false;
    resets.check();
    if (resets.pending && !isGateLookup(spec)) await resets.decideAgain(spec.name);
    const record = this.begin(spec.name, spec.title, 'step');
    const activities = resets.guard(spec, this.activitiesFor(spec));
    const retry = retryPolicyOf(spec.retry);
    const readsBefore = before !== undefined;
    let seen: { before: B } | undefined;
    let done: { result: T } | undefined;
    for (let attemptInRound = 1; ; attemptInRound++) {
      record.attempts++;
      try {
        if (readsBefore && !seen) {
          seen = { before: await CancellationScope.nonCancellable(() => before(activities)) };
          runRecord.audit(SYSTEM, 'state-before', `${spec.name}: ${JSON.stringify(seen.before)?.slice(0, 300)}`);
          if (undo) this.undos.push({ spec, undo: (a) => undo(a, { before: seen!.before, result: done?.result }) });
        }
        const result = await CancellationScope.nonCancellable(() => action(activities));
        done = { result };
        carryOver.memory.remember(key, { result, ...(seen ? { before: seen.before } : {}) });
        this.end(record, 'succeeded');
        if (undo && !readsBefore) this.undos.push({ spec, undo: (a) => undo(a, { before: undefined, result }) });
        return result;
      } catch (err) {
        record.lastError = describeError(err);
        runRecord.metrics.stepFailed(spec.name);
        runRecord.touch();
        if (failureTypeOf(err) === ErrorType.UnknownTarget) {
          this.end(record, 'failed');
          throw err;
        }
        if (failureTypeOf(err) === ErrorType.ResetRefused) resets.check();
        if (failureTypeOf(err) === ErrorType.ResetRefused && resets.pending) {
          // Stopped before an activity after the reset, or scheduled before it and refused by the worker: ask again,
          // then run the step's action again from its start (its activities are safe to repeat; `before` is kept).
          await resets.decideAgain(spec.name);
          attemptInRound = 0;
          record.status = 'running';
          continue;
        }
        if (!isNonRetryable(err) && attemptInRound < retry.maximumAttempts) {
          record.status = 'retrying';
          runRecord.metrics.stepRetried(spec.name, 'kit');
          await this.waitUnlessAborted(backoffMs(retry, attemptInRound));
          record.status = 'running';
          continue;
        }
        const choice = await interventions.awaitStep(spec, record);
        if (choice === 'skip') {
          carryOver.memory.remember(key, { skipped: true });
          this.end(record, 'skipped');
          return undefined as StepResult<S, T>;
        }
        runRecord.metrics.stepRetried(spec.name, 'operator');
        attemptInRound = 0;
        record.status = 'running';
      }
    }
  }

  /**
   * Marks the step after which undoing is no longer safe: the registered undos are dropped, and an
   * abort from here on ends the run without them, pointing at `undoInstead` (a failback runbook).
   */
  pointOfNoReturn(stepName: string, undoInstead: string): void {
    const { record } = this.run;
    this.undos.length = 0;
    record.status.pointOfNoReturn = { step: stepName, at: record.now(), undoInstead };
    record.audit(SYSTEM, 'point-of-no-return', `after ${stepName}; to go back: ${undoInstead}`);
  }

  /**
   * Runs the registered undos in reverse, each as a step. An undo that keeps failing waits for an operator, who
   * retries it (after fixing what blocks it) or skips it; a skipped undo is reported as failed, never swallowed.
   */
  async compensate(): Promise<void> {
    const { record: runRecord, interventions } = this.run;
    if (this.undos.length === 0) return;
    runRecord.setState('compensating');
    while (this.undos.length > 0) {
      const { spec, undo } = this.undos.pop()!;
      const record = this.begin(`undo:${spec.name}`, `Undo: ${spec.undo ?? spec.title}`, 'undo');
      const retry = retryPolicyOf(spec.retry);
      for (let attempt = 1; ; attempt++) {
        record.attempts++;
        try {
          await CancellationScope.nonCancellable(() => undo(this.activitiesFor(spec)));
          this.end(record, 'succeeded');
          runRecord.status.compensation.push({ step: spec.name, status: 'succeeded' });
          break;
        } catch (err) {
          record.lastError = describeError(err);
          runRecord.metrics.stepFailed(record.name);
          if (isNonRetryable(err) || attempt >= retry.maximumAttempts) {
            if ((await interventions.awaitUndo(record)) === 'retry') {
              runRecord.metrics.stepRetried(record.name, 'operator');
              attempt = 0;
              continue;
            }
          }
          if (isNonRetryable(err) || attempt >= retry.maximumAttempts) {
            this.end(record, 'failed');
            runRecord.status.compensation.push({ step: spec.name, status: 'failed', error: record.lastError });
            runRecord.audit(SYSTEM, 'undo-failed', `${spec.name}: ${record.lastError}`);
            break;
          }
          await CancellationScope.nonCancellable(() => condition(() => false, backoffMs(retry, attempt)));
        }
      }
    }
  }

  throwIfAbortRequested(): void {
    const abort = this.run.record.status.abortRequested;
    if (abort) throw new RunAborted(`aborted by ${abort.by}${abort.reason ? `: ${abort.reason}` : ''}`, abort.by);
  }

  /** Waits `ms`, or less if someone aborts the run, and then throws the abort. */
  async waitUnlessAborted(ms: number): Promise<void> {
    await condition(() => this.run.record.status.abortRequested !== undefined, ms);
    this.throwIfAbortRequested();
  }

  end(record: StepRecord, status: StepRecord['status']): void {
    record.status = status;
    record.finishedAt = this.run.record.now();
    record.durationMs = Date.parse(record.finishedAt) - Date.parse(record.startedAt);
    this.run.record.audit(SYSTEM, `step-${status}`, `${record.name} after ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}`);
  }

  /**
   * The step's activities with the step's timeout, heartbeat and Temporal's own retries as the definition declares
   * them, so the plan shows what a run does; a drill's notices sent through them carry the drill label.
   */
  private activitiesFor(spec: StepSpec): ActivityInterfaceFor<A> {
    const activities = proxyActivities<A>({
      startToCloseTimeout: spec.timeout ?? '1 minute',
      ...(spec.heartbeatTimeout ? { heartbeatTimeout: spec.heartbeatTimeout } : {}),
      retry: spec.activityRetry ? retryPolicyOf(spec.activityRetry) : { maximumAttempts: 1 },
    });
    return labellingNotices(activities, this.run.record.status.drill);
  }

  private begin(name: string, title: string, kind: StepRecord['kind']): StepRecord {
    const { record: runRecord } = this.run;
    const record: StepRecord = { name, title, kind, status: 'running', startedAt: runRecord.now(), attempts: 0 };
    runRecord.status.steps.push(record);
    runRecord.status.currentStep = name;
    runRecord.touch();
    return record;
  }
}

/** Whether retrying will not help: an activity that said so, or a workflow-side cancellation. */
function isNonRetryable(err: unknown): boolean {
  if (isCancellation(err)) return true;
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true;
}

/** The type of the application failure behind an activity failure, if any. */
function failureTypeOf(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
