import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { RegionName } from '../contracts/provider';
import type { RebuildProvider } from '../contracts/rebuild';
import { probePatroni } from './probe';
import { patroniRegions, refuseWhilePaused, waitUntil, type PatroniRegions } from './regions';
import { isStandbyCluster, leaderOf, type PatroniMember, type StandbyClusterConfig } from './rest';
import type { PatroniSettings } from './settings';
import { primaryTimeline, separateTimelines } from './timeline';

/**
 * Whether the region's leader streams from `source` now: in recovery, its WAL receiver streaming from that address,
 * and Patroni reporting its standby leader `running` (it says `starting` for a while after a pg_rewind).
 */
async function streamsFrom(r: PatroniRegions, region: RegionName, source: { host: string; port: number }): Promise<boolean> {
  const [node, receiver, cluster] = await Promise.all([
    r.status(region),
    r.walReceiver(region).catch(() => null),
    r
      .rest(region)
      .cluster()
      .catch(() => null),
  ]);
  const leader = cluster && leaderOf(cluster);
  return (
    node.reachable &&
    node.inRecovery === true &&
    leader?.role === 'standby_leader' &&
    leader.state === 'running' &&
    receiver?.status === 'streaming' &&
    receiver.senderHost === source.host &&
    receiver.senderPort === source.port
  );
}

/**
 * Turns an old primary's cluster into a standby cluster of the current primary region: `standby_cluster` (the
 * primary's replication address) goes into its dynamic configuration, and Patroni demotes its leader and makes it
 * follow. Patroni 3.0 rewinds a diverged leader with pg_rewind when `use_pg_rewind` is on, except when both sides
 * were promoted onto the same timeline number (see `separateTimelines`). It never reinitialises a standby leader by
 * itself, so a rebuild that does not converge stops with what Patroni reports and the way out.
 */
export function createPatroniRebuild(settings: PatroniSettings, regions: readonly RegionName[], service: string): RebuildProvider {
  const r = patroniRegions(settings, regions, service);

  return {
    kind: 'patroni',
    describe: () => `patroni standby clusters (${regions.map((region) => `${region} ${r.settingsOf(region).restUrl}`).join(', ')})`,
    probe: () => probePatroni(r),

    async rebuildAsStandby({ region, primary }, progress) {
      if (region === primary) throw providerFailure(ProviderErrorType.InvalidInput, `cannot rebuild region ${region} as a standby of itself`);
      const source = r.replicationAddress(primary);
      const current = await r.status(primary);
      if (!current.reachable) throw new Error(current.error ?? `region ${primary} unreachable`);
      if (current.inRecovery !== false || current.role !== 'leader') {
        throw providerFailure(
          ProviderErrorType.Precondition,
          `region ${primary} is not a primary cluster (${current.role ?? 'role unknown'}); promote it before rebuilding ${region}`,
        );
      }
      const rest = r.rest(region);
      const config = await rest.freshConfig();
      const sc = config.standby_cluster;
      const pointed = isStandbyCluster(config) && sc?.host === source.host && Number(sc.port) === source.port;
      if (pointed && (await streamsFrom(r, region, source))) return { region, primary, method: 'already-standby' };
      refuseWhilePaused(region, config, 'demote its leader');
      const standby: StandbyClusterConfig = { host: source.host, port: source.port, create_replica_methods: ['basebackup'] };
      const [timeline, primaryTl] = await Promise.all([primaryTimeline(r, region).catch(() => null), primaryTimeline(r, primary)]);
      const collided = timeline !== null && timeline === primaryTl;
      if (collided) await separateTimelines(r, region, standby, 120_000, progress);
      // Patched even when it is already there: the same value writes nothing, and a retry finishes what an attempt began.
      await rest.patchConfig({ standby_cluster: standby });
      progress({ step: 'standby_cluster set', region, follows: `${source.host}:${source.port}` });
      let member: PatroniMember | undefined;
      let lastReport = 0;
      try {
        await waitUntil(`region ${region} streaming from ${primary} (${source.host}:${source.port})`, settings.rebuildTimeoutSeconds * 1000, async () => {
          member = await rest.member().catch(() => member);
          if (Date.now() - lastReport > 5_000) {
            lastReport = Date.now();
            progress({ step: 'waiting for Patroni', region, role: member?.role, state: member?.state });
          }
          return streamsFrom(r, region, source);
        });
      } catch (err) {
        const cluster = await rest.cluster().catch(() => undefined);
        const leader = cluster && leaderOf(cluster);
        const seen = `Patroni reports ${leader ? `${leader.name} as ${leader.role}, ${leader.state}` : `role ${member?.role ?? '?'}, ${member?.state ?? '?'}`}`;
        if (member?.state === 'creating replica') throw new Error(`${(err as Error).message}; ${seen}: a base backup is still running`);
        const rewind = config.postgresql?.use_pg_rewind ? 'pg_rewind failed' : 'use_pg_rewind is off';
        throw providerFailure(
          ProviderErrorType.Precondition,
          `${(err as Error).message}; ${seen}. If its history diverged from ${primary}'s and ${rewind}, Patroni will not ` +
            `reinitialise a standby leader by itself: stop Patroni on ${region}'s leader, replace its data directory with ` +
            `pg_basebackup -h ${source.host} -p ${source.port} -X stream (as the PostgreSQL user, with the replication user), ` +
            `start Patroni again (it follows ${primary} once ${primary} writes WAL), then retry`,
        );
      }
      const fallbackReason =
        `${region} and ${primary} had both been promoted onto timeline ${timeline}, which Patroni 3.0 does not rewind; ` +
        `${region} was promoted once more, fenced, then rewound`;
      return { region, primary, method: 'patroni-standby-cluster', ...(collided ? { fallbackReason } : {}) };
    },
  };
}
