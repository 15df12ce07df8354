import { expect, test } from 'vitest';
import { RegionFailoverInput } from '../../runbooks/region-failover';
import { emergencyRpo, lsnBytes, plannedRefusal, type DataAtRisk } from '../../workflows/region-switch-facts';

const healthy: DataAtRisk = { sourceServiceAnswers: true, sourceDatabaseAnswers: true, lagBytes: 1_000, lagSeconds: 0.2, standbyReplayLsn: '0/3000000' };
const budget = { bytes: 16 * 1024 * 1024, seconds: 30 };

test('service and mode are enough input; regions are left for the preflight to resolve', () => {
  expect(RegionFailoverInput.parse({ service: 'booking', mode: 'planned' })).toEqual({
    service: 'booking',
    mode: 'planned',
    rpoBudgetBytes: 16 * 1024 * 1024,
    rpoBudgetSeconds: 30,
    verifyWindowSeconds: 10,
    catchUpTimeoutSeconds: 60,
  });
  const same = RegionFailoverInput.safeParse({ service: 'booking', mode: 'planned', source: 'A', target: 'A' });
  expect(same.success).toBe(false);
  expect(same.error?.issues[0]).toMatchObject({ path: ['target'], message: 'source and target must be different regions' });
  expect(RegionFailoverInput.safeParse({ service: 'booking', mode: 'planned', detectedAt: 'yesterday' }).success).toBe(false);
});

test('a planned switch goes ahead within budget and stops, saying why, over it or with the source down', () => {
  expect(plannedRefusal(healthy, budget)).toBeUndefined();
  expect(plannedRefusal({ ...healthy, lagBytes: 20 * 1024 * 1024 }, budget)).toMatch(
    /^replication lag 20971520 bytes \/ 0\.2 s is over the RPO budget of 16777216 bytes \/ 30 s; wait for the standby/,
  );
  expect(plannedRefusal({ ...healthy, lagSeconds: 45 }, budget)).toMatch(/over the RPO budget/);
  expect(plannedRefusal({ ...healthy, sourceDatabaseAnswers: false, lagBytes: null }, budget)).toMatch(/use mode=emergency/);
});

test('emergency RPO: WAL bytes where the source answered, lost bookings and their time span where the load counter runs', () => {
  expect(lsnBytes('1/0000010')).toBe(2 ** 32 + 16);
  expect(emergencyRpo('0/3000100', '0/3000000', null, undefined)).toEqual({ bytes: 256, seconds: null, lostAcknowledgedBookings: null });
  expect(
    emergencyRpo(undefined, '0/3000000', '2026-01-01T00:00:00.000Z', {
      present: true,
      checked: 100,
      lost: 0,
      lostKeys: [],
      lastAcknowledgedAt: '2026-01-01T00:00:01.000Z',
    }),
  ).toEqual({
    bytes: null,
    seconds: 0,
    lostAcknowledgedBookings: 0,
  });
  expect(
    emergencyRpo(undefined, '0/3000000', '2026-01-01T00:00:00.000Z', {
      present: true,
      checked: 100,
      lost: 3,
      lostKeys: ['a', 'b', 'c'],
      lastAcknowledgedAt: '2026-01-01T00:00:01.500Z',
    }),
  ).toEqual({
    bytes: null,
    seconds: 1.5,
    lostAcknowledgedBookings: 3,
  });
});
