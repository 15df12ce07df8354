import { z } from 'zod';

/** The booking service's modes: `normal` books online, `read-only` only serves reads, `manual` sends staff to the counter ledger. */
export const BookingMode = z.enum(['normal', 'read-only', 'manual']);
export type BookingMode = z.infer<typeof BookingMode>;

export const Region = z.enum(['A', 'B']);
export type Region = z.infer<typeof Region>;

const flight = z.string().regex(/^[A-Z0-9]{2,10}$/, 'a flight number like LB123');
const seat = z.string().regex(/^([1-9]|[1-9][0-9])[A-F]$/, 'a seat like 12C (rows 1-99, letters A-F)');
const idempotencyKey = z.string().min(1).max(200);
const passenger = z.string().min(1).max(200);

/** A booking request; the client picks the idempotency key so a retry can never book twice. */
export const BookingRequest = z.object({ idempotencyKey, flight, seat, passenger });
export type BookingRequest = z.infer<typeof BookingRequest>;

/** A stored booking. */
export const Booking = BookingRequest.extend({ id: z.number().int(), region: z.string(), createdAt: z.string() });
export type Booking = z.infer<typeof Booking>;

/** What a counter agent records by hand when online booking is unavailable. */
export const LedgerEntryInput = z.object({
  idempotencyKey,
  station: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a station id like ATL-T1-03'),
  flight,
  seat,
  passenger,
  recordedAt: z.iso.datetime().optional(),
});
export type LedgerEntryInput = z.infer<typeof LedgerEntryInput>;

/** One line of the offline ledger. */
export const LedgerEntry = LedgerEntryInput.extend({ recordedAt: z.string(), region: Region });
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** A ledger line that could not be read back; shown, never dropped, so reconciliation can decide. */
export const MalformedLedgerLine = z.object({ station: z.string(), lineNumber: z.number().int(), text: z.string(), error: z.string() });
export type MalformedLedgerLine = z.infer<typeof MalformedLedgerLine>;

export const LedgerRead = z.object({ region: Region, entries: z.array(LedgerEntry), malformed: z.array(MalformedLedgerLine) });
export type LedgerRead = z.infer<typeof LedgerRead>;

/** What `/health` reports: the process answers; the body says whether its database can be reached and written. */
export const BookingHealth = z.object({
  region: Region,
  mode: BookingMode,
  status: z.enum(['ok', 'degraded']),
  db: z.object({ reachable: z.boolean(), writable: z.boolean(), inRecovery: z.boolean().nullable(), error: z.string().optional() }),
});
export type BookingHealth = z.infer<typeof BookingHealth>;
