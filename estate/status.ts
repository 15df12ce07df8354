import type { EstateCatalog, RegionName } from '../activities/catalog';
import { bookingDepsFromCatalog, createBookingActivities, type BookingHealth } from '../activities/booking';
import { createFleetActivities, fleetDepsFromCatalog } from '../activities/fleet';
import { createPostgresActivities, postgresDepsFromCatalog, type ReplicationStatus } from '../activities/postgres';
import { createTrafficActivities, trafficDepsFromCatalog } from '../activities/traffic';

/** The estate at a glance, gathered through the same adapters the runbooks use. */
export interface EstateStatus {
  regions: Record<RegionName, { booking: BookingHealth; database: ReplicationStatus['nodes']['A'] }>;
  replication: Pick<ReplicationStatus, 'primary' | 'standby' | 'lagBytes' | 'lagSeconds'>;
  activeBackend: RegionName | null | 'unavailable';
  fleet: { total: number; healthy: number; crashed: number; unreachable: number; handsOnBroken: number } | null;
  /** Both services and databases reachable, a streaming standby with known lag. */
  healthy: boolean;
}

export async function estateStatus(catalog: EstateCatalog): Promise<EstateStatus> {
  const pg = createPostgresActivities({ ...postgresDepsFromCatalog(catalog), timeoutMs: 1_500 });
  const booking = createBookingActivities({ ...bookingDepsFromCatalog(catalog), timeoutMs: 3_000 });
  const fleet = createFleetActivities({ ...fleetDepsFromCatalog(catalog), timeoutMs: 3_000 });
  const [replication, bookingA, bookingB, active, fleetSummary] = await Promise.all([
    pg.replicationStatus(),
    booking.health({ region: 'A' }),
    booking.health({ region: 'B' }),
    catalog.loadBalancer
      ? createTrafficActivities(trafficDepsFromCatalog(catalog))
          .activeBackend()
          .then((a) => a.region)
          .catch(() => 'unavailable' as const)
      : Promise.resolve('unavailable' as const),
    fleet.fleetSummary().catch(() => null),
  ]);
  const healthy =
    bookingA.reachable && bookingB.reachable && replication.nodes.A.reachable && replication.nodes.B.reachable && replication.primary !== null && replication.standby !== null && replication.lagBytes !== null;
  return {
    regions: { A: { booking: bookingA, database: replication.nodes.A }, B: { booking: bookingB, database: replication.nodes.B } },
    replication: { primary: replication.primary, standby: replication.standby, lagBytes: replication.lagBytes, lagSeconds: replication.lagSeconds },
    activeBackend: active,
    fleet: fleetSummary && { total: fleetSummary.total, ...fleetSummary.byHealth, handsOnBroken: fleetSummary.handsOnBroken },
    healthy,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The `estate status` table. */
export function formatStatus(s: EstateStatus): string {
  const role = (r: RegionName) => {
    const d = s.regions[r].database;
    if (!d.reachable) return 'down';
    return `${d.inRecovery ? 'standby' : 'primary'}${d.fenced ? ' (fenced)' : ''}`;
  };
  const svc = (r: RegionName) => {
    const b = s.regions[r].booking;
    if (!b.reachable) return 'down';
    return `${b.status}${b.db?.writable ? ', writable' : ', read-only'}`;
  };
  const regionRows = (['A', 'B'] as const).map((r) => [
    r,
    svc(r),
    s.regions[r].booking.mode ?? '-',
    role(r),
    s.activeBackend === r ? 'yes' : 'no',
  ]);
  const lag = s.replication.lagBytes === null ? 'unknown (no primary/standby pair)' : `${s.replication.lagBytes} bytes, ${s.replication.lagSeconds === null ? '? s' : `${s.replication.lagSeconds.toFixed(3)} s`}`;
  const f = s.fleet;
  return [
    table([['REGION', 'BOOKING', 'MODE', 'DATABASE', 'ACTIVE'], ...regionRows]),
    '',
    `replication lag: ${lag}`,
    `active backend:  ${s.activeBackend === 'unavailable' ? 'unavailable (no load balancer)' : (s.activeBackend ?? 'unknown')}`,
    `fleet:           ${f ? `${f.total} hosts: ${f.healthy} healthy, ${f.crashed} crashed, ${f.unreachable} unreachable (${f.handsOnBroken} need hands-on repair)` : 'down'}`,
    `overall:         ${s.healthy ? 'healthy' : 'DEGRADED'}`,
  ].join('\n');
}
