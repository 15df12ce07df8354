import type { RegionName } from '../contracts/provider';
import { waitUntil, type PatroniRegions } from './regions';
import type { StandbyClusterConfig } from './rest';

/** A primary's current timeline, from the name of the WAL file it writes (its first 8 hex digits). */
export async function primaryTimeline(r: PatroniRegions, region: RegionName): Promise<number | null> {
  return r.session(region, async (c) => {
    const row = (await c.query(`SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS f`)).rows[0];
    return row?.f ? parseInt(String(row.f).slice(0, 8), 16) : null;
  });
}

/**
 * Gets an old primary off a timeline number the new primary also uses, so Patroni rewinds it.
 *
 * After an emergency failover the old primary often comes back on its own: Patroni recovers it and promotes it
 * again, onto the same next timeline the standby took when it was promoted (both 1 → 2, from different points).
 * Patroni 3.0 compares timeline numbers only, sees equal ones, runs no pg_rewind, and the demoted leader never
 * streams. Promoting it once more, fenced so nobody writes there, puts it on a higher timeline; the standby_cluster
 * set afterwards then makes Patroni run pg_rewind, which compares the histories and finds the real fork.
 */
export async function separateTimelines(
  r: PatroniRegions,
  region: RegionName,
  standby: StandbyClusterConfig,
  waitMs: number,
  progress: (detail: unknown) => void,
): Promise<void> {
  const rest = r.rest(region);
  const collided = await primaryTimeline(r, region);
  await rest.patchConfig({ postgresql: { parameters: { default_transaction_read_only: 'on' } } });
  await rest.patchConfig({ standby_cluster: standby });
  progress({ step: 'timeline collision: demoting', region, timeline: collided });
  await waitUntil(`region ${region}: demotion to standby leader`, waitMs, async () => {
    const s = await r.status(region);
    return s.reachable && s.inRecovery === true && s.role === 'standby_leader';
  });
  await rest.patchConfig({ standby_cluster: null });
  progress({ step: 'timeline collision: promoting onto a new timeline', region });
  await waitUntil(`region ${region}: promotion past timeline ${collided}`, waitMs, async () => {
    const s = await r.status(region);
    return s.reachable && s.inRecovery === false && ((await primaryTimeline(r, region).catch(() => null)) ?? 0) > (collided ?? 0);
  });
}
