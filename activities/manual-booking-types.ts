import type { BookingHealth, BookingMode } from './booking';
import type { RegionName } from '../providers/contracts/provider';

/** The station whose ledger entries only prove the ledger works; reconciliation never applies them. */
export const CHECK_STATION = 'LIFEBOAT-CHECK';
/** The flight the runbook's own check bookings use, so they never take a real passenger's seat. */
export const CHECK_FLIGHT = 'LBCHECK';

/** One ledger line as reconciliation refers to it; `id` is stable across passes and crashes. */
export interface LedgerItem {
  id: string;
  station: string;
  idempotencyKey: string;
  flight: string;
  seat: string;
  passenger: string;
  recordedAt: string;
}

/** A booking already in the database that a ledger entry collides with. */
export interface Holder {
  idempotencyKey: string;
  passenger: string;
  seat: string;
  /** When the seat was taken: the booking's creation, or the counter's time if it came from the ledger. */
  bookedAt: string;
  source: 'online' | 'ledger';
}

/**
 * Why a ledger entry was not applied by itself:
 * - `seat-taken`: the seat is booked online or by an earlier counter entry;
 * - `duplicate-passenger`: the passenger already has a seat on the flight under another key;
 * - `unknown-flight`: the database has no booking on the flight other than counter ones;
 * - `duplicate-key`: the key was already used for a different booking;
 * - `malformed`: the line cannot be read (truncated, not JSON, invalid fields).
 */
export type ConflictKind = 'seat-taken' | 'duplicate-passenger' | 'unknown-flight' | 'duplicate-key' | 'malformed';

/**
 * What the operator decides:
 * - `keep-database`: the booking in the database stays; the counter passenger is rebooked into a free seat
 *   (seat-taken) or not booked again (duplicate-passenger);
 * - `keep-ledger`: the counter entry wins; the online passenger moves to a free seat (seat-taken), the existing
 *   booking moves to the counter's seat (duplicate-passenger), or the entry is applied anyway (unknown-flight,
 *   duplicate-key under a derived key);
 * - `keep-both`: a namesake, not a duplicate: book the counter entry too;
 * - `discard`: the entry is not applied; the decision and its reason are recorded.
 */
export type Decision = 'keep-database' | 'keep-ledger' | 'keep-both' | 'discard';

/** A conflict as one reconciliation pass finds it. */
export interface FoundConflict {
  /** The ledger item (or `<station>#<line>` of a malformed line) the conflict is about; stable across passes. */
  itemId: string;
  kind: ConflictKind;
  entry?: LedgerItem;
  line?: { station: string; lineNumber: number; text: string; error: string };
  holder?: Holder;
  /** One sentence for status and the report. */
  detail: string;
  options: Decision[];
  /** What the earliest-wins rule picks, where it applies. */
  earliest?: 'keep-database' | 'keep-ledger';
}

/** Identical copies of an entry: applied once, each extra copy reported. */
export interface DuplicateCopy {
  itemId: string;
  station: string;
  idempotencyKey: string;
  copyOf: string;
}

/** What one reconciliation pass did. */
export interface ReconcilePass {
  entries: number;
  applied: number;
  alreadyInDatabase: number;
  settledEarlier: number;
  verificationEntries: number;
  duplicates: DuplicateCopy[];
  conflicts: FoundConflict[];
  /** True when the pass resumed from an earlier attempt's heartbeat (a worker crash or timeout). */
  resumed: boolean;
}

/** A decided conflict handed to the activity that carries the decision out. */
export interface DecidedConflict {
  id: string;
  conflict: FoundConflict;
  decision: Decision;
}

/** What carrying out a decision did, in words, and which items it settled without a booking under their key. */
export interface ResolutionOutcome {
  id: string;
  outcome: string;
}

/** What the run shows while the mode lasts. */
export interface HoldingSnapshot {
  at: string;
  mode: BookingMode | 'unknown';
  database: NonNullable<BookingHealth['db']> | { reachable: false; writable: false; error: string };
  ledger: { byStation: Record<string, number>; total: number; malformed: number };
}

/** Every ledger entry accounted for at the end: applied, or settled by a recorded decision, or not. */
export interface LedgerAccounting {
  entries: number;
  applied: number;
  rebooked: number;
  settledByDecision: number;
  duplicateCopies: number;
  malformedLines: number;
  unaccounted: string[];
}

export type { RegionName };
