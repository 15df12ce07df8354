import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { makePgDir, pgExec, pgLogFile, startCluster, stopCluster } from '../../estate/postgres-cluster';
import { catalogPorts, estatePortRange, takeEstatePort } from '../../estate/ports';
import type { CloneInfo } from '../contracts/isolated-drills';
import type { RegionName } from '../contracts/provider';
import { lsnToBytes } from '../postgres/sql';
import { heartbeat } from '../shared/activity-context';
import { sampleCatalog, sampleNodeOf } from './rebuild';
import type { SampleEstateSettings } from './settings';

const NAME = /^[a-z0-9-]{1,64}$/;

/**
 * The isolated drill of a region failover: a clone of the target standby on its own port, promoted and written to
 * instead of the real standby, so a scheduled drill proves the database side of a failover (backup, replay, promotion,
 * a write) without touching production. Every activity is idempotent and keyed by the clone's name.
 */
export function createFailoverDrillActivities(sampleEstate: () => SampleEstateSettings) {
  const locate = (name: string) => {
    if (!NAME.test(name)) throw new Error(`not a clone name: ${name}`);
    const settings = sampleEstate();
    const catalog = sampleCatalog(settings);
    const dir = join(catalog.stateDir, 'drills');
    // The service's own pair, as the settings name its data directories: checkin's clone is of checkin's standby.
    const nodeOf = (region: RegionName) => sampleNodeOf(settings, catalog, region);
    return { catalog, nodeOf, dir, dataDir: join(dir, name), meta: join(dir, `${name}.json`) };
  };
  const query = async <T>(port: number, user: string, sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new Client({ host: '127.0.0.1', port, user, database: 'postgres', connectionTimeoutMillis: 3_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  return {
    /** Clones `region`'s standby with pg_basebackup onto a free port and starts the clone streaming from it. */
    async cloneStandby(args: { region: RegionName; name: string }): Promise<CloneInfo> {
      const { catalog, nodeOf, dir, dataDir, meta } = locate(args.name);
      const node = nodeOf(args.region);
      if (existsSync(meta)) {
        const known = JSON.parse(readFileSync(meta, 'utf8')) as CloneInfo;
        await startCluster(known.dataDir);
        return known;
      }
      const beating = setInterval(() => heartbeat({ cloning: args.name }), 2_000);
      try {
        mkdirSync(dir, { recursive: true });
        makePgDir(dir, 0o755);
        rmSync(dataDir, { recursive: true, force: true });
        makePgDir(dataDir);
        await pgExec('pg_basebackup', ['-h', node.host, '-p', String(node.port), '-U', node.user, '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast'], {
          timeoutMs: 10 * 60_000,
        });
        const port = await takeEstatePort(catalogPorts(catalog), estatePortRange()); // LIFEBOAT_ESTATE_PORTS, as the estate's own ports
        writeFileSync(
          join(dataDir, 'postgresql.conf'),
          `${readFileSync(join(dataDir, 'postgresql.conf'), 'utf8')}\n# lifeboat: isolated drill clone\nport = ${port}\n`,
        );
        const info: CloneInfo = { name: args.name, dataDir, port };
        // Recorded before the start, so a retry after a crash restarts this clone instead of deleting a running one.
        writeFileSync(meta, JSON.stringify(info));
        await startCluster(dataDir);
        return info;
      } finally {
        clearInterval(beating);
      }
    },

    /**
     * Promotes the clone, and measures what a failover at this moment would have lost: the WAL the production primary
     * had written beyond what the clone had replayed.
     */
    async promoteClone(args: {
      name: string;
      primary: RegionName;
    }): Promise<{ alreadyPromoted: boolean; lagBytes: number | null; lagSeconds: number | null; lsn: string }> {
      const { nodeOf, meta } = locate(args.name);
      const info = JSON.parse(readFileSync(meta, 'utf8')) as CloneInfo;
      const primary = nodeOf(args.primary);
      const user = primary.user;
      const [clone] = await query<{ rec: boolean; lsn: string; replayed: Date | null }>(
        info.port,
        user,
        `SELECT pg_is_in_recovery() AS rec, coalesce(pg_last_wal_replay_lsn(), pg_current_wal_lsn())::text AS lsn, pg_last_xact_replay_timestamp() AS replayed`,
      );
      if (!clone!.rec) return { alreadyPromoted: true, lagBytes: null, lagSeconds: null, lsn: clone!.lsn };
      const source = await query<{ lsn: string }>(primary.port, user, 'SELECT pg_current_wal_lsn()::text AS lsn').catch(() => []);
      const [done] = await query<{ ok: boolean }>(info.port, user, 'SELECT pg_promote(true, 30) AS ok');
      if (!done?.ok) throw new Error(`the drill clone ${args.name} did not finish promotion within 30 s`);
      const [after] = await query<{ lsn: string }>(info.port, user, 'SELECT pg_current_wal_lsn()::text AS lsn');
      const lagBytes = source[0] ? Math.max(0, lsnToBytes(source[0].lsn) - lsnToBytes(clone!.lsn)) : null;
      const lagSeconds = lagBytes === 0 ? 0 : clone!.replayed ? Math.max(0, (Date.now() - clone!.replayed.getTime()) / 1000) : null;
      return { alreadyPromoted: false, lagBytes, lagSeconds, lsn: after!.lsn };
    },

    /**
     * Writes to the promoted clone and reads it back: the clone takes writes. Booking's clone gets a synthetic seat;
     * another service's (checkin's) a synthetic record in its `records` table.
     */
    async verifyClone(args: { name: string; idempotencyKey: string }): Promise<{ bookingId?: number; recordKey?: string }> {
      const { nodeOf, meta } = locate(args.name);
      const info = JSON.parse(readFileSync(meta, 'utf8')) as CloneInfo;
      const user = nodeOf('A').user;
      const [tables] = await query<{ bookings: boolean }>(info.port, user, "SELECT to_regclass('bookings') IS NOT NULL AS bookings");
      if (!tables?.bookings) {
        await query(info.port, user, `INSERT INTO records (key, region, payload) VALUES ($1, 'clone', '{"drill": true}') ON CONFLICT DO NOTHING`, [
          args.idempotencyKey,
        ]);
        const [kept] = await query<{ key: string }>(info.port, user, 'SELECT key FROM records WHERE key = $1', [args.idempotencyKey]);
        if (!kept) throw new Error(`the drill clone ${args.name} did not keep the synthetic record`);
        return { recordKey: kept.key };
      }
      await query(
        info.port,
        user,
        `INSERT INTO bookings (idempotency_key, flight, seat, passenger, region) VALUES ($1, 'DRILL1', '1A', 'Lifeboat drill', 'clone') ON CONFLICT DO NOTHING`,
        [args.idempotencyKey],
      );
      const [row] = await query<{ id: string }>(info.port, user, 'SELECT id FROM bookings WHERE idempotency_key = $1', [args.idempotencyKey]);
      if (!row) throw new Error(`the drill clone ${args.name} did not keep the synthetic booking`);
      return { bookingId: Number(row.id) };
    },

    /** Stops the clone and deletes it; removing one that is gone is a no-op. */
    async removeClone(args: { name: string }): Promise<{ removed: boolean }> {
      const { dataDir, meta } = locate(args.name);
      const existed = existsSync(dataDir) || existsSync(meta);
      if (existsSync(dataDir)) await stopCluster(dataDir, 'immediate').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(pgLogFile(dataDir), { force: true });
      rmSync(meta, { force: true });
      return { removed: existed };
    },
  };
}

export type FailoverDrillActivities = ReturnType<typeof createFailoverDrillActivities>;
