import type { Duration } from '@temporalio/common';
import type { z } from 'zod';
import type { Capability } from '../providers/contracts/capabilities';
import type { ApproverSelector } from './roster';

/** How a step is retried before the run asks an operator what to do. */
export interface StepRetry {
  /** Attempts before the step needs intervention; 1 means no retry. */
  maximumAttempts?: number;
  initialInterval?: Duration;
  backoffCoefficient?: number;
  maximumInterval?: Duration;
}

/**
 * A capability of the targets file a step acts through, so the plan and the status can name the provider behind it
 * (`switchTraffic: route53 (zone …, record booking.example.com)`). The catalog is providers/contracts/capabilities.ts,
 * a standalone file the providers share; only its type enters the kit.
 */
export type { Capability };

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
  /** The capabilities the step acts through; steps that only read Temporal or the roster leave it out. */
  readonly uses?: readonly Capability[];
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
  /**
   * Groups that must be among the approvers, with how many of each: `[{ group: 'sre-leads', atLeast: 2 },
   * { group: 'airline-ops', atLeast: 1 }]` with quorum 3 is "two SRE leads and one of airline ops". Each group must be
   * one `approvers` names, and their counts add up to at most the quorum.
   */
  readonly requires?: readonly GroupRequirement[];
}

/** A group some of a gate's approvers must come from, and how many of them. */
export interface GroupRequirement {
  readonly group: string;
  readonly atLeast: number;
}

/** A human approval point in a runbook. */
export interface GateSpec {
  readonly kind: 'gate';
  readonly name: string;
  readonly title: string;
  readonly policy: ApprovalPolicy;
  /**
   * Whether a recovery plan's signed approval stands for this gate when the run is a member the plan started (the
   * default). `false` keeps the gate waiting for its own people even then, as for a decision the plan's approvers do
   * not own (the return from manual booking mode belongs to airline ops at the desks).
   */
  readonly delegable?: boolean;
}

export type ProcedureEntry = StepSpec | GateSpec;

/** The kinds of drill a run can be (`lifeboat run --drill isolated|live`). */
export type DrillKind = 'isolated' | 'live';

/**
 * What a drill of one kind runs: the procedure's entries it keeps and the steps only it runs, in its order. A real run
 * never runs these steps, so they live here and not in the procedure, and the real plan does not list them.
 */
export interface DrillProcedure<ProcedureKey extends string = string, Steps extends Record<string, StepSpec> = Record<string, StepSpec>> {
  /** What the drill does instead of the real thing, as the plan says it. */
  readonly summary: string;
  /** Steps only this drill runs; each is named after its key, as procedure entries are. */
  readonly steps: Steps;
  /** The drill's order, by key of the procedure or of `steps`; a procedure entry left out is one the drill does not run. */
  readonly order: readonly (ProcedureKey | (keyof Steps & string))[];
}

/** A drill kind the runbook refuses, with why and what to do instead; the run aborts with this text. */
export interface RefusedDrill {
  readonly refused: string;
}

/** Per drill kind: its own steps, or a refusal. A kind left out runs the procedure as it is. */
export type DrillProcedures<ProcedureKey extends string = string> = { readonly [K in DrillKind]?: DrillProcedure<ProcedureKey> | RefusedDrill };

/** Decisions that steer a run apart from gate votes; each needs a role the runbook names. */
export type OperatorAction = 'abort' | 'skip' | 'retry' | 'cancel' | 'resume' | 'resolve' | 'task';

/** Who may take each operator action; an action the runbook leaves out gets the default of operatorsFor (authority.ts). */
export type OperatorAuthority = Partial<Record<OperatorAction, ApproverSelector>>;

/**
 * What a readiness check probes. Every probe is read-only: it looks at the estate, the roster or Temporal's
 * visibility, and never acts, so it can run every few minutes beside a real recovery.
 */
export type ReadinessProbe =
  /** The target region's standby streams from the primary and its lag is within the runbook's RPO budget. */
  | { kind: 'standby-streaming'; maxLagBytes: number; maxLagSeconds: number }
  /** Every service the target depends on is ready in the target region: its standby streams, it answers, traffic reaches it. */
  | { kind: 'dependencies-ready'; maxLagBytes: number; maxLagSeconds: number }
  /** The load balancer sees the target region's server up. */
  | { kind: 'load-balancer-reaches-target' }
  /** The target region's service answers and reaches its database. */
  | { kind: 'target-service-healthy' }
  /** Every gate's policy can be met by roster people with keys, not counting the requester. */
  | { kind: 'approvers' }
  /** Every worker on the task queue answers and runs the same build, roster, targets file and trust root. */
  | { kind: 'workers-agree' }
  /** The newest finished drill of this runbook and target passed, and finished within the window. */
  | { kind: 'drill-recency'; withinDays: number }
  /** A real run of paging-check on the target team was acknowledged and finished within the window. */
  | { kind: 'paging-acknowledged'; withinDays: number }
  /** The fleet manager's API answers. */
  | { kind: 'fleet-api' }
  /** The hosts name a last-known-good content version that rollback and pinning can use. */
  | { kind: 'last-known-good' }
  /** The offline ledger of the region booking runs in can be written by the counter staff. */
  | { kind: 'ledger-writable' }
  /** The estate lists the stations to tell when booking goes manual. */
  | { kind: 'stations-known' }
  /** No audit finding of this runbook and target is open past its deadline (lifeboat findings). */
  | { kind: 'findings-within-deadline' };

/** One readiness check of a runbook, as `lifeboat plan` shows it and `lifeboat readiness` runs it. */
export interface ReadinessCheckSpec {
  readonly name: string;
  /** What is true when the check passes, in words for the on-call engineer. */
  readonly verifies: string;
  /** What to do when it fails. */
  readonly fix: string;
  readonly probe: ReadinessProbe;
}

/**
 * The kinds of disruption a runbook or plan rehearses, as DORA asks tests to cover them: a lost region, a vendor's
 * fault (a bad update, a provider down), a planned switchover, and a cyber attack. The evidence pack groups tests by
 * them and names the ones no test rehearsed in its period.
 */
export const scenarioTags = ['region-loss', 'vendor-fault', 'switchover', 'cyber'] as const;
export type ScenarioTag = (typeof scenarioTags)[number];

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
  Drills extends DrillProcedures<keyof Procedure & string> = DrillProcedures,
> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The exported workflow function that runs it. */
  readonly workflowType: string;
  readonly input: Input;
  /**
   * Input fields the runbook took once and reads no more, with why. Runs started with one (in flight, in recorded
   * histories, from an old schedule) replay and run as if it were absent; the CLI refuses it by name.
   */
  readonly removedInputs?: Readonly<Record<string, string>>;
  /** What the run acts on; with the id it forms the workflow ID, so one run per pair at a time. */
  // A method, so a definition with a particular input is still a RunbookDefinition (methods compare bivariantly).
  target(input: z.output<Input>): string;
  readonly objectives?: Objectives;
  /**
   * The disruptions a run of this runbook rehearses; left out, it rehearses none (a paging check). Each archived run
   * records them, so the evidence pack reads them from the archive even after the catalog changes.
   */
  readonly scenarios?: readonly ScenarioTag[];
  /** The real procedure, in order: what a real run does. Steps only a drill runs are in `drills`. */
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
  /** What each kind of drill runs besides or instead of the procedure; `lifeboat plan --drill KIND` shows it. */
  readonly drills?: Drills;
  /**
   * The read-only half of the preflight, checked before any outage by `lifeboat readiness` and its schedule: the
   * estate, the last drill, the pager. Every runbook also gets the kit's approvers check (see `readinessOf`).
   */
  readonly readiness?: readonly ReadinessCheckSpec[];
  /** The target readiness checks when none is named, such as `booking`; default: the runbook's id. */
  readonly readinessTarget?: string;
  /**
   * Which other runbooks' runs may start this one as their child, by the parent's workflow type, and when the parent's
   * own signed start covers the child: the rule returns why it does not, or undefined when it does. The child checks
   * it itself against its real parent (as Temporal reports it), so a parent's start can never reach further than this.
   * A drill schedule's runs (`scheduledDrill`) are covered by the kit for every runbook.
   */
  readonly delegatedFrom?: Readonly<Record<string, DelegationRule>>;
}

/** What a child run checks its parent's start against; see {@link RunbookDefinition.delegatedFrom}. */
export interface DelegationRule {
  /** Why the parent's verified start does not cover this child, or undefined when it does. */
  (parent: { runbook: string; input: unknown; drill: DrillKind | undefined }, child: { input: unknown; drill: DrillKind | undefined }): string | undefined;
}

type StepInit = Omit<StepSpec, 'kind' | 'name'>;
type GateInit = Omit<GateSpec, 'kind' | 'name' | 'policy'> & { policy: Partial<ApprovalPolicy> & Pick<ApprovalPolicy, 'approvers'> };

/** Declares a step; the name is filled in from its key in the procedure or in a drill's steps. */
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

/**
 * Builds a runbook definition and names each procedure entry and drill step after its key. A drill's order that names
 * an unknown key, or a drill step that shares a procedure entry's name, fails here, when the catalog loads.
 */
export function defineRunbook<
  Input extends z.ZodType,
  const Procedure extends Record<string, ProcedureEntry>,
  const Drills extends DrillProcedures<keyof Procedure & string> = DrillProcedures<keyof Procedure & string>,
>(def: RunbookDefinition<Input, Procedure, Drills>): RunbookDefinition<Input, Procedure, Drills> & { readonly drills: Drills } {
  const procedure = named(def.procedure);
  const drills = Object.fromEntries(
    Object.entries(def.drills ?? {}).map(([kind, drill]) => {
      if (!drill || 'refused' in drill) return [kind, drill];
      const clash = Object.keys(drill.steps).find((key) => Object.hasOwn(procedure, key));
      if (clash) throw new Error(`${def.id}: the ${kind} drill's step ${clash} has the name of a procedure entry`);
      const unknown = drill.order.find((key) => !Object.hasOwn(procedure, key) && !Object.hasOwn(drill.steps, key));
      if (unknown) throw new Error(`${def.id}: the ${kind} drill's order names ${unknown}, which is neither a procedure entry nor one of its steps`);
      const missing = Object.keys(drill.steps).find((key) => !drill.order.includes(key));
      if (missing) throw new Error(`${def.id}: the ${kind} drill's order leaves out its own step ${missing}`);
      return [kind, { ...drill, steps: named(drill.steps) }];
    }),
  ) as unknown as Drills;
  return { ...def, procedure, drills };
}

function named<T extends Record<string, ProcedureEntry>>(entries: T): T {
  return Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, { ...entry, name }])) as T;
}

/** Every entry a run of the runbook may run: the procedure's, then each drill's own steps. */
export function entriesOf(runbook: RunbookDefinition): ProcedureEntry[] {
  const drillSteps = Object.values(runbook.drills ?? {}).flatMap((drill) => (drill && 'steps' in drill ? Object.values(drill.steps) : []));
  return [...Object.values(runbook.procedure), ...drillSteps];
}

/** The drill of `kind` the runbook defines with steps of its own, or undefined when it runs the procedure as it is or refuses. */
export function drillProcedureOf(runbook: RunbookDefinition, kind: DrillKind): DrillProcedure | undefined {
  const drill = runbook.drills?.[kind];
  return drill && !('refused' in drill) ? drill : undefined;
}

/** The workflow ID of a runbook's run on a target: `region-failover/booking`. */
export function runIdFor(runbookId: string, target: string): string {
  return `${runbookId}/${target}`;
}
