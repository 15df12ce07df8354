import type { Provider, RegionName } from './provider';

/** How a region became a standby again. */
export interface RebuildResult {
  region: RegionName;
  primary: RegionName;
  /** `already-standby` when nothing needed doing; otherwise the provider's method (`pg_rewind`, `base-backup`, `patroni-standby-cluster`, `command`). */
  method: string;
  /** Why a cheaper method could not be used, when the rebuild fell back to a more expensive one. */
  fallbackReason?: string;
}

/**
 * Turns a region's old primary into a standby of the current primary: the first half of a failback, and the
 * reprotect step after it. This acts on the database's host (pg_rewind, a base backup, Patroni's standby-cluster
 * configuration), which is why it is a capability of its own and not part of the SQL-level database provider.
 *
 * Contract: idempotent. A region that already streams from `primary` is left alone (`already-standby`), so a retry
 * after a worker crash finishes the job instead of redoing it. Long work heartbeats through the `progress` callback.
 */
export interface RebuildProvider extends Provider {
  rebuildAsStandby(args: { region: RegionName; primary: RegionName }, progress: (detail: unknown) => void): Promise<RebuildResult>;
}
