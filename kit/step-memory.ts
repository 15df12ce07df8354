/*
 * What a run remembers of its steps so a run that carried itself over (continue-as-new) can tell which are done. Its
 * own file, because the steps and gates that record into it and the carry-over that hands it on all read it.
 */

/** What a finished step left for a run that continues after it: its result, what it read before, or a skip. */
export interface CarriedStep {
  result?: unknown;
  before?: unknown;
  skipped?: true;
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
