import type { Duration } from '@temporalio/common';
import type { z } from 'zod';
import type { OperatorAuthority } from './authority';
import type { ReadinessCheckSpec } from './readiness';
import type { ApproverSelector } from './roster';

/** How a step is retried before the run asks an operator what to do. */
export interface StepRetry {
  /** Attempts before the step needs intervention; 1 means no retry. */
  maximumAttempts?: number;
  initialInterval?: Duration;
  backoffCoefficient?: number;
  maximumInterval?: Duration;
}

/** One action of a runbook, as the plan shows it and as the run executes it. */
export interface StepSpec {
  readonly kind: 'step';
  readonly name: string;
  readonly title: string;
  /** What undoing this step does, shown in the plan; the undo itself is registered by the run. */
  readonly undo?: string;
  /** Whether an operator may skip the step when it keeps failing. */
  readonly skippable?: boolean;
  readonly retry?: StepRetry;
  /** Time one attempt may take (the activity's start-to-close timeout). */
  readonly timeout?: Duration;
  /** Long steps heartbeat; a worker that dies is noticed after this long. */
  readonly heartbeatTimeout?: Duration;
  /**
   * Retries Temporal makes of the step's activity itself, inside one kit attempt (default: none). For a long
   * heartbeating step: a retried activity gets the last heartbeat's details and resumes where it stopped, which a
   * new activity started by the kit's own retry would not.
   */
  readonly activityRetry?: StepRetry;
}

/** What a gate waits for and what happens when nobody answers. */
export interface ApprovalPolicy {
  readonly approvers: ApproverSelector;
  /** Distinct approvers needed; the requester never counts. */
  readonly quorum: number;
  /** First escalation this long after the gate opens. */
  readonly escalateAfter: Duration;
  /** Escalations repeat at this interval until the gate expires. */
  readonly escalateEvery: Duration;
  /** The gate expires this long after it opens. */
  readonly expireAfter: Duration;
  /** What expiry does: abort the run (the default) or let it proceed. */
  readonly onExpiry: 'abort' | 'proceed';
}

/** A human approval point in a runbook. */
export interface GateSpec {
  readonly kind: 'gate';
  readonly name: string;
  readonly title: string;
  readonly policy: ApprovalPolicy;
}

export type ProcedureEntry = StepSpec | GateSpec;

/** Recovery objectives a run is measured against. */
export interface Objectives {
  rtoSeconds?: number;
  rpoSeconds?: number;
}

/**
 * A runbook as the catalog knows it: identity, input schema and its procedure. The workflow
 * executes the procedure's entries and the plan prints them, so the two cannot drift apart.
 */
export interface RunbookDefinition<
  Input extends z.ZodType = z.ZodType,
  Procedure extends Record<string, ProcedureEntry> = Record<string, ProcedureEntry>,
> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The exported workflow function that runs it. */
  readonly workflowType: string;
  readonly input: Input;
  /**
   * The input as runs started before its numbers had sane ranges checked it; they replay with it, so a run in flight
   * is never refused half-way (`patched('input-ranges')`). Every new run, and the CLI, check `input`.
   */
  readonly inputBeforeRanges?: z.ZodType;
  /** What the run acts on; with the id it forms the workflow ID, so one run per pair at a time. */
  readonly target: (input: z.output<Input>) => string;
  readonly objectives?: Objectives;
  readonly procedure: Procedure;
  /**
   * Who may abort, retry, skip, cancel, resume, resolve or close hands-on tasks; an action left out defaults to the
   * approvers of the runbook's gates plus sre-oncall. Authority lives here and in the roster, never in a run's input.
   */
  readonly operators?: OperatorAuthority;
  /**
   * Whether a run may carry itself over (continue-as-new) while it waits at a gate, once its history nears the limits
   * (a flood of forged signals, a very long wait). Only for procedures whose work before each gate is made of kit
   * steps, since the next run replays the procedure from the steps' recorded results.
   */
  readonly carryOver?: boolean;
  /** Steps an isolated drill adds around the procedure (building and removing its scratch copy); shown by the plan. */
  readonly isolatedDrillSteps?: Readonly<Record<string, StepSpec>>;
  /**
   * The read-only half of the preflight, checked before any outage by `lifeboat readiness` and its schedule: the
   * estate, the last drill, the pager. Every runbook also gets the kit's approvers check (see `readinessOf`).
   */
  readonly readiness?: readonly ReadinessCheckSpec[];
  /** The target readiness checks when none is named, such as `booking`; default: the runbook's id. */
  readonly readinessTarget?: string;
}

type StepInit = Omit<StepSpec, 'kind' | 'name'>;
type GateInit = Omit<GateSpec, 'kind' | 'name' | 'policy'> & { policy: Partial<ApprovalPolicy> & Pick<ApprovalPolicy, 'approvers'> };

/** Declares a step; the name is filled in from its key in the procedure. */
export function step<const S extends StepInit>(init: S): S & { kind: 'step'; name: string } {
  return { ...init, kind: 'step', name: '' };
}

/** Defaults chosen for a 3 a.m. page: escalate after 10 minutes, then every 10, give up after 2 hours. */
export const defaultApprovalPolicy: Omit<ApprovalPolicy, 'approvers'> = {
  quorum: 1,
  escalateAfter: '10 minutes',
  escalateEvery: '10 minutes',
  expireAfter: '2 hours',
  onExpiry: 'abort',
};

/** Declares an approval gate; unspecified policy fields take {@link defaultApprovalPolicy}. */
export function gate(init: GateInit): GateSpec {
  return { ...init, kind: 'gate', name: '', policy: { ...defaultApprovalPolicy, ...init.policy } };
}

/** Builds a runbook definition and names each procedure entry after its key. */
export function defineRunbook<Input extends z.ZodType, const Procedure extends Record<string, ProcedureEntry>>(
  def: RunbookDefinition<Input, Procedure>,
): RunbookDefinition<Input, Procedure> {
  const procedure = Object.fromEntries(
    Object.entries(def.procedure).map(([name, entry]) => [name, { ...entry, name }]),
  ) as Procedure;
  return { ...def, procedure };
}

/** The workflow ID of a runbook's run on a target: `region-failover/booking`. */
export function runIdFor(runbookId: string, target: string): string {
  return `${runbookId}/${target}`;
}
