import type { Provider, RegionName } from './provider';

/** One region's database node as a fresh session sees it. */
export interface NodeStatus {
  region: RegionName;
  reachable: boolean;
  error?: string;
  /** The HA manager's word for the region's leader, where one manages the node (Patroni: `leader`, `standby_leader`). */
  role?: string;
  inRecovery?: boolean;
  /** New transactions cannot write (`default_transaction_read_only`): the node is fenced. */
  fenced?: boolean;
  /** Primary: current WAL insert position. Standby: last replayed position. */
  lsn?: string;
  receiveLsn?: string | null;
  replayLsn?: string | null;
  lastReplayAt?: string | null;
  /** Standby: its WAL receiver streams from a primary. */
  streaming?: boolean;
  replayPaused?: boolean;
}

/**
 * A service's replicated database, one node (or HA cluster) per region, reached over the network.
 *
 * Contract:
 * - `status` never throws: an unreachable node is `reachable: false` with the reason.
 * - `fence` makes new transactions read-only and ends sessions that might still write; reads go on. Idempotent:
 *   `alreadyFenced` says it was. `unfence` undoes it, idempotently.
 * - `promote` turns the region's standby into a writable primary and returns once it accepts writes. Idempotent:
 *   a node that is already primary returns `alreadyPromoted: true`. It does not fence the other region (that is the
 *   runbook's step), but reports whether an unfenced primary still answers there.
 * - Failures a retry may cure are plain errors; a state that cannot be promoted or fenced is non-retryable.
 */
export interface DatabaseProvider extends Provider {
  readonly regions: readonly RegionName[];
  status(region: RegionName): Promise<NodeStatus>;
  /** The primary's own view of its standby's replay lag in seconds, where the system reports one. */
  reportedReplayLagSeconds?(primary: RegionName): Promise<number | null>;
  fence(region: RegionName): Promise<{ alreadyFenced: boolean; terminatedSessions: number }>;
  unfence(region: RegionName): Promise<{ alreadyUnfenced: boolean }>;
  promote(region: RegionName, waitSeconds: number): Promise<{ alreadyPromoted: boolean; lsn: string }>;
}
