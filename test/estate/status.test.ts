import { expect, test } from 'vitest';
import { estateProblems, formatStatus, overallVerdict, type EstateStatus, type ServiceStatus } from '../../dev/estate/status';

const health = (region: 'A' | 'B', writable: boolean) => ({
  region,
  reachable: true,
  mode: 'normal' as const,
  status: 'ok' as const,
  db: { reachable: true, writable, inRecovery: !writable },
});
const nodes = {
  A: { region: 'A', reachable: true, inRecovery: false, fenced: false },
  B: { region: 'B', reachable: true, inRecovery: true, fenced: false },
};

/** A service as `estateStatus` reports it when all is well: A primary and active, B streaming with no lag. */
function healthyService(service: string, extra: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    service,
    active: 'A',
    regions: { A: health('A', true), B: health('B', false) },
    replication: { nodes, primary: 'A', standby: 'B', lagBytes: 0, lagSeconds: 0 },
    ...extra,
  };
}

/** The airline as `estate status` sees it: five services, 36 healthy hosts. */
function healthyEstate(): Omit<EstateStatus, 'healthy' | 'problems'> {
  return {
    services: [
      healthyService('booking'),
      healthyService('loyalty', { sharesDatabaseWith: 'booking' }),
      healthyService('checkin'),
      healthyService('crew'),
      {
        service: 'flight-status',
        active: 'A',
        regions: { A: { ...health('A', true), db: undefined }, B: { ...health('B', true), db: undefined } },
        replication: null,
      },
    ],
    fleet: { total: 36, healthy: 36, crashed: 0, unreachable: 0, handsOnBroken: 0 },
  };
}

function withVerdict(parts: Omit<EstateStatus, 'healthy' | 'problems'>): EstateStatus {
  const problems = estateProblems(parts);
  return { ...parts, healthy: problems.length === 0, problems };
}

test('a healthy estate is healthy overall, with a row per service', () => {
  const status = withVerdict(healthyEstate());
  expect(status.healthy).toBe(true);
  const table = formatStatus(status);
  expect(table).toMatch(/^overall: {9}healthy$/m);
  expect(table).toMatch(/^booking\s+A\s+ok, normal, primary\s+ok, normal, standby\s+0 B, 0\.000 s$/m);
  expect(table).toMatch(/^loyalty\s+A\s+.*shares booking's$/m);
  expect(table).toMatch(/^flight-status\s+A\s+ok, normal\s+ok, normal\s+no data \(stateless\)$/m);
});

test('crashed fleet hosts make the estate degraded, and the verdict says how many', () => {
  const parts = healthyEstate();
  parts.fleet = { total: 36, healthy: 22, crashed: 14, unreachable: 0, handsOnBroken: 3 };
  const status = withVerdict(parts);
  expect(status.healthy).toBe(false);
  expect(status.problems).toEqual(['14 of 36 fleet hosts crashed']);
  expect(formatStatus(status)).toMatch(/^overall: {9}degraded: 14 of 36 fleet hosts crashed$/m);
});

test('every problem is named, service by service in the order of the table, then the fleet', () => {
  const parts = healthyEstate();
  const checkin = parts.services[2]!;
  checkin.regions.A = { region: 'A', reachable: false, error: 'connection refused' };
  checkin.replication = { nodes: { A: { region: 'A', reachable: false }, B: nodes.B }, primary: null, standby: 'B', lagBytes: null, lagSeconds: null };
  parts.services[4]!.regions.B = { region: 'B', reachable: true, status: 'degraded', mode: 'normal' };
  parts.fleet = { total: 36, healthy: 33, crashed: 1, unreachable: 2, handsOnBroken: 0 };
  expect(overallVerdict(estateProblems(parts))).toBe(
    'degraded: checkin A down; checkin database A down; checkin: no primary database; flight-status B degraded; 1 of 36 fleet hosts crashed; 2 of 36 fleet hosts unreachable',
  );
  expect(overallVerdict(estateProblems({ ...healthyEstate(), fleet: null }))).toBe('degraded: fleet API down');
});
