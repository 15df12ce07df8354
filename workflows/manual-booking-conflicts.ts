import type { DecidedConflict, Decision, FoundConflict, ResolutionOutcome } from '../activities/manual-booking-types';
import type { ResolveReceipt, ResolveRequest } from './manual-booking-messages';

/** A conflict as status and the report show it: what was found, who decided what, and what was done. */
export interface ConflictRecord extends FoundConflict {
  id: string;
  status: 'open' | 'decided' | 'done';
  resolution?: { decision: Decision; by: string; at: string; rule?: 'earliest-wins'; comment?: string };
  outcome?: string;
}

/**
 * The run's list of reconciliation conflicts. Ids (`c1`, `c2`, ...) are given in the order conflicts are found
 * and stay the same across passes; a conflict is found again only until someone decides it.
 */
export class ConflictBook {
  readonly records: ConflictRecord[] = [];

  /** Adds newly found conflicts; one already listed for the same line is not listed twice. */
  add(found: FoundConflict[]): ConflictRecord[] {
    const added: ConflictRecord[] = [];
    for (const c of found) {
      if (this.records.some((r) => r.itemId === c.itemId)) continue;
      const record: ConflictRecord = { ...c, id: `c${this.records.length + 1}`, status: 'open' };
      this.records.push(record);
      added.push(record);
    }
    return added;
  }

  open(): ConflictRecord[] {
    return this.records.filter((r) => r.status === 'open');
  }

  /** Why a request cannot be taken, or undefined when it can; used by the update's validator and the signal. */
  refusal(req: ResolveRequest): string | undefined {
    const open = this.open();
    if (open.length === 0) return 'no conflict is waiting for a decision';
    if (req.conflict !== undefined) {
      const record = this.records.find((r) => r.id === req.conflict);
      if (!record) return `no conflict ${req.conflict}; open: ${open.map((r) => r.id).join(', ')}`;
      if (record.status !== 'open') return `conflict ${record.id} was already decided by ${record.resolution?.by} (${record.resolution?.decision})`;
      if (req.decision && !record.options.includes(req.decision))
        return `conflict ${record.id} (${record.kind}) may be resolved with ${record.options.join(', ')}, not ${req.decision}`;
      if (req.rule && !record.earliest)
        return `the earliest-wins rule does not apply to conflict ${record.id} (${record.kind}); choose ${record.options.join(', ')}`;
      return undefined;
    }
    if (!open.some((r) => r.earliest)) return `no open conflict is one the earliest-wins rule decides; decide ${open.map((r) => r.id).join(', ')} one by one`;
    return undefined;
  }

  /** Records a decision (the caller checked `refusal` first) and says what it decided. */
  decide(req: ResolveRequest, at: string): ResolveReceipt {
    const targets = req.conflict !== undefined ? this.records.filter((r) => r.id === req.conflict) : this.open().filter((r) => r.earliest);
    const resolved = targets.map((r) => {
      const decision = req.decision ?? r.earliest!;
      r.status = 'decided';
      r.resolution = { decision, by: req.by, at, ...(req.rule ? { rule: req.rule } : {}), ...(req.comment ? { comment: req.comment } : {}) };
      return { id: r.id, decision };
    });
    return { resolved, open: this.open().length };
  }

  /** Decisions not carried out yet. */
  toCarryOut(): DecidedConflict[] {
    return this.records.filter((r) => r.status === 'decided').map((r) => ({ id: r.id, conflict: stripRecord(r), decision: r.resolution!.decision }));
  }

  done(outcomes: ResolutionOutcome[]): void {
    for (const o of outcomes) {
      const record = this.records.find((r) => r.id === o.id);
      if (record) Object.assign(record, { status: 'done', outcome: o.outcome });
    }
  }

  /** Ledger lines decided by a person; reconciliation does not apply them on its own again. */
  settled(): string[] {
    return this.records.filter((r) => r.status === 'done').map((r) => r.itemId);
  }

  /** Flights an operator confirmed exist by applying an unknown-flight entry. */
  confirmedFlights(): string[] {
    return [
      ...new Set(this.records.filter((r) => r.kind === 'unknown-flight' && r.resolution?.decision === 'keep-ledger' && r.entry).map((r) => r.entry!.flight)),
    ];
  }
}

function stripRecord(r: ConflictRecord): FoundConflict {
  const { id: _id, status: _status, resolution: _resolution, outcome: _outcome, ...found } = r;
  return found;
}
