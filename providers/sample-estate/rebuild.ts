import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadCatalog, type PostgresEndpoint } from '../../estate/catalog';
import { makePgDir, pgExec, startCluster, stopCluster } from '../../estate/postgres-cluster';
import type { DatabaseProvider } from '../contracts/database';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { RebuildProvider, RebuildResult } from '../contracts/rebuild';
import type { SampleEstateSettings } from './settings';

const conninfo = (p: PostgresEndpoint) => `host=${p.host} port=${p.port} user=${p.user} dbname=${p.database}`;

/** The port the standby's own upstream connection uses, or null when it is not streaming. */
async function upstreamPort(p: PostgresEndpoint): Promise<number | null> {
  const client = new Client({ host: p.host, port: p.port, user: p.user, database: p.database, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query(`SELECT sender_port FROM pg_stat_wal_receiver WHERE status = 'streaming'`);
    return r.rows[0]?.sender_port ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
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

/** Stops the node, rewinds it onto the primary's timeline or else replaces it with a base backup, and starts it. */
async function rebuild(node: PostgresEndpoint, source: PostgresEndpoint): Promise<Pick<RebuildResult, 'method' | 'fallbackReason'>> {
  await stopCluster(node.dataDir, 'fast').catch(() => stopCluster(node.dataDir, 'immediate'));
  try {
    await pgExec('pg_rewind', ['--target-pgdata', node.dataDir, '--source-server', conninfo(source), '--write-recovery-conf'], { timeoutMs: 20 * 60_000 });
    settleConfig(node);
    await startCluster(node.dataDir);
    return { method: 'pg_rewind' };
  } catch (err) {
    const fallbackReason = (err as Error).message.slice(0, 500);
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
  const nodeOf = (region: RegionName): PostgresEndpoint => {
    const regions = sampleCatalog(settings).services.booking.regions as Record<string, { postgres: PostgresEndpoint }>;
    const node = regions[region]?.postgres;
    if (!node) throw providerFailure(ProviderErrorType.UnknownTarget, `the sample estate has no region "${region}"`);
    return node;
  };
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
      if (current.reachable && current.inRecovery && (await upstreamPort(node)) === source.port) {
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
