import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import { makePgDir, pgExec, startCluster, stopCluster } from '../estate/postgres-cluster';
import { EstateErrorType, heartbeat, loadCatalog, type PostgresEndpoint, type RegionName } from './catalog';
import { createPostgresActivities, postgresDepsFromCatalog } from './postgres';

/** How a region became a standby again. */
export interface RebuildResult {
  region: RegionName;
  primary: RegionName;
  method: 'already-standby' | 'pg_rewind' | 'base-backup';
  /** Why pg_rewind could not be used, when the rebuild fell back to a base backup. */
  rewindError?: string;
}

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
    const kept = readFileSync(auto, 'utf8').split('\n').filter((l) => !/^\s*default_transaction_read_only\s*=/.test(l));
    writeFileSync(auto, kept.join('\n'));
  }
  appendFileSync(join(node.dataDir, 'postgresql.conf'), `\n# lifeboat: rebuilt as a standby\nport = ${node.port}\n`);
  if (!existsSync(join(node.dataDir, 'standby.signal'))) writeFileSync(join(node.dataDir, 'standby.signal'), '');
}

/** Stops the node, rewinds it onto the primary's timeline or else replaces it with a base backup, and starts it. */
async function rebuild(node: PostgresEndpoint, source: PostgresEndpoint): Promise<Pick<RebuildResult, 'method' | 'rewindError'>> {
  await stopCluster(node.dataDir, 'fast').catch(() => stopCluster(node.dataDir, 'immediate'));
  try {
    await pgExec('pg_rewind', ['--target-pgdata', node.dataDir, '--source-server', conninfo(source), '--write-recovery-conf'], { timeoutMs: 20 * 60_000 });
    settleConfig(node);
    await startCluster(node.dataDir);
    return { method: 'pg_rewind' };
  } catch (err) {
    const rewindError = (err as Error).message.slice(0, 500);
    await stopCluster(node.dataDir, 'immediate').catch(() => undefined);
    rmSync(node.dataDir, { recursive: true, force: true });
    makePgDir(node.dataDir);
    await pgExec('pg_basebackup', ['-h', source.host, '-p', String(source.port), '-U', source.user, '-D', node.dataDir, '-R', '-X', 'stream', '-c', 'fast'], { timeoutMs: 30 * 60_000 });
    settleConfig(node);
    await startCluster(node.dataDir);
    return { method: 'base-backup', rewindError };
  }
}

/**
 * Rebuilding a region's database as a standby of the current primary: the first half of a failback. This acts on the
 * database host (here the estate's data dirs, through the same PostgreSQL binaries the estate uses), so it is a
 * runbook activity rather than a SQL adapter.
 */
export function createStandbyRebuildActivities(opts: { catalogPath: string }) {
  return {
    /**
     * Rebuilds `region` as a standby streaming from `primary`: stop it, `pg_rewind` it onto the primary's timeline, and
     * where that fails, replace it with a fresh base backup; then start it. A region that already streams from the
     * primary is left alone, so a retry after a crash finishes the job instead of redoing it.
     */
    async rebuildStandby(args: { region: RegionName; primary: RegionName }): Promise<RebuildResult> {
      const catalog = loadCatalog(opts.catalogPath);
      const regions = catalog.services.booking.regions;
      const node = regions[args.region].postgres;
      const source = regions[args.primary].postgres;
      const pg = createPostgresActivities(postgresDepsFromCatalog(catalog));
      const primary = await pg.nodeStatus({ region: args.primary });
      if (!primary.reachable || primary.inRecovery !== false) {
        throw ApplicationFailure.nonRetryable(`region ${args.primary} is not a reachable primary (${primary.error ?? 'in recovery'}); nothing to rebuild from`, EstateErrorType.Precondition);
      }
      const current = await pg.nodeStatus({ region: args.region });
      if (current.reachable && current.inRecovery && (await upstreamPort(node)) === source.port) {
        return { region: args.region, primary: args.primary, method: 'already-standby' };
      }
      const beating = setInterval(() => heartbeat({ rebuilding: args.region }), 2_000);
      try {
        const done = await rebuild(node, source);
        for (let i = 0; i < 150; i++) {
          const after = await pg.nodeStatus({ region: args.region });
          if (after.reachable && after.inRecovery) return { region: args.region, primary: args.primary, ...done };
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`region ${args.region} did not come back as a standby after ${done.method}`);
      } finally {
        clearInterval(beating);
      }
    },

    /**
     * Waits until `region` streams from the primary with at most `maxLagBytes` to replay, heartbeating; retryable on
     * timeout, so the kit's retries and an operator can give it more time.
     */
    async waitForStandby(args: { region: RegionName; maxLagBytes: number; timeoutMs: number }): Promise<{ region: RegionName; lagBytes: number }> {
      const pg = createPostgresActivities(postgresDepsFromCatalog(loadCatalog(opts.catalogPath)));
      const deadline = Date.now() + args.timeoutMs;
      let last = 'not checked yet';
      while (Date.now() < deadline) {
        const r = await pg.replicationStatus();
        if (r.standby === args.region && r.nodes[args.region].streaming && r.lagBytes !== null && r.lagBytes <= args.maxLagBytes) {
          return { region: args.region, lagBytes: r.lagBytes };
        }
        last = `standby ${r.standby ?? 'none'}, streaming ${r.nodes[args.region].streaming ?? false}, lag ${r.lagBytes ?? 'unknown'} bytes`;
        heartbeat({ last });
        await new Promise((res) => setTimeout(res, 250));
      }
      throw new Error(`region ${args.region} has not caught up within ${args.timeoutMs} ms (${last})`);
    },
  };
}

export type StandbyRebuildActivities = ReturnType<typeof createStandbyRebuildActivities>;
