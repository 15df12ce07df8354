import { expect, test } from 'vitest';
import { estateProblems, formatStatus, overallVerdict, type EstateStatus } from '../../dev/estate/status';

/** A healthy estate as `estateStatus` reports it: A primary and active, B streaming, 36 healthy hosts. */
function healthyEstate(): Omit<EstateStatus, 'healthy' | 'problems'> {
  const booking = (region: 'A' | 'B') => ({
    region,
    reachable: true,
    mode: 'normal' as const,
    status: 'ok' as const,
    db: { reachable: true, writable: region === 'A', inRecovery: region === 'B' },
  });
  return {
    regions: {
      A: { booking: booking('A'), database: { region: 'A', reachable: true, inRecovery: false, fenced: false } },
      B: { booking: booking('B'), database: { region: 'B', reachable: true, inRecovery: true, fenced: false } },
    },
    replication: { primary: 'A', standby: 'B', lagBytes: 0, lagSeconds: 0 },
    activeBackend: 'A',
    fleet: { total: 36, healthy: 36, crashed: 0, unreachable: 0, handsOnBroken: 0 },
  };
}

function withVerdict(parts: Omit<EstateStatus, 'healthy' | 'problems'>): EstateStatus {
  const problems = estateProblems(parts);
  return { ...parts, healthy: problems.length === 0, problems };
}

test('a healthy estate is healthy overall', () => {
  const status = withVerdict(healthyEstate());
  expect(status.healthy).toBe(true);
  expect(formatStatus(status)).toMatch(/^overall: {9}healthy$/m);
});

test('crashed fleet hosts make the estate degraded, and the verdict says how many', () => {
  const parts = healthyEstate();
  parts.fleet = { total: 36, healthy: 22, crashed: 14, unreachable: 0, handsOnBroken: 3 };
  const status = withVerdict(parts);
  expect(status.healthy).toBe(false);
  expect(status.problems).toEqual(['14 of 36 fleet hosts crashed']);
  expect(formatStatus(status)).toMatch(/^overall: {9}degraded: 14 of 36 fleet hosts crashed$/m);
});

test('every problem is named, in the order of the table: a region down, then the fleet', () => {
  const parts = healthyEstate();
  parts.regions.A.booking = { region: 'A', reachable: false, error: 'connection refused' };
  parts.regions.A.database = { region: 'A', reachable: false };
  parts.replication = { primary: null, standby: 'B', lagBytes: null, lagSeconds: null };
  parts.fleet = { total: 36, healthy: 33, crashed: 1, unreachable: 2, handsOnBroken: 0 };
  expect(overallVerdict(estateProblems(parts))).toBe(
    'degraded: booking service A down; database A down; no primary database; 1 of 36 fleet hosts crashed; 2 of 36 fleet hosts unreachable',
  );
  expect(overallVerdict(estateProblems({ ...healthyEstate(), fleet: null }))).toBe('degraded: fleet API down');
});
