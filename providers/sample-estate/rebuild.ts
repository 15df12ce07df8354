import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadCatalog, type EstateCatalog, type PostgresEndpoint } from '../../estate/catalog';
import { makePgDir, pgExec, startCluster, stopCluster } from '../../estate/postgres-cluster';
import type { DatabaseProvider } from '../contracts/database';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { RebuildProvider, RebuildResult } from '../contracts/rebuild';
import type { SampleEstateSettings } from './settings';

const conninfo = (p: PostgresEndpoint) => `host=${p.host} port=${p.port} user=${p.user} dbname=${p.database}`;

/** Runs one query on a node as the estate's superuser; undefined when the node does not answer. */
async function queryNode<T>(p: PostgresEndpoint, text: string): Promise<T[] | undefined> {
  const client = new Client({ host: p.host, port: p.port, user: p.user, database: p.database, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query(text)).rows as T[];
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether the node streams from `source` on the source's own timeline. A node whose WAL ran past the point where the
 * source's timeline forked connects, streams a moment on the old timeline and is cut off, again and again; the
 * timeline tells the two apart.
 */
async function streamsOnTimelineOf(node: PostgresEndpoint, source: PostgresEndpoint): Promise<boolean> {
  const [receiver, primary] = await Promise.all([
    queryNode<{ sender_port: number; received_tli: number }>(node, `SELECT sender_port, received_tli FROM pg_stat_wal_receiver WHERE status = 'streaming'`),
    queryNode<{ timeline_id: number }>(source, 'SELECT timeline_id FROM pg_control_checkpoint()'),
  ]);
  const r = receiver?.[0];
  const tli = primary?.[0]?.timeline_id;
  return r !== undefined && tli !== undefined && r.sender_port === source.port && r.received_tli === tli;
}

/**
 * Makes a rebuilt data dir a standby of `primary` on its own port: pg_rewind and pg_basebackup copy the primary's
 * configuration (its port, and a fence set with ALTER SYSTEM), so both are put right before the server starts.
 */
function settleConfig(node: PostgresEndpoint): void {
  const auto = join(node.dataDir, 'postgresql.auto.conf');
  if (existsSync(auto)) {
    const kept = readFileSync(auto, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*default_transaction_read_only\s*=/.test(l));
    writeFileSync(auto, kept.join('\n'));
  }
  appendFileSync(join(node.dataDir, 'postgresql.conf'), `\n# lifeboat: rebuilt as a standby\nport = ${node.port}\n`);
  if (!existsSync(join(node.dataDir, 'standby.signal'))) writeFileSync(join(node.dataDir, 'standby.signal'), '');
}

/** How long a rewound node may take to stream from the primary before it is replaced with a base backup instead. */
const REWOUND_STREAMS_WITHIN_MS = 30_000;

/** Waits until the node streams from `source` on its timeline, seen twice a second apart; false when not within `ms`. */
async function streamsFrom(node: PostgresEndpoint, source: PostgresEndpoint, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  let seen = 0;
  while (Date.now() < deadline) {
    seen = (await streamsOnTimelineOf(node, source)) ? seen + 1 : 0;
    if (seen >= 2) return true;
    await new Promise((r) => setTimeout(r, seen ? 1_000 : 250));
  }
  return false;
}

/**
 * Stops the node, rewinds it onto the primary's timeline and checks it then streams; where the rewind fails, or the
 * rewound node does not stream (PostgreSQL logs "new timeline forked off current database system timeline before
 * current recovery point" when the old primary's own WAL ran past the fork), replaces it with a base backup.
 */
async function rebuild(node: PostgresEndpoint, source: PostgresEndpoint): Promise<Pick<RebuildResult, 'method' | 'fallbackReason'>> {
  await stopCluster(node.dataDir, 'fast').catch(() => stopCluster(node.dataDir, 'immediate'));
  let fallbackReason: string;
  try {
    // pg_rewind reads the source's timeline from its control file, which a freshly promoted primary updates only at
    // its next checkpoint (a spread one can take minutes); until then pg_rewind finds "no rewind required" and the old
    // primary stays past the fork. A checkpoint first makes the rewind see the new timeline.
    await queryNode(source, 'CHECKPOINT');
    await pgExec('pg_rewind', ['--target-pgdata', node.dataDir, '--source-server', conninfo(source), '--write-recovery-conf'], { timeoutMs: 20 * 60_000 });
    settleConfig(node);
    await startCluster(node.dataDir);
    if (await streamsFrom(node, source, REWOUND_STREAMS_WITHIN_MS)) return { method: 'pg_rewind' };
    fallbackReason = `the rewound node did not stream on the primary's timeline (port ${source.port}) within ${REWOUND_STREAMS_WITHIN_MS / 1000} s`;
  } catch (err) {
    fallbackReason = (err as Error).message.slice(0, 500);
  }
  await stopCluster(node.dataDir, 'immediate').catch(() => undefined);
  rmSync(node.dataDir, { recursive: true, force: true });
  makePgDir(node.dataDir);
  await pgExec('pg_basebackup', ['-h', source.host, '-p', String(source.port), '-U', source.user, '-D', node.dataDir, '-R', '-X', 'stream', '-c', 'fast'], {
    timeoutMs: 30 * 60_000,
  });
  settleConfig(node);
  await startCluster(node.dataDir);
  return { method: 'base-backup', fallbackReason };
}

/** Every PostgreSQL server the sample estate runs itself (crew's run under Patroni), with its data directory. */
function postgresNodes(catalog: EstateCatalog): PostgresEndpoint[] {
  const { booking, checkin } = catalog.services;
  return [booking, checkin].flatMap((s) => (s ? [s.regions.A.postgres, s.regions.B.postgres] : []));
}

/**
 * A region's PostgreSQL server in the sample estate: the one whose data directory the settings name (booking's and
 * loyalty's pair, or checkin's), never simply booking's.
 */
export function sampleNodeOf(settings: SampleEstateSettings, catalog: EstateCatalog, region: RegionName): PostgresEndpoint {
  const dataDir = settings.dataDirs[region];
  if (!dataDir) throw providerFailure(ProviderErrorType.UnknownTarget, `the sample estate has no region "${region}"`);
  const node = postgresNodes(catalog).find((n) => n.dataDir === dataDir);
  if (!node) throw providerFailure(ProviderErrorType.UnknownTarget, `the sample estate's catalog has no PostgreSQL server with data in ${dataDir}`);
  return node;
}

/** The sample estate's catalog, where its data directories and ports are recorded. */
export function sampleCatalog(settings: SampleEstateSettings) {
  return loadCatalog(join(settings.stateDir, 'catalog.json'));
}

/**
 * Rebuilding a region's database as a standby of the current primary on this machine: the sample estate's data
 * directories, through the same PostgreSQL binaries the estate uses. A real estate rebuilds on its database hosts
 * instead (the `command` provider over SSH, or Patroni).
 */
export function createSampleEstateRebuild(settings: SampleEstateSettings, database: DatabaseProvider): RebuildProvider {
  const nodeOf = (region: RegionName) => sampleNodeOf(settings, sampleCatalog(settings), region);
  return {
    kind: 'sample-estate',
    describe: () => `sample-estate (pg_rewind or pg_basebackup in ${settings.stateDir})`,
    async probe(): Promise<ProbeResult[]> {
      try {
        const catalog = sampleCatalog(settings);
        return [{ check: 'read the sample estate catalog', ok: true, detail: `state in ${catalog.stateDir}` }];
      } catch (err) {
        return [{ check: 'read the sample estate catalog', ok: false, detail: (err as Error).message }];
      }
    },

    /**
     * Rebuilds `region` as a standby streaming from `primary`: stop it, `pg_rewind` it onto the primary's timeline, and
     * where that fails, replace it with a fresh base backup; then start it. A region that already streams from the
     * primary is left alone, so a retry after a crash finishes the job instead of redoing it.
     */
    async rebuildAsStandby(args, progress) {
      const node = nodeOf(args.region);
      const source = nodeOf(args.primary);
      const primary = await database.status(args.primary);
      if (!primary.reachable || primary.inRecovery !== false) {
        throw providerFailure(
          ProviderErrorType.Precondition,
          `region ${args.primary} is not a reachable primary (${primary.error ?? 'in recovery'}); nothing to rebuild from`,
        );
      }
      const current = await database.status(args.region);
      if (current.reachable && current.inRecovery && (await streamsOnTimelineOf(node, source))) {
        return { region: args.region, primary: args.primary, method: 'already-standby' };
      }
      const beating = setInterval(() => progress({ rebuilding: args.region }), 2_000);
      try {
        const done = await rebuild(node, source);
        for (let i = 0; i < 150; i++) {
          const after = await database.status(args.region);
          if (after.reachable && after.inRecovery) return { region: args.region, primary: args.primary, ...done };
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`region ${args.region} did not come back as a standby after ${done.method}`);
      } finally {
        clearInterval(beating);
      }
    },
  };
}
