import type { GateSpec, RunbookDefinition, StepSpec } from './definition';
import type { Notices } from './notices';
import type { RunRecord } from './run-record';
import type { SignatureChecks } from './signature-checks';
import type { GateRecord, InterventionAction, StepRecord } from './status';
import type { StepMemory } from './step-memory';

/*
 * The parts a run is made of call each other (a step waits for an operator, a gate reads the roster through a step, a
 * reset reopens a gate), so each part offers the others a narrow interface declared here, from types of files that are
 * no part, and takes the others through these. No part imports another part's file, so none can import its own back.
 */

/** What the steps offer the other parts: a gate's roster lookup runs as a step, and an intervention ends one. */
export interface StepsPart {
  /** Runs a step of the kit's own (a gate's roster lookup), whose action calls none of the runbook's activities. */
  step<T>(spec: StepSpec, action: () => Promise<T>): Promise<T>;
  /** Throws the run's abort, when an operator asked for one. */
  throwIfAbortRequested(): void;
  /** Records how a step ended. */
  end(record: StepRecord, status: StepRecord['status']): void;
}

/** What the interventions offer the steps: the wait for an operator when a step or an undo keeps failing. */
export interface InterventionsPart {
  awaitStep(spec: StepSpec, record: StepRecord): Promise<Exclude<InterventionAction, 'abort'>>;
  awaitUndo(record: StepRecord): Promise<'retry' | 'skip'>;
}

/** What the gates offer the reset watch: the gate open now, the last one passed, and opening one again. */
export interface GatesPart {
  readonly open: GateRecord | undefined;
  readonly lastPassed: GateSpec | undefined;
  gate(spec: GateSpec): Promise<GateRecord>;
}

/** What the carry-over offers the steps and gates: the memory of done steps, and continuing as a new run at a gate. */
export interface CarryOverPart {
  readonly memory: StepMemory;
  /** Whether the run should carry itself over now. */
  due(): boolean;
  /** Continues as a new run that picks up at the gate that waits. Never returns. */
  continueAsNew(): Promise<never>;
}

/** What the reset watch offers the steps and gates: whether people must decide again, and the guard on activities. */
export interface ResetsPart {
  /** Set after Temporal reset the run, until people decided again; a gate passed by fresh votes clears it. */
  pending: boolean;
  /** Workflow time when the run noticed Temporal's reset, if it did. */
  readonly resetAtMs: number | undefined;
  /** Looks for a reset of the run. */
  check(): void;
  /** Asks people again (the last passed gate) before `stepName` acts after a reset. */
  decideAgain(stepName: string): Promise<void>;
  /** The step's activities, each of which first looks for a reset. */
  guard<Activities extends object>(spec: StepSpec, activities: Activities): Activities;
}

/**
 * The parts one run is made of, as each part sees the others: a step may open a gate again after a reset, a gate
 * reads the roster through a step, and every part writes to the record. Built by `Run`.
 */
export interface RunParts {
  readonly definition: RunbookDefinition;
  readonly record: RunRecord;
  readonly notices: Notices;
  readonly checks: SignatureChecks;
  readonly steps: StepsPart;
  readonly interventions: InterventionsPart;
  readonly gates: GatesPart;
  readonly carryOver: CarryOverPart;
  readonly resets: ResetsPart;
}
