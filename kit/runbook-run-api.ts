import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { DecisionKind, SignedDecision } from './decisions/statement';
import type { VerifiedDecision } from './decisions/verify';
import type { GateSpec, OperatorAction, StepSpec } from './definition';
import type { Notice } from './notices';
import type { DecisionProof, GateRecord, Measurements, RunStatus } from './status';
import type { StepOptions, StepResult } from './steps';

/** A value a procedure may read but not change: the kit alone writes a run's status. */
export type ReadOnly<T> = T extends readonly (infer E)[] ? readonly ReadOnly<E>[] : T extends object ? { readonly [K in keyof T]: ReadOnly<T[K]> } : T;

/**
 * The run as a runbook's procedure sees it: the kit primitives a workflow calls, and what it may read of the run.
 * Retries, interventions, undo, signature checks, carry-over, reset handling and drill labels stay behind it, in the
 * kit, so a procedure reads like the paper one. `runRunbook` hands one to the procedure.
 */
export interface RunbookRun<A> {
  /** The run as `lifeboat status` shows it: who started it, whether it is a drill, whether someone asked to abort. */
  readonly status: ReadOnly<RunStatus>;

  /**
   * Runs one step of the procedure: its activities get the step's timeout and Temporal retries as the definition
   * declares them, the kit retries the whole action with backoff, and a step that keeps failing waits for an operator
   * to retry, skip (where allowed) or abort. Its undo runs if the run is aborted (see {@link StepOptions}).
   */
  step<S extends StepSpec, T, B = never>(
    spec: S,
    action: (activities: ActivityInterfaceFor<A>) => Promise<T>,
    options?: StepOptions<A, T, B>,
  ): Promise<StepResult<S, T>>;
  /**
   * Waits at an approval gate until its policy is met, escalating while nobody answers. A rejection, or an expiry
   * whose policy says abort, aborts the run. Returns the gate's record: its votes, who cast them and when.
   */
  gate(spec: GateSpec): Promise<ReadOnly<GateRecord>>;
  /** Publishes a fact for status (progress, measurements); the latest value per key wins. */
  report(key: string, value: unknown): void;
  /** Records an entry of the audit trail. */
  audit(actor: string, action: string, detail?: string, comment?: string, verified?: DecisionProof): void;
  /** Records what the run measured against its objectives; later values add to earlier ones. */
  measure(measurements: Measurements): void;
  /**
   * Marks the step after which undoing is no longer safe: the undos registered so far are dropped, and an abort from
   * here on ends the run without them, pointing at `undoInstead` (a failback runbook).
   */
  pointOfNoReturn(stepName: string, undoInstead: string): void;
  /**
   * Tells the channel, outside any step: the kit names the run, and a drill's notice carries the drill label. A failed
   * delivery never fails the run: status and the audit trail show it, and the next escalation names it. (A notice
   * sent as a step, through the step's `notify` activity, carries the label too.)
   */
  notify(notice: Notice): Promise<void>;
  /** Waits `ms`, or less if someone aborts the run, and then throws the abort (the kit then runs the undos). */
  waitUnlessAborted(ms: number): Promise<void>;
  /**
   * Runs the undos registered so far, in reverse. The kit does it on an abort, a rejection, an expiry and a
   * cancellation; a procedure that must also undo after another failure (a drill's scratch copy) calls it itself.
   */
  compensate(): Promise<void>;

  // A runbook's own messages (manual booking's resume and resolve, hands-on tasks), checked as the kit checks its own.

  /** The requester's signed start, which a child run this run starts (a live drill's failback) inherits. */
  readonly startProof: SignedDecision | undefined;
  /** The signed approvals a gate of this run counted, as they came: what a plan hands its members to check themselves. */
  countedApprovals(gate: ReadOnly<GateRecord>): SignedDecision[];
  /** The signed abort (or cancel) this run took, as it came, which a plan passes on to its running members. */
  readonly abortProof: SignedDecision | undefined;
  /** Checks a signed decision of one of `kinds` and returns it, or throws the refusal. */
  accept(kinds: readonly DecisionKind[], raw: unknown): VerifiedDecision;
  /** Refuses unless the roster puts `by` among those the runbook lets take `action`. */
  requireRole(action: OperatorAction, by: string): void;
  /** Marks a verified decision as used, once it has counted. */
  consume(decision: VerifiedDecision): void;
  /** Applies a decision that came as a signal; a refusal, which a signal cannot answer, is recorded instead. */
  asSignal(name: string, raw: unknown, apply: () => unknown): void;
}
