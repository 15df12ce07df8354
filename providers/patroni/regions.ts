import type { Client } from 'pg';
import type { NodeStatus } from '../contracts/database';
import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { RegionName } from '../contracts/provider';
// The libpq side is the postgres provider's: one session helper and the same status query for both providers.
import { readNodeStatus, withSession } from '../postgres/sql';
import type { PostgresAddress } from '../targets/fields';
import { leaderOf, PatroniRest, type DynamicConfig } from './rest';
import type { PatroniRegion, PatroniSettings } from './settings';

/** What a standby's WAL receiver reports: whom it streams from, and on which timeline. */
export interface WalReceiver {
  status: string;
  senderHost: string | null;
  senderPort: number | null;
  timeline: number | null;
}

/** A region's Patroni cluster as both providers reach it: REST for roles and configuration, libpq for the data. */
export interface PatroniRegions {
  readonly regions: readonly RegionName[];
  settingsOf(region: RegionName): PatroniRegion;
  rest(region: RegionName): PatroniRest;
  /** Where other regions' standby clusters stream from while `region` is primary. */
  replicationAddress(region: RegionName): { host: string; port: number };
  session<T>(region: RegionName, fn: (c: Client) => Promise<T>): Promise<T>;
  /** Never throws: libpq decides `reachable`; the REST API adds the leader's role, or says in `error` why it could not. */
  status(region: RegionName): Promise<NodeStatus>;
  walReceiver(region: RegionName): Promise<WalReceiver | null>;
}

/** `service` is the targets file's name for it, so a message can point at its section: `services.<service>.database`. */
export function patroniRegions(settings: PatroniSettings, regions: readonly RegionName[], service: string): PatroniRegions {
  const settingsOf = (region: RegionName): PatroniRegion => {
    const r = settings.regions[region];
    if (!r) throw providerFailure(ProviderErrorType.UnknownTarget, `no Patroni cluster for region "${region}"; the regions are ${regions.join(', ')}`);
    return r;
  };
  const rests = new Map<RegionName, PatroniRest>();
  const rest = (region: RegionName) =>
    rests.get(region) ?? rests.set(region, new PatroniRest(region, settingsOf(region), settings.timeoutMs, `services.${service}.database`)).get(region)!;
  const address = (region: RegionName): PostgresAddress => settingsOf(region).postgres;
  const session = <T>(region: RegionName, fn: (c: Client) => Promise<T>) => withSession(address(region), settings.timeoutMs, fn, `of region ${region}`);

  async function status(region: RegionName): Promise<NodeStatus> {
    const [db, cluster] = await Promise.allSettled([session(region, (c) => readNodeStatus(c, region)), rest(region).cluster()]);
    const role = cluster.status === 'fulfilled' ? (leaderOf(cluster.value)?.role ?? 'no leader') : undefined;
    const restError = cluster.status === 'rejected' ? (cluster.reason as Error).message : undefined;
    if (db.status === 'rejected') {
      const error = [(db.reason as Error).message, restError].filter(Boolean).join('; ');
      return { region, reachable: false, error, ...(role ? { role } : {}) };
    }
    return { ...db.value, ...(role ? { role } : {}), ...(restError ? { error: restError } : {}) };
  }

  return {
    regions,
    settingsOf,
    rest,
    replicationAddress: (region) => settingsOf(region).replication ?? { host: address(region).host, port: address(region).port },
    session,
    status,
    async walReceiver(region) {
      return session(region, async (c) => {
        const r = await c.query(`SELECT status, sender_host, sender_port, received_tli FROM pg_stat_wal_receiver`);
        const row = r.rows[0];
        return row ? { status: row.status, senderHost: row.sender_host, senderPort: row.sender_port, timeline: row.received_tli } : null;
      });
    },
  };
}

/** Polls `check` every 250 ms until it holds; a plain (retryable) error naming `what` when it does not in time. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, onPoll?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${Math.round(timeoutMs / 1000)} s`);
    onPoll?.();
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Patroni in maintenance mode changes no roles: a promote or rebuild would wait for nothing. */
export function refuseWhilePaused(region: RegionName, config: DynamicConfig, action: string): void {
  if (config.pause) {
    throw providerFailure(
      ProviderErrorType.Precondition,
      `region ${region}: Patroni is paused (maintenance mode) and will not ${action}; run "patronictl resume" first`,
    );
  }
}
