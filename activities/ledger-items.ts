import type { LedgerRead } from './booking';
import { CHECK_STATION, type DuplicateCopy, type LedgerItem } from './manual-booking-types';

/** The ledger as reconciliation sees it: what to apply, and every line that must not be applied by itself. */
export interface OrganizedLedger {
  /** First occurrence of each key, oldest first. */
  items: LedgerItem[];
  /** Later lines that reuse a key for a different booking; each needs a decision. */
  keyReused: { item: LedgerItem; first: LedgerItem }[];
  /** Later lines identical to an earlier one: applied once, reported. */
  copies: DuplicateCopy[];
  malformed: LedgerRead['malformed'];
  /** The runbook's own check entries, never applied. */
  checkEntries: number;
}

/** Compares passenger names as counter staff write them: case and spacing do not matter. */
export function samePassenger(a: string, b: string): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) === norm(b);
}

/** The id of a malformed line, used like an item id in decisions. */
export const malformedLineId = (line: { station: string; lineNumber: number }) => `${line.station}#${line.lineNumber}`;

/**
 * Orders the ledger by the time the counter recorded each entry (then station, then file order), gives each
 * line a stable id, and separates out check entries, identical copies and reused keys. Nothing is dropped.
 */
export function organizeLedger(read: LedgerRead): OrganizedLedger {
  const seen = new Map<string, number>();
  const all: LedgerItem[] = [];
  let checkEntries = 0;
  for (const e of read.entries) {
    if (e.station === CHECK_STATION) {
      checkEntries++;
      continue;
    }
    const base = `${e.station}:${e.idempotencyKey}:${e.recordedAt}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    all.push({
      id: n === 1 ? base : `${base}#${n}`,
      station: e.station,
      idempotencyKey: e.idempotencyKey,
      flight: e.flight,
      seat: e.seat,
      passenger: e.passenger,
      recordedAt: e.recordedAt,
    });
  }
  const ordered = all
    .map((item, index) => ({ item, index }))
    .sort((x, y) => x.item.recordedAt.localeCompare(y.item.recordedAt) || x.item.station.localeCompare(y.item.station) || x.index - y.index)
    .map((x) => x.item);
  const firstByKey = new Map<string, LedgerItem>();
  const items: LedgerItem[] = [];
  const keyReused: OrganizedLedger['keyReused'] = [];
  const copies: DuplicateCopy[] = [];
  for (const item of ordered) {
    const first = firstByKey.get(item.idempotencyKey);
    if (!first) {
      firstByKey.set(item.idempotencyKey, item);
      items.push(item);
    } else if (first.flight === item.flight && first.seat === item.seat && samePassenger(first.passenger, item.passenger)) {
      copies.push({ itemId: item.id, station: item.station, idempotencyKey: item.idempotencyKey, copyOf: first.id });
    } else {
      keyReused.push({ item, first });
    }
  }
  return { items, keyReused, copies, malformed: read.malformed, checkEntries };
}
