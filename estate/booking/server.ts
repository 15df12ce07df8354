import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { argValue, HttpError, parseInput, readJson, sendError, sendJson } from '../http-util';
import { OfflineLedger } from './ledger';
import { BookingMode, BookingRequest, LedgerEntryInput, Region, type BookingHealth } from './schemas';
import { BookingStore, type DbAddress } from './store';

/** How one region's booking service is set up. */
export interface BookingServiceOptions {
  region: Region;
  port: number;
  db: DbAddress;
  /** Holds the offline ledger (`ledger/<region>/<station>.jsonl`) and the persisted mode (`modes/<region>`). */
  stateDir: string;
}

const SEAT_ROWS = 30;
const SEAT_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F'];

const ModeChange = z.object({ mode: BookingMode });
const SeatMove = BookingRequest.pick({ seat: true });
const KeyLookup = z.object({ keys: z.array(z.string()).max(100_000) });

/**
 * One region's booking service: a small HTTP API over PostgreSQL, plus the counter staff's offline ledger.
 * The mode is persisted so a restart keeps `manual` mode during an incident.
 */
export function createBookingServer(opts: BookingServiceOptions): { server: Server; close: () => Promise<void> } {
  const store = new BookingStore(opts.db);
  const ledger = new OfflineLedger(join(opts.stateDir, 'ledger'), opts.region);
  const modeFile = join(opts.stateDir, 'modes', opts.region);
  mkdirSync(join(opts.stateDir, 'modes'), { recursive: true });
  let mode: BookingMode = existsSync(modeFile) ? BookingMode.catch('normal').parse(readFileSync(modeFile, 'utf8').trim()) : 'normal';
  const headers = { 'x-lifeboat-region': opts.region };

  const refuseUnlessNormal = () => {
    if (mode === 'manual') {
      throw new HttpError(
        503,
        `online booking is refused: region ${opts.region} is in manual mode; record the booking at the counter in the offline ledger`,
        'mode-manual',
      );
    }
    if (mode === 'read-only') throw new HttpError(503, `online booking is refused: region ${opts.region} is in read-only mode`, 'mode-read-only');
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://booking');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const send = (status: number, body: unknown) => sendJson(res, status, body, headers);

    if (method === 'GET' && url.pathname === '/live') return send(200, { region: opts.region });
    if (method === 'GET' && url.pathname === '/health') {
      const db = await store.probe();
      const body: BookingHealth = { region: opts.region, mode, status: db.reachable ? 'ok' : 'degraded', db };
      return send(200, body);
    }
    if (url.pathname === '/admin/mode') {
      if (method === 'GET') return send(200, { region: opts.region, mode });
      if (method === 'PUT' || method === 'POST') {
        const next = parseInput(ModeChange, await readJson(req)).mode;
        const previous = mode;
        mode = next;
        writeFileSync(modeFile, mode);
        return send(200, { region: opts.region, mode, previous });
      }
    }
    // Reconciliation of the offline ledger writes while online booking is still refused, so these ignore the mode.
    if (parts[0] === 'admin' && parts[1] === 'bookings') {
      if (method === 'POST' && parts.length === 2) {
        const { booking, replayed } = await store.create(parseInput(BookingRequest, await readJson(req)), opts.region);
        return send(replayed ? 200 : 201, { booking, replayed });
      }
      if (method === 'PUT' && parts.length === 4 && parts[3] === 'seat') {
        const { seat } = parseInput(SeatMove, await readJson(req));
        return send(200, { booking: await store.moveSeat(parts[2]!, seat) });
      }
    }
    if (parts[0] === 'bookings') {
      if (method === 'POST' && parts.length === 1) {
        const body = parseInput(BookingRequest, await readJson(req));
        refuseUnlessNormal();
        const { booking, replayed } = await store.create(body, opts.region);
        return send(replayed ? 200 : 201, { booking, replayed });
      }
      if (method === 'POST' && parts[1] === 'lookup' && parts.length === 2) {
        const { keys } = parseInput(KeyLookup, await readJson(req));
        const found = new Set(await store.existingKeys(keys));
        return send(200, { found: keys.filter((k) => found.has(k)), missing: keys.filter((k) => !found.has(k)) });
      }
      if (method === 'GET' && parts.length === 2) {
        const booking = await store.byKey(parts[1]!);
        if (!booking) throw new HttpError(404, `no booking with idempotency key ${parts[1]}`, 'not-found');
        return send(200, { booking });
      }
    }
    if (method === 'GET' && parts[0] === 'flights' && parts[2] === 'seats' && parts.length === 3) {
      const flight = parts[1]!;
      const booked = new Map((await store.seatsOf(flight)).map((b) => [b.seat, b]));
      const seats = [];
      for (let row = 1; row <= SEAT_ROWS; row++) {
        for (const letter of SEAT_LETTERS) {
          const seat = `${row}${letter}`;
          const b = booked.get(seat);
          seats.push(b ? { seat, booked: true, passenger: b.passenger, idempotencyKey: b.idempotencyKey } : { seat, booked: false });
        }
      }
      // Seats outside the standard map (rows 31-99) are listed too, so nothing booked is hidden.
      for (const [seat, b] of booked) {
        if (!seats.some((s) => s.seat === seat)) seats.push({ seat, booked: true, passenger: b.passenger, idempotencyKey: b.idempotencyKey });
      }
      return send(200, { flight, bookedCount: booked.size, seats });
    }
    if (parts[0] === 'ledger' && parts.length === 1) {
      if (method === 'POST') {
        const input = parseInput(LedgerEntryInput, await readJson(req));
        const { entry, duplicate } = ledger.append({ ...input, recordedAt: input.recordedAt ?? new Date().toISOString(), region: opts.region });
        return send(duplicate ? 200 : 201, { entry, duplicate });
      }
      if (method === 'GET') {
        const station = url.searchParams.get('station') ?? undefined;
        if (station !== undefined && !/^[A-Za-z0-9_-]{1,40}$/.test(station)) throw new HttpError(400, 'invalid station id');
        return send(200, ledger.read(station));
      }
    }
    throw new HttpError(404, `no route for ${method} ${url.pathname}`, 'not-found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => sendError(res, err, headers));
  });
  server.keepAliveTimeout = 30_000;
  return {
    server,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await store.close();
    },
  };
}

/** Entry point when started as a process: `--region A --port N --db-host H --db-port N --state-dir D`. */
function main(): void {
  const argv = process.argv.slice(2);
  const need = (n: string) => {
    const v = argValue(argv, n);
    if (!v) throw new Error(`booking service needs --${n}`);
    return v;
  };
  const port = Number(need('port'));
  const { server, close } = createBookingServer({
    region: Region.parse(need('region')),
    port,
    db: {
      host: need('db-host'),
      port: Number(need('db-port')),
      user: argValue(argv, 'db-user') ?? 'postgres',
      database: argValue(argv, 'db-name') ?? 'postgres',
    },
    stateDir: need('state-dir'),
  });
  server.listen(port, '127.0.0.1', () => console.log(`booking service ${need('region')} listening on 127.0.0.1:${port}`));
  const stop = () => void close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
