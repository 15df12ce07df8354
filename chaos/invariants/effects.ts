import { Client } from 'pg';
import type { EstateCatalog, RegionName } from '../../estate/catalog';
import { databasePairs, type DatabasePair } from './primaries';

/**
 * Counters of the actions a run must not take twice, read from the systems themselves (never from the run): each
 * database's timeline (a promotion starts a new one) and each production fleet host's reboots. Taken before a run and
 * after it, the difference is what the run did to the world.
 */
export interface EffectCounts {
  /** Per database (named by the service that owns it), the newest timeline any of its nodes knows; null when no node answered. */
  timelines: Record<string, number | null>;
  /** Reboots per production fleet host that has any (the fleet's own counter); null when the fleet API did not answer. */
  reboots: Record<string, number> | null;
}

/** Reads {@link EffectCounts}; never throws (what cannot be read is null, and the check passes over it). */
export async function countEffects(catalog: EstateCatalog): Promise<EffectCounts> {
  const pairs = databasePairs(catalog);
  const [timelines, reboots] = await Promise.all([
    Promise.all(pairs.map(async (pair) => [pair.name, await newestTimeline(pair)] as const)),
    fleetReboots(catalog),
  ]);
  return { timelines: Object.fromEntries(timelines), reboots };
}

/**
 * The newest timeline of a database: each promotion writes a timeline history file (`00000002.history`) on the node
 * it promotes, which standbys that follow it receive too. No history file at all is timeline 1.
 */
async function newestTimeline(pair: DatabasePair): Promise<number | null> {
  const seen = await Promise.all((['A', 'B'] as RegionName[]).map((r) => historyFiles(pair.regions[r])));
  const answered = seen.filter((names): names is string[] => names !== null);
  if (answered.length === 0) return null;
  return Math.max(1, ...answered.flat().map((name) => parseInt(name.slice(0, 8), 16)));
}

async function historyFiles(node: DatabasePair['regions'][RegionName]): Promise<string[] | null> {
  const client = new Client({ ...node, connectionTimeoutMillis: 3_000, statement_timeout: 3_000, query_timeout: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM pg_ls_waldir() WHERE name LIKE '%.history'`);
    return rows.map((r) => r.name);
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The fleet API's per-host counters (`GET /counters` lists the hosts with any action taken), production hosts only. */
async function fleetReboots(catalog: EstateCatalog): Promise<Record<string, number> | null> {
  try {
    const res = await fetch(new URL('/counters', catalog.fleet.url), { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) return null;
    const body = (await res.json()) as { hosts: { hostId: string; reboots: number }[] };
    return Object.fromEntries(body.hosts.filter((h) => h.reboots > 0).map((h) => [h.hostId, h.reboots]));
  } catch {
    return null;
  }
}
