import type { BookingHealth } from '../../activities/booking';
import type { ReplicationStatus } from '../../activities/database';
import { estateAdapters } from './adapters';
import type { EstateCatalog, RegionName } from '../../estate/catalog';

/** The estate at a glance, gathered through the same adapters the runbooks use. */
export interface EstateStatus {
  regions: Record<RegionName, { booking: BookingHealth; database: ReplicationStatus['nodes']['A'] }>;
  replication: Pick<ReplicationStatus, 'primary' | 'standby' | 'lagBytes' | 'lagSeconds'>;
  activeBackend: string | null | 'unavailable';
  fleet: { total: number; healthy: number; crashed: number; unreachable: number; handsOnBroken: number } | null;
  /** No problem below: both services and databases reachable, a streaming standby with known lag, every fleet host healthy. */
  healthy: boolean;
  /** What keeps the estate from being healthy, one short phrase each, such as "14 of 36 fleet hosts crashed". */
  problems: string[];
}

/**
 * What is wrong with the estate, in the order the table shows it. A fleet with crashed hosts is an outage of its own (the July 2024
 * case), even while booking and its databases are fine, so it counts as much as a region that is down.
 */
export function estateProblems(s: Pick<EstateStatus, 'regions' | 'replication' | 'fleet'>): string[] {
  const problems: string[] = [];
  for (const r of ['A', 'B'] as const) {
    if (!s.regions[r].booking.reachable) problems.push(`booking service ${r} down`);
    if (!s.regions[r].database.reachable) problems.push(`database ${r} down`);
  }
  if (s.replication.primary === null) problems.push('no primary database');
  if (s.replication.standby === null) problems.push('no streaming standby');
  else if (s.replication.primary !== null && s.replication.lagBytes === null) problems.push('replication lag unknown');
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
  const pg = adapters;
  const booking = adapters;
  const fleet = adapters;
  const [replication, bookingA, bookingB, active, fleetSummary] = await Promise.all([
    pg.replicationStatus(),
    booking.health({ region: 'A' }),
    booking.health({ region: 'B' }),
    catalog.loadBalancer
      ? adapters
          .activeBackend()
          .then((a) => a.region)
          .catch(() => 'unavailable' as const)
      : Promise.resolve('unavailable' as const),
    fleet.fleetSummary().catch(() => null),
  ]);
  const parts = {
    regions: { A: { booking: bookingA, database: replication.nodes.A! }, B: { booking: bookingB, database: replication.nodes.B! } },
    replication: { primary: replication.primary, standby: replication.standby, lagBytes: replication.lagBytes, lagSeconds: replication.lagSeconds },
    activeBackend: active,
    fleet: fleetSummary && { total: fleetSummary.total, ...fleetSummary.byHealth, handsOnBroken: fleetSummary.handsOnBroken },
  };
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
  const regionRows = (['A', 'B'] as const).map((r) => [r, svc(r), s.regions[r].booking.mode ?? '-', role(r), s.activeBackend === r ? 'yes' : 'no']);
  const lag =
    s.replication.lagBytes === null
      ? 'unknown (no primary/standby pair)'
      : `${s.replication.lagBytes} bytes, ${s.replication.lagSeconds === null ? '? s' : `${s.replication.lagSeconds.toFixed(3)} s`}`;
  const f = s.fleet;
  return [
    table([['REGION', 'BOOKING', 'MODE', 'DATABASE', 'ACTIVE'], ...regionRows]),
    '',
    `replication lag: ${lag}`,
    `active backend:  ${s.activeBackend === 'unavailable' ? 'unavailable (no load balancer)' : (s.activeBackend ?? 'unknown')}`,
    `fleet:           ${f ? `${f.total} hosts: ${f.healthy} healthy, ${f.crashed} crashed, ${f.unreachable} unreachable (${f.handsOnBroken} need hands-on repair)` : 'down'}`,
    `overall:         ${overallVerdict(s.problems)}`,
  ].join('\n');
}
