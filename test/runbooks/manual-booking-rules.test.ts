import { expect, test } from 'vitest';
import { organizeLedger } from '../../activities/ledger-items';
import type { FoundConflict } from '../../activities/manual-booking-types';
import { ConflictBook } from '../../workflows/manual-booking-conflicts';
import { ResolveRequest } from '../../workflows/manual-booking-messages';

const line = (station: string, idempotencyKey: string, seat: string, passenger: string, recordedAt: string) => ({
  station,
  idempotencyKey,
  flight: 'LB100',
  seat,
  passenger,
  recordedAt,
  region: 'A' as const,
});

test('the ledger is ordered by counter time; copies, reused keys, check entries and damaged lines are kept apart, none dropped', () => {
  const organized = organizeLedger({
    region: 'A',
    entries: [
      line('DTW', 'k2', '2A', 'Bo', '2026-01-01T10:05:00.000Z'),
      line('ATL', 'k1', '1A', 'Al', '2026-01-01T10:00:00.000Z'),
      line('ATL', 'k2', '2A', 'bo', '2026-01-01T10:06:00.000Z'),
      line('ATL', 'k2', '2A', 'bo', '2026-01-01T10:06:00.000Z'),
      line('MSP', 'k1', '9F', 'Cy', '2026-01-01T10:07:00.000Z'),
      line('LIFEBOAT-CHECK', 'check', '99F', 'Lifeboat', '2026-01-01T09:00:00.000Z'),
    ],
    malformed: [{ station: 'ATL', lineNumber: 4, text: '{"idem', error: 'truncated line: Unexpected end' }],
  });
  expect(organized.items.map((i) => i.id)).toEqual(['ATL:k1:2026-01-01T10:00:00.000Z', 'DTW:k2:2026-01-01T10:05:00.000Z']);
  expect(organized.copies.map((c) => [c.itemId, c.copyOf])).toEqual([
    ['ATL:k2:2026-01-01T10:06:00.000Z', 'DTW:k2:2026-01-01T10:05:00.000Z'],
    ['ATL:k2:2026-01-01T10:06:00.000Z#2', 'DTW:k2:2026-01-01T10:05:00.000Z'],
  ]);
  expect(organized.keyReused.map((r) => [r.item.station, r.item.passenger, r.first.passenger])).toEqual([['MSP', 'Cy', 'Al']]);
  expect(organized.checkEntries).toBe(1);
  expect(organized.malformed).toHaveLength(1);
});

const seatTaken = (itemId: string, earliest: 'keep-database' | 'keep-ledger'): FoundConflict => ({
  itemId,
  kind: 'seat-taken',
  detail: `seat conflict ${itemId}`,
  options: ['keep-database', 'keep-ledger', 'discard'],
  earliest,
});
const malformed: FoundConflict = { itemId: 'ATL#4', kind: 'malformed', detail: 'cannot be read', options: ['discard'] };

test('conflicts keep their ids across passes; decisions are checked, recorded with who decided, and settle their lines', () => {
  const book = new ConflictBook();
  expect(book.add([seatTaken('a', 'keep-ledger'), malformed, seatTaken('b', 'keep-database')]).map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
  expect(book.add([seatTaken('a', 'keep-ledger'), seatTaken('d', 'keep-database')]).map((c) => c.id)).toEqual(['c4']);
  const req = (r: object) => ResolveRequest.parse({ by: 'dave', ...r });
  expect(book.refusal(req({ conflict: 'c2', decision: 'keep-ledger' }))).toBe('conflict c2 (malformed) may be resolved with discard, not keep-ledger');
  expect(book.refusal(req({ conflict: 'c2', rule: 'earliest-wins' }))).toBe('the earliest-wins rule does not apply to conflict c2 (malformed); choose discard');
  expect(book.refusal(req({ conflict: 'c9', decision: 'discard' }))).toBe('no conflict c9; open: c1, c2, c3, c4');
  expect(book.decide(req({ conflict: 'c3', decision: 'keep-ledger', comment: 'the counter was first' }), 't1')).toEqual({
    resolved: [{ id: 'c3', decision: 'keep-ledger' }],
    open: 3,
  });
  expect(book.refusal(req({ conflict: 'c3', decision: 'discard' }))).toBe('conflict c3 was already decided by dave (keep-ledger)');
  expect(book.decide(ResolveRequest.parse({ by: 'erin', rule: 'earliest-wins' }), 't2')).toEqual({
    resolved: [
      { id: 'c1', decision: 'keep-ledger' },
      { id: 'c4', decision: 'keep-database' },
    ],
    open: 1,
  });
  expect(book.refusal(req({ rule: 'earliest-wins' }))).toBe('no open conflict is one the earliest-wins rule decides; decide c2 one by one');
  expect(book.records.find((r) => r.id === 'c1')!.resolution).toEqual({ decision: 'keep-ledger', by: 'erin', at: 't2', rule: 'earliest-wins' });
  expect(book.toCarryOut().map((d) => [d.id, d.decision])).toEqual([
    ['c1', 'keep-ledger'],
    ['c3', 'keep-ledger'],
    ['c4', 'keep-database'],
  ]);
  expect(book.settled()).toEqual([]);
  book.done([
    { id: 'c1', outcome: 'moved' },
    { id: 'c3', outcome: 'moved' },
    { id: 'c4', outcome: 'rebooked' },
  ]);
  expect(book.settled()).toEqual(['a', 'b', 'd']);
  expect(book.toCarryOut()).toEqual([]);
});

test('a decision needs a conflict id, and a decision and a rule exclude each other', () => {
  expect(ResolveRequest.safeParse({ by: 'dave', decision: 'discard' }).success).toBe(false);
  expect(ResolveRequest.safeParse({ by: 'dave', conflict: 'c1', decision: 'discard', rule: 'earliest-wins' }).success).toBe(false);
  expect(ResolveRequest.safeParse({ by: ' ', conflict: 'c1', decision: 'discard' }).success).toBe(false);
  expect(ResolveRequest.safeParse({ by: 'dave', rule: 'earliest-wins' }).success).toBe(true);
});
