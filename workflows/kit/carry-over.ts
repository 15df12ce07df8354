import type { SignedDecision } from './decisions/statement';
import type { Roster } from './roster';
import type { RunStatus } from './status';

/** What a finished step left for a run that continues after it: its result, what it read before, or a skip. */
export interface CarriedStep {
  result?: unknown;
  before?: unknown;
  skipped?: true;
}

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
 * Steps by occurrence (`apply#1`, `wave#3`), so a continued run can tell which of its procedure's steps are done.
 * The procedure is deterministic, so the same steps come in the same order.
 */
export class StepMemory {
  private readonly occurrences = new Map<string, number>();
  private readonly recalled = new Set<string>();
  readonly done: Record<string, CarriedStep>;

  constructor(private readonly carried: Record<string, CarriedStep> = {}) {
    this.done = { ...carried };
  }

  /** The key of the next occurrence of a step (or gate) named `name`. */
  next(name: string): string {
    const n = (this.occurrences.get(name) ?? 0) + 1;
    this.occurrences.set(name, n);
    return `${name}#${n}`;
  }

  /** What a carried-over run recorded for this occurrence, once. */
  recall(key: string): CarriedStep | undefined {
    const entry = Object.hasOwn(this.carried, key) ? this.carried[key] : undefined;
    if (entry) this.recalled.add(key);
    return entry;
  }

  remember(key: string, entry: CarriedStep): void {
    this.done[key] = entry;
  }

  /** Whether the procedure is still replaying what an earlier run did (its audit lines are already in the trail). */
  get replaying(): boolean {
    return this.recalled.size < Object.keys(this.carried).length;
  }
}
