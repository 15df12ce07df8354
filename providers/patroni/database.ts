import type { DatabaseProvider } from '../contracts/database';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { RegionName } from '../contracts/provider';
import { readReportedReplayLag, terminateSessionsOlderThanConfig } from '../postgres/sql';
import { probePatroni } from './probe';
import { patroniRegions, refuseWhilePaused, waitUntil, type PatroniRegions } from './regions';
import { isStandbyCluster, leaderOf, type DynamicConfig } from './rest';
import type { PatroniSettings } from './settings';

const FENCE = 'default_transaction_read_only';

/** How long Patroni may take to apply a configuration change: it does so on its next loop (`loop_wait`, 10 s by default). */
const applyTimeoutMs = (config: DynamicConfig) => Math.max(30, 3 * (config.loop_wait ?? 10) + 10) * 1000;

/**
 * Sets or clears the fence in the cluster's dynamic configuration, so Patroni itself writes it into postgresql.conf
 * and reloads (an ALTER SYSTEM behind Patroni's back would survive, but Patroni would not know it), then waits until
 * a new session sees it. Always patches: `GET /config` answers from Patroni's cached view of the DCS, which can lag,
 * while a PATCH reads the DCS itself and writes nothing when the value is already there.
 */
async function setFence(r: PatroniRegions, region: RegionName, on: boolean): Promise<void> {
  const config = await r.rest(region).patchConfig({ postgresql: { parameters: { [FENCE]: on ? 'on' : null } } });
  await waitUntil(`region ${region}: ${FENCE} = ${on ? 'on' : 'off'} seen by a new session`, applyTimeoutMs(config), async () => {
    const s = await r.status(region);
    return s.reachable && s.fenced === on;
  }).catch((err: Error) => {
    if (!on) {
      throw providerFailure(
        ProviderErrorType.Precondition,
        `${err.message}: the fence was not set through Patroni; clear it where it was set ` +
          `(ALTER SYSTEM RESET ${FENCE}, or Patroni's local postgresql.parameters)`,
      );
    }
    throw err;
  });
}

/**
 * A service's database as one Patroni cluster per region, the non-primary ones standby clusters of the primary
 * region's (docs/providers/patroni.md). Roles move through each cluster's dynamic configuration (`PATCH /config`), so
 * Patroni carries them out and keeps them; libpq reads WAL positions and ends sessions.
 */
export function createPatroniDatabase(settings: PatroniSettings, regions: readonly RegionName[], service: string): DatabaseProvider {
  const r = patroniRegions(settings, regions, service);

  return {
    kind: 'patroni',
    regions,
    describe: () => `patroni (${regions.map((region) => `${region} ${r.settingsOf(region).restUrl}`).join(', ')})`,
    status: r.status,

    async reportedReplayLagSeconds(primary) {
      try {
        return await r.session(primary, readReportedReplayLag);
      } catch {
        return null;
      }
    },

    async fence(region) {
      const before = await r.status(region);
      if (!before.reachable) throw new Error(before.error ?? `region ${region} unreachable`);
      if (!before.fenced) await setFence(r, region, true);
      const terminatedSessions = await r.session(region, terminateSessionsOlderThanConfig);
      return { alreadyFenced: before.fenced === true, terminatedSessions };
    },

    async unfence(region) {
      const before = await r.status(region);
      if (!before.reachable) throw new Error(before.error ?? `region ${region} unreachable`);
      if (before.fenced) await setFence(r, region, false);
      return { alreadyUnfenced: !before.fenced };
    },

    /**
     * Removes `standby_cluster` from the region's dynamic configuration: Patroni promotes the standby leader and the
     * cluster becomes a normal one. A retry after the change only waits.
     */
    async promote(region, waitSeconds) {
      const rest = r.rest(region);
      const [config, cluster, before] = await Promise.all([rest.freshConfig(), rest.cluster(), r.status(region)]);
      if (!before.reachable) throw new Error(before.error ?? `region ${region} unreachable`);
      const leader = leaderOf(cluster);
      if (!isStandbyCluster(config) && leader?.role === 'leader' && before.inRecovery === false) return { alreadyPromoted: true, lsn: before.lsn ?? '' };
      refuseWhilePaused(region, config, 'promote');
      if (!leader) throw new Error(`region ${region}: the cluster has no leader yet, so there is nothing to promote`);
      // Patched even when standby_cluster is gone already (a retry after the change): removing it twice writes nothing.
      await rest.patchConfig({ standby_cluster: null });
      let last = before;
      await waitUntil(`region ${region}: promotion by Patroni (a leader that accepts writes)`, waitSeconds * 1000, async () => {
        last = await r.status(region);
        return last.reachable && last.inRecovery === false && last.role === 'leader';
      });
      return { alreadyPromoted: false, lsn: last.lsn ?? '' };
    },

    probe: () => probePatroni(r),
  };
}
