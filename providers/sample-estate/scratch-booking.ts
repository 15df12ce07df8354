import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { OfflineLedger } from '../../estate/booking/ledger';
import { ensureBookingSchema } from '../../estate/booking/store';
import type { EstateCatalog } from '../../estate/catalog';
import { isAlive, nodeServerCommand, readRecord, startDetached, stopPid, stopRecorded, waitForHttp } from '../../estate/processes';
import { estateLayout } from '../../estate/state-dir';
import { catalogPorts, estatePortRange, takeEstatePort } from '../../estate/ports';
import { isListening } from '../../lib/free-port';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import { ScratchBooking, type ScratchBookingRemoval } from '../contracts/isolated-drills';
import { createHttpBookingService, type BookingMode, type HttpBookingService } from '../http/booking-service';

export { ScratchBooking, type BookingTarget, type ScratchBookingRemoval } from '../contracts/isolated-drills';

/** The online bookings a scratch database starts with, so counter entries on the drill flight reconcile without a person. */
export const DRILL_FLIGHT = 'LBDRILL';
const ONLINE_SEED = [
  { key: 'drill-online-1', seat: '1A', passenger: 'Drill Online One' },
  { key: 'drill-online-2', seat: '1B', passenger: 'Drill Online Two' },
];

const processNameOf = (slug: string) => `scratch-booking-${slug}`;

/** A name PostgreSQL and the file system accept, stable for a workflow id. */
export function scratchSlug(key: string): string {
  return `drill_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/**
 * The scratch booking service of an isolated `manual-booking-mode` drill: the estate's own booking server on a free
 * loopback port, with a database created for it on the current primary and its own ledger directory. Keyed by the
 * drill's workflow id; starting twice returns the same service, removing twice is a no-op.
 */
export function createScratchBookingActivities(catalog: () => EstateCatalog) {
  const paths = (key: string) => ({ catalog: catalog(), ...scratchPaths(catalog(), key) });
  const readScratch = (key: string) => readScratchRecord(catalog(), key);

  /** The server that accepts writes now (a failover may have moved it), as the scratch database's home. */
  async function currentPrimary(c: EstateCatalog): Promise<EstateCatalog['services']['booking']['regions']['A']['postgres']> {
    for (const region of ['A', 'B'] as const) {
      const pg = c.services.booking.regions[region].postgres;
      const client = new Client({ host: pg.host, port: pg.port, user: pg.user, database: pg.database, connectionTimeoutMillis: 3_000 });
      try {
        await client.connect();
        const r = await client.query<{ rec: boolean }>('SELECT pg_is_in_recovery() AS rec');
        if (!r.rows[0]!.rec) return pg;
      } catch {
        // down or unreachable: try the other region
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error('no database server accepts writes, so no scratch database can be created; retry once a primary is up');
  }

  async function admin<T>(db: ScratchBooking['database'], work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ host: db.host, port: db.port, user: db.user, database: 'postgres', connectionTimeoutMillis: 3_000 });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Removes what a build left, even a build a worker crash interrupted before it wrote its record: the process
   * recorded under the drill's name, the database named after the drill, and the scratch directory.
   */
  async function remove(key: string): Promise<ScratchBookingRemoval> {
    const p = paths(key);
    const slug = scratchSlug(key);
    const scratch = readScratch(key);
    const proc = readRecord(p.runDir, processNameOf(slug));
    if (!scratch && !proc && !existsSync(p.dir)) return { key, removed: false };

    const pid = scratch?.pid ?? proc?.pid;
    const port = scratch?.port ?? proc?.port;
    const wasRunning = pid !== undefined && isAlive(pid);
    await stopRecorded(p.runDir, processNameOf(slug), 3_000);
    if (scratch && pid !== undefined && pid !== proc?.pid) await stopPid(pid, 3_000);
    if (port !== undefined && (await isListening(port))) throw new Error(`the scratch booking service still listens on port ${port} after it was stopped`);

    const server = scratch?.database ?? { ...(await currentPrimary(p.catalog)), name: slug };
    const dropped = await admin(server, async (client) => {
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [slug]);
      await client.query(`DROP DATABASE IF EXISTS "${slug}" WITH (FORCE)`);
      return exists.rowCount === 1;
    });

    const ledgerDir = join(p.stateDir, 'ledger');
    let entries = 0;
    try {
      if (scratch) entries = new OfflineLedger(ledgerDir, scratch.region as 'A' | 'B').read().entries.length;
    } catch {
      // an unreadable scratch ledger is deleted all the same
    }
    rmSync(p.dir, { recursive: true, force: true });
    return {
      key,
      removed: true,
      ...(pid !== undefined && port !== undefined ? { service: { url: `http://127.0.0.1:${port}`, port, pid, stopped: wasRunning } } : {}),
      database: { name: slug, dropped },
      ledger: { dir: ledgerDir, entries, deleted: true },
    };
  }

  return {
    /**
     * Starts the scratch booking service of the drill `key` (its workflow id), or returns it when it already runs.
     * A leftover of an earlier run under the same workflow id (terminated before its cleanup) is removed first.
     */
    async startScratchBooking(args: { key: string; runId: string; region: string }): Promise<ScratchBooking & { replacedLeftover: boolean }> {
      const existing = readScratch(args.key);
      if (existing && existing.runId === args.runId && isAlive(existing.pid)) {
        try {
          await waitForHttp(`${existing.url}/live`, { pid: existing.pid, timeoutMs: 10_000 });
          return { ...existing, replacedLeftover: false };
        } catch {
          // not answering: start it again below
        }
      }
      const replacedLeftover = existing !== undefined && existing.runId !== args.runId;
      if (existing) await remove(args.key);

      const p = paths(args.key);
      const slug = scratchSlug(args.key);
      // The directory first: from here on a removal knows there may be something to remove.
      mkdirSync(p.stateDir, { recursive: true });
      const primary = await currentPrimary(p.catalog);
      const database = { host: primary.host, port: primary.port, user: primary.user, name: slug };
      await admin(database, async (client) => {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [slug]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${slug}"`);
      });
      const db = { host: database.host, port: database.port, user: database.user, database: slug };
      await ensureBookingSchema(db);
      await seedOnline(db, args.region);

      const port = await takeEstatePort(catalogPorts(p.catalog), estatePortRange()); // LIFEBOAT_ESTATE_PORTS, as the estate's own ports
      const processName = processNameOf(slug);
      await stopRecorded(p.runDir, processName, 3_000); // an earlier attempt's process, if it died before its record
      const command = nodeServerCommand('booking/server.ts', [
        '--region',
        args.region,
        '--port',
        String(port),
        '--db-host',
        db.host,
        '--db-port',
        String(db.port),
        '--db-user',
        db.user,
        '--db-name',
        slug,
        '--state-dir',
        p.stateDir,
      ]);
      const proc = startDetached({ name: processName, command, runDir: p.runDir, logFile: p.logFile, port });
      const scratch: ScratchBooking = {
        key: args.key,
        runId: args.runId,
        region: args.region,
        url: `http://127.0.0.1:${port}`,
        port,
        database,
        stateDir: p.stateDir,
        processName,
        pid: proc.pid,
        createdAt: new Date().toISOString(),
      };
      writeFileSync(p.record, JSON.stringify(scratch, null, 2));
      await waitForHttp(`${scratch.url}/live`, { pid: proc.pid, logFile: p.logFile, timeoutMs: 30_000 });
      return { ...scratch, replacedLeftover };
    },

    /** Stops the scratch service of drill `key`, drops its database and deletes its ledger. Idempotent. */
    async removeScratchBooking(args: { key: string }): Promise<ScratchBookingRemoval> {
      return remove(args.key);
    },

    /** Sets the scratch service's mode (the drill's `setMode`); returns the previous one, like the adapter. Idempotent. */
    async setScratchMode(args: { key: string; mode: BookingMode }): Promise<{ region: string; mode: BookingMode; previous: BookingMode; changed: boolean }> {
      const scratch = readScratch(args.key);
      if (!scratch)
        throw providerFailure(ProviderErrorType.Precondition, `no scratch booking service for ${args.key}; a drill never switches production's mode`);
      return scratchBooking(scratch).setMode({ region: scratch.region, mode: args.mode });
    },

    /**
     * Counter staff of a drill: records `perStation` bookings on the drill flight at each station in the scratch
     * ledger, keyed by the drill so a retry records nothing twice. Refuses anything but a scratch service.
     */
    async seedScratchLedger(args: { key: string; stations: string[]; perStation: number }): Promise<{ recorded: number; stations: string[] }> {
      const scratch = readScratch(args.key);
      if (!scratch)
        throw providerFailure(
          ProviderErrorType.Precondition,
          `no scratch booking service for ${args.key}; counter bookings of a drill go to its scratch ledger only`,
        );
      const b = scratchBooking(scratch);
      let recorded = 0;
      for (const [s, station] of args.stations.entries()) {
        for (let i = 0; i < args.perStation; i++) {
          const row = 10 + s * args.perStation + i;
          const { duplicate } = await b.appendLedger({
            region: scratch.region,
            station,
            idempotencyKey: `drill-${station}-${i + 1}`,
            flight: DRILL_FLIGHT,
            seat: `${row}C`,
            passenger: `Drill Passenger ${station} ${i + 1}`,
          });
          if (!duplicate) recorded++;
        }
      }
      return { recorded, stations: args.stations };
    },
  };
}

function scratchPaths(c: EstateCatalog, key: string) {
  const dir = join(c.stateDir, 'scratch', 'booking', scratchSlug(key));
  return { dir, record: join(dir, 'scratch.json'), stateDir: join(dir, 'state'), logFile: join(dir, 'server.log'), runDir: estateLayout(c.stateDir).run };
}

function readScratchRecord(c: EstateCatalog, key: string): ScratchBooking | undefined {
  const { record } = scratchPaths(c, key);
  if (!existsSync(record)) return undefined;
  return ScratchBooking.parse(JSON.parse(readFileSync(record, 'utf8')));
}

/**
 * The booking adapter for a target: production's regions, or a drill's scratch service (both regions point at it,
 * so a drill never reaches production). A scratch service that is gone is an error, never a fallback.
 */
export function bookingFor(c: EstateCatalog, target: { scratch?: string }, production: () => HttpBookingService): HttpBookingService {
  if (!target.scratch) return production();
  const scratch = readScratchRecord(c, target.scratch);
  if (!scratch)
    throw providerFailure(ProviderErrorType.Precondition, `the scratch booking service of ${target.scratch} is gone; a drill never falls back to production`);
  return scratchBooking(scratch);
}

function scratchBooking(scratch: ScratchBooking): HttpBookingService {
  return createHttpBookingService({ provider: 'http', regions: { A: { url: scratch.url }, B: { url: scratch.url } }, timeoutMs: 5_000 });
}

async function seedOnline(db: { host: string; port: number; user: string; database: string }, region: string): Promise<void> {
  const client = new Client({ ...db, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    for (const b of ONLINE_SEED) {
      await client.query('INSERT INTO bookings (idempotency_key, flight, seat, passenger, region) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
        b.key,
        DRILL_FLIGHT,
        b.seat,
        b.passenger,
        region,
      ]);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

export type ScratchBookingActivities = ReturnType<typeof createScratchBookingActivities>;
