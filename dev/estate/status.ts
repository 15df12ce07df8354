import type { BookingHealth } from '../../activities/booking';
import type { ReplicationStatus } from '../../activities/database';
import { estateAdapters } from './adapters';
import type { EstateCatalog, RegionName } from '../../estate/catalog';
import { ESTATE_SERVICES } from '../../estate/services';
import { sampleTargets } from '../../providers/sample-estate/targets';
import { groupOf } from '../../providers/targets/groups';

const REGIONS = ['A', 'B'] as const;

/** One service at a glance: where its clients go, each region's health and mode, and its database's replication. */
export interface ServiceStatus {
  service: string;
  /** The region the traffic provider sends clients to; `unavailable` when it cannot be asked (no load balancer). */
  active: RegionName | null | 'unavailable';
  regions: Record<RegionName, BookingHealth>;
  /** `null` for a stateless service (flight-status keeps no data). */
  replication: Pick<ReplicationStatus, 'nodes' | 'primary' | 'standby' | 'lagBytes' | 'lagSeconds'> | null;
  /** The service whose database cluster this one shares (loyalty: booking), if any. */
  sharesDatabaseWith?: string;
}

/** The estate at a glance, gathered through the same adapters the runbooks use. */
export interface EstateStatus {
  services: ServiceStatus[];
  fleet: { total: number; healthy: number; crashed: number; unreachable: number; handsOnBroken: number } | null;
  /** No problem below: every service and database reachable, a streaming standby with known lag, every fleet host healthy. */
  healthy: boolean;
  /** What keeps the estate from being healthy, one short phrase each, such as "checkin A down". */
  problems: string[];
}

/**
 * What is wrong with the estate, in the order the table shows it. A fleet with crashed hosts is an outage of its own (the July 2024
 * case), even while every service and its databases are fine, so it counts as much as a region that is down.
 */
export function estateProblems(s: Pick<EstateStatus, 'services' | 'fleet'>): string[] {
  const problems: string[] = [];
  for (const svc of s.services) {
    for (const r of REGIONS) {
      const h = svc.regions[r];
      if (!h.reachable) problems.push(`${svc.service} ${r} down`);
      else if (h.status !== 'ok') problems.push(`${svc.service} ${r} ${h.status}`);
    }
    const rep = svc.replication;
    if (!rep || svc.sharesDatabaseWith) continue;
    for (const r of REGIONS) if (!rep.nodes[r]?.reachable) problems.push(`${svc.service} database ${r} down`);
    if (rep.primary === null) problems.push(`${svc.service}: no primary database`);
    if (rep.standby === null) problems.push(`${svc.service}: no streaming standby`);
    else if (rep.primary !== null && rep.lagBytes === null) problems.push(`${svc.service}: replication lag unknown`);
  }
  const f = s.fleet;
  if (!f) problems.push('fleet API down');
  else {
    if (f.crashed > 0) problems.push(`${f.crashed} of ${f.total} fleet hosts crashed`);
    if (f.unreachable > 0) problems.push(`${f.unreachable} of ${f.total} fleet hosts unreachable`);
  }
  return problems;
}

/** The one-line verdict: `healthy`, or `degraded: ` and the problems. */
export function overallVerdict(problems: string[]): string {
  return problems.length ? `degraded: ${problems.join('; ')}` : 'healthy';
}

export async function estateStatus(catalog: EstateCatalog): Promise<EstateStatus> {
  const adapters = estateAdapters(catalog);
  const targets = sampleTargets(catalog);
  const names = ESTATE_SERVICES.filter((s) => catalog.services[s]);
  // Loyalty's database names booking's servers: its row says it shares booking's rather than repeating the lag.
  const order: readonly string[] = names;
  const sharedWith = (service: string) => groupOf(targets, service).find((s) => s !== service && order.indexOf(s) < order.indexOf(service));
  const services = await Promise.all(
    names.map(async (service): Promise<ServiceStatus> => {
      const stateless = targets.services[service]?.stateless === true;
      const [A, B, replication, active] = await Promise.all([
        adapters.health({ service, region: 'A' }),
        adapters.health({ service, region: 'B' }),
        stateless ? Promise.resolve(null) : adapters.replicationStatus({ service }),
        adapters
          .activeBackend({ service })
          .then((a): ServiceStatus['active'] => (a.region === 'A' || a.region === 'B' ? a.region : null))
          .catch(() => 'unavailable' as const),
      ]);
      const shares = sharedWith(service);
      return { service, active, regions: { A, B }, replication, ...(shares ? { sharesDatabaseWith: shares } : {}) };
    }),
  );
  const fleetSummary = await adapters.fleetSummary().catch(() => null);
  const parts = { services, fleet: fleetSummary && { total: fleetSummary.total, ...fleetSummary.byHealth, handsOnBroken: fleetSummary.handsOnBroken } };
  const problems = estateProblems(parts);
  return { ...parts, healthy: problems.length === 0, problems };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One region of one service in words: `ok, normal, primary`, `down`, `degraded (booking unreachable), normal, standby`. */
function regionCell(s: ServiceStatus, r: RegionName): string {
  const h = s.regions[r];
  if (!h.reachable) return 'down';
  const node = s.replication?.nodes[r];
  const role = !s.replication ? '' : !node?.reachable ? ', db down' : `, ${node.inRecovery ? 'standby' : 'primary'}${node.fenced ? ' (fenced)' : ''}`;
  return `${h.status}, ${h.mode ?? '?'}${role}`;
}

function lagCell(s: ServiceStatus): string {
  if (!s.replication) return 'no data (stateless)';
  if (s.sharesDatabaseWith) return `shares ${s.sharesDatabaseWith}'s`;
  const { lagBytes, lagSeconds } = s.replication;
  if (lagBytes === null) return 'unknown';
  return `${lagBytes} B, ${lagSeconds === null ? '? s' : `${lagSeconds.toFixed(3)} s`}`;
}

/** The `estate status` table: a row per service, then the fleet and the verdict. */
export function formatStatus(s: EstateStatus): string {
  const rows = s.services.map((svc) => [
    svc.service,
    svc.active === 'unavailable' ? 'unavailable' : (svc.active ?? 'unknown'),
    regionCell(svc, 'A'),
    regionCell(svc, 'B'),
    lagCell(svc),
  ]);
  const f = s.fleet;
  return [
    table([['SERVICE', 'ACTIVE', 'REGION A', 'REGION B', 'REPLICATION LAG'], ...rows]),
    '',
    `fleet:           ${f ? `${f.total} hosts: ${f.healthy} healthy, ${f.crashed} crashed, ${f.unreachable} unreachable (${f.handsOnBroken} need hands-on repair)` : 'down'}`,
    `overall:         ${overallVerdict(s.problems)}`,
  ].join('\n');
}
