import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { SignedDecision } from './decisions/statement';
import type { Roster } from './roster';
import { SYSTEM } from './run-record';
import type { CarryOverPart, RunParts } from './run-parts';
import type { RunStatus } from './status';
import { StepMemory, type CarriedStep } from './step-memory';

/** A run that may carry itself over does so at a gate past either of these, or when Temporal suggests it. */
const CARRY_OVER_EVENTS = 10_000;
const CARRY_OVER_BYTES = 10 * 1024 * 1024;

/**
 * What a run hands to the run it continues as (Temporal's continue-as-new) when its history nears the limit while
 * it waits at a gate: its status and audit trail, the steps done so far, the nonces of decisions it counted, and
 * what its trust rests on. The next run replays the procedure from the top, recalling each done step instead of
 * acting again, and reopens the gate with its votes. Accepted only by a run Temporal itself continued.
 */
export interface CarriedRun {
  status: RunStatus;
  steps: Record<string, CarriedStep>;
  usedNonces: string[];
  roster?: Roster;
  startProof?: SignedDecision;
  /** The signed decisions behind every vote the carried gates count, so the next run can check each one again. */
  decisions?: SignedDecision[];
  /** How many times the run has carried itself over so far. */
  count: number;
}

/**
 * How a run carries itself over (continue-as-new) once its history nears Temporal's limits while it waits at a gate, as
 * a flood of forged signals would make it, and how the next run picks up: the steps it recalls instead of acting again.
 */
export class CarryOver implements CarryOverPart {
  /** Steps done, by occurrence: what a run carries over to the run it continues as, and recalls from the one before. */
  memory = new StepMemory();
  private allowed = false;
  private request: unknown;

  constructor(private readonly run: Pick<RunParts, 'definition' | 'record' | 'checks'>) {}

  /**
   * Lets the run carry itself over; only runbooks whose procedure before their gates is made of kit steps allow it
   * (the definition's `carryOver`), since the next run replays it from the step results. With `carried`, this
   * run takes over from the one it continues.
   */
  configure(request: unknown, carried: CarriedRun | undefined): void {
    const { definition, record, checks } = this.run;
    this.request = request;
    this.allowed = definition.carryOver === true;
    if (!carried) return;
    Object.assign(record.status, carried.status, { carriedOver: carried.count });
    checks.carryOverFrom(carried.usedNonces, carried.decisions ?? []);
    this.memory = new StepMemory(carried.steps);
    record.resuming = true;
  }

  /** Whether the run should carry itself over now. */
  due(): boolean {
    if (!this.allowed) return false;
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > CARRY_OVER_EVENTS || info.historySize > CARRY_OVER_BYTES;
  }

  /** Continues as a new run of the same workflow ID with what it needs to pick up at this gate. Never returns. */
  async continueAsNew(): Promise<never> {
    const { record, checks } = this.run;
    await condition(allHandlersFinished);
    const count = (record.status.carriedOver ?? 0) + 1;
    const { historyLength, historySize } = workflowInfo();
    record.audit(SYSTEM, 'carrying-over', `history at ${historyLength} events, ${(historySize / 1048576).toFixed(1)} MiB: continuing as a new run (${count})`);
    const carried: CarriedRun = {
      status: { ...record.status, carriedOver: count },
      steps: this.memory.done,
      usedNonces: checks.nonces,
      roster: checks.trust.roster,
      ...(checks.trust.startProof ? { startProof: checks.trust.startProof } : {}),
      decisions: checks.counted,
      count,
    };
    return continueAsNew<(request: unknown) => Promise<unknown>>({ ...(this.request as object), carried });
  }
}
