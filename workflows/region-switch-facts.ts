import type { BookingHealth } from '../activities/booking';
import type { ReplicationStatus } from '../activities/database';
import type { LoadLoss } from '../activities/region-switch';
import type { Region } from '../runbooks/region-switch';

/** The data at risk before a switch, as the approvers see it in status. */
export interface DataAtRisk {
  sourceServiceAnswers: boolean;
  sourceDatabaseAnswers: boolean;
  /** Null when the lag cannot be measured (the source is down). */
  lagBytes: number | null;
  lagSeconds: number | null;
  standbyReplayLsn: string | null;
}

/** What a finished switch returns: the figures a post-incident review asks for first. */
export interface SwitchResult {
  service: string;
  /** Every service the switch moved: the service and those sharing its database (its failover group). */
  services: string[];
  mode: 'planned' | 'emergency';
  source: Region;
  target: Region;
  incidentId?: string;
  rto: { fromStartSeconds: number; fromApprovalSeconds: number; fromDetectionSeconds?: number };
  /** `stateless`: the service keeps no data, so nothing could be lost (and nothing was measured). */
  rpo: { bytes: number | null; seconds: number | null; lostAcknowledgedBookings: number | null; stateless?: true };
  /** When clients could not book: from draining the source to traffic pointing at the target. */
  switchWindow: { from: string; to: string; ms: number };
  stepTimings: { step: string; durationMs: number | null }[];
}

/** An LSN like `0/3000148` as bytes (the workflow cannot import the adapter, which needs `pg`). */
export function lsnBytes(lsn: string): number {
  const [hi, lo] = lsn.split('/');
  return parseInt(hi ?? '0', 16) * 2 ** 32 + parseInt(lo ?? '0', 16);
}

/** The assessment of a service that keeps no data: only whether the source answers. */
export interface NoDataAtRisk {
  sourceServiceAnswers: boolean;
  stateless: true;
  reason: string;
}

export function dataAtRisk(replication: ReplicationStatus, sourceService: BookingHealth, source: Region, target: Region): DataAtRisk {
  const standby = replication.nodes[target];
  const paired = replication.primary === source && replication.standby === target;
  return {
    sourceServiceAnswers: sourceService.reachable,
    sourceDatabaseAnswers: replication.nodes[source]?.reachable ?? false,
    lagBytes: paired ? replication.lagBytes : null,
    lagSeconds: paired ? replication.lagSeconds : null,
    standbyReplayLsn: standby?.replayLsn ?? null,
  };
}

/** Why a planned switch must not go ahead, or undefined: it needs a healthy source and a lag within budget. */
export function plannedRefusal(risk: DataAtRisk, budget: { bytes: number; seconds: number }): string | undefined {
  if (!risk.sourceDatabaseAnswers || risk.lagBytes === null) {
    return 'the source database does not answer, so nothing can be fenced and caught up; use mode=emergency';
  }
  if (risk.lagBytes > budget.bytes || (risk.lagSeconds ?? 0) > budget.seconds) {
    return `replication lag ${risk.lagBytes} bytes / ${(risk.lagSeconds ?? 0).toFixed(1)} s is over the RPO budget of ${budget.bytes} bytes / ${budget.seconds} s; wait for the standby to catch up and start again, or raise the budget`;
  }
  return undefined;
}

/**
 * The RPO of an emergency switch: WAL the source wrote beyond what the standby received (known only where the source
 * answered and was fenced), and the lost acknowledged bookings with the time they span, where the load counter runs.
 */
export function emergencyRpo(
  sourceFinalLsn: string | undefined,
  standbyLsn: string | null,
  standbyLastReplayAt: string | null,
  loss: LoadLoss | undefined,
): SwitchResult['rpo'] {
  const bytes = sourceFinalLsn && standbyLsn ? Math.max(0, lsnBytes(sourceFinalLsn) - lsnBytes(standbyLsn)) : null;
  const lost = loss?.present ? loss.lost : null;
  let seconds: number | null = null;
  if (lost === 0 || bytes === 0) seconds = 0;
  else if (lost !== null && loss?.present && loss.lastAcknowledgedAt && standbyLastReplayAt) {
    seconds = Math.max(0, (Date.parse(loss.lastAcknowledgedAt) - Date.parse(standbyLastReplayAt)) / 1000);
  }
  return { bytes, seconds, lostAcknowledgedBookings: lost };
}

/**
 * What resolveRegions says about the services a switch moves. Both fields are absent from the results recorded
 * before services shared a database or kept none, and such a run takes the one-service, stateful path.
 */
export interface SwitchScope {
  /** Every service the switch moves, sorted; absent where resolveRegions did not say. */
  group: string[] | undefined;
  /** The service keeps no data (traffic and modes only): no fence, catch-up, promotion or rebuild. */
  stateless: boolean;
}

export function scopeOf(regions: object): SwitchScope {
  const { group, stateless } = regions as { group?: unknown; stateless?: unknown };
  return {
    group: Array.isArray(group) && group.every((g) => typeof g === 'string') ? (group as string[]) : undefined,
    stateless: stateless === true,
  };
}

/** Why a stateless service's data steps do not run, in the words status, the audit trail and the notice use. */
export const keepsNoData = (service: string): string => `${service} keeps no data`;

/** The RPO of a switch of a service that keeps no data: nothing to lose. */
export function statelessRpo(): SwitchResult['rpo'] {
  return { bytes: 0, seconds: 0, lostAcknowledgedBookings: 0, stateless: true };
}

/** The services in words: `booking`, `booking and loyalty`, `booking, checkin and loyalty`. */
export function serviceNames(services: readonly string[]): string {
  if (services.length <= 1) return services.join('');
  return `${services.slice(0, -1).join(', ')} and ${services.at(-1)}`;
}
