import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { DatabaseProvider, NodeStatus } from '../contracts/database';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { PostgresAddress } from '../targets/fields';
import type { PostgresSettings } from './settings';
import { readNodeStatus, readReportedReplayLag, terminateSessionsOlderThanConfig, withSession } from './sql';

/**
 * A PostgreSQL streaming-replication pair reached over libpq only, wherever its hosts are: status and lag from the
 * statistics views, fencing with `default_transaction_read_only` (ALTER SYSTEM, so it survives a restart) and
 * promotion with `pg_promote()`.
 */
export function createPostgresDatabase(settings: PostgresSettings, regions: readonly RegionName[]): DatabaseProvider {
  const timeoutMs = settings.timeoutMs;
  const addressOf = (region: RegionName): PostgresAddress => {
    const a = settings.regions[region];
    if (!a) throw providerFailure(ProviderErrorType.UnknownTarget, `no PostgreSQL node for region "${region}"; the regions are ${regions.join(', ')}`);
    return a;
  };
  const session = <T>(region: RegionName, fn: Parameters<typeof withSession<T>>[2]) => withSession(addressOf(region), timeoutMs, fn, `of region ${region}`);

  async function status(region: RegionName): Promise<NodeStatus> {
    try {
      return await session(region, (c) => readNodeStatus(c, region));
    } catch (err) {
      return { region, reachable: false, error: (err as Error).message };
    }
  }

  async function setReadOnly(region: RegionName, on: boolean): Promise<void> {
    await session(region, async (c) => {
      await c.query(on ? 'ALTER SYSTEM SET default_transaction_read_only = on' : 'ALTER SYSTEM RESET default_transaction_read_only');
      await c.query('SELECT pg_reload_conf()');
    });
    // The reload is asynchronous: wait until a new session sees the new setting.
    for (let i = 0; i < 100; i++) {
      const s = await status(region);
      if (s.reachable && s.fenced === on) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`region ${region}: default_transaction_read_only did not become ${on ? 'on' : 'off'} after a reload`);
  }

  return {
    kind: 'postgres',
    regions,
    describe: () => `postgres (${regions.map((r) => `${r} ${addressOf(r).host}:${addressOf(r).port}`).join(', ')})`,
    status,

    async reportedReplayLagSeconds(primary) {
      try {
        return await session(primary, readReportedReplayLag);
      } catch {
        return null;
      }
    },

    async fence(region) {
      const before = await status(region);
      if (!before.reachable) throw new Error(before.error ?? `region ${region} unreachable`);
      if (!before.fenced) await setReadOnly(region, true);
      const terminatedSessions = await session(region, terminateSessionsOlderThanConfig);
      return { alreadyFenced: before.fenced === true, terminatedSessions };
    },

    async unfence(region) {
      const before = await status(region);
      if (!before.reachable) throw new Error(before.error ?? `region ${region} unreachable`);
      if (before.fenced) await setReadOnly(region, false);
      return { alreadyUnfenced: !before.fenced };
    },

    async promote(region, waitSeconds) {
      const before = await status(region);
      if (!before.reachable) throw new Error(before.error ?? `region ${region} unreachable`);
      if (before.inRecovery === false) return { alreadyPromoted: true, lsn: before.lsn ?? '' };
      const ok = await session(region, async (c) => (await c.query('SELECT pg_promote(true, $1) AS ok', [waitSeconds])).rows[0].ok as boolean);
      const after = await status(region);
      if (!ok || after.inRecovery !== false) throw new Error(`region ${region} did not finish promotion within ${waitSeconds} s`);
      return { alreadyPromoted: false, lsn: after.lsn ?? '' };
    },

    async probe(): Promise<ProbeResult[]> {
      const nodes = await Promise.all(regions.map(status));
      const results: ProbeResult[] = nodes.map((n) => {
        const a = addressOf(n.region);
        if (!n.reachable) return { check: `region ${n.region}: log in to ${a.host}:${a.port} as ${a.user}`, ok: false, detail: n.error ?? 'unreachable' };
        const role = n.inRecovery ? `standby${n.streaming ? ', streaming' : ', not streaming'}` : 'primary';
        return {
          check: `region ${n.region}: log in to ${a.host}:${a.port} as ${a.user}`,
          ok: true,
          detail: `${role}${n.fenced ? ', fenced' : ''}, at ${n.lsn}`,
        };
      });
      const primaries = nodes.filter((n) => n.reachable && n.inRecovery === false && !n.fenced).length;
      results.push({
        check: 'one writable primary',
        ok: primaries === 1,
        detail: `${primaries} unfenced primar${primaries === 1 ? 'y' : 'ies'} among ${regions.length} regions`,
      });
      return results;
    },
  };
}
