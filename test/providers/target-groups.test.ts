import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort } from '../../lib/free-port';
import { failoverGroups, groupOf } from '../../providers/targets/groups';
import { parseTargets, TargetsError } from '../../providers/targets/load';
import { lifeboatInProcess } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-target-groups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The issues a person reads for a broken file, as `path: message`. */
function issuesOf(value: unknown): string[] {
  try {
    parseTargets(value);
  } catch (err) {
    if (err instanceof TargetsError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

const mode = { provider: 'http', regions: { A: { url: 'http://127.0.0.1:1' }, B: { url: 'http://127.0.0.1:2' } } };
/** A PostgreSQL pair: one server per region, `database` the logical database on it. */
const postgres = (portA: number, portB: number, database: string) => ({
  provider: 'postgres',
  regions: { A: { host: '127.0.0.1', port: portA, user: 'postgres', database }, B: { host: '127.0.0.1', port: portB, user: 'postgres', database } },
});
const patroni = (restA: string, restB: string) => ({
  provider: 'patroni',
  regions: {
    A: { restUrl: restA, postgres: { host: 'crew-a', user: 'postgres', database: 'crew' } },
    B: { restUrl: restB, postgres: { host: 'crew-b', user: 'postgres', database: 'crew' } },
  },
});

/** The five services of the airline estate, as its targets file names their databases. */
const airline = {
  version: 1,
  services: {
    booking: { regions: ['A', 'B'], database: postgres(5432, 5433, 'booking'), serviceMode: mode },
    loyalty: { regions: ['A', 'B'], database: postgres(5432, 5433, 'loyalty'), serviceMode: mode },
    checkin: { regions: ['A', 'B'], database: postgres(6432, 6433, 'checkin'), serviceMode: mode, dependsOn: ['booking'] },
    crew: { regions: ['A', 'B'], database: patroni('http://crew-a:8008', 'http://crew-b:8008'), rebuild: { provider: 'patroni' }, serviceMode: mode },
    'flight-status': { regions: ['A', 'B'], serviceMode: mode, stateless: true },
  },
};

test('services on one PostgreSQL server in every region fail over as one group; the others alone', () => {
  const targets = parseTargets(airline);
  expect(failoverGroups(targets)).toEqual([{ cluster: 'postgres A 127.0.0.1:5432, B 127.0.0.1:5433', members: ['booking', 'loyalty'] }]);
  expect(groupOf(targets, 'loyalty')).toEqual(['booking', 'loyalty']);
  expect(groupOf(targets, 'booking')).toEqual(['booking', 'loyalty']);
  expect(groupOf(targets, 'checkin')).toEqual(['checkin']);
  expect(groupOf(targets, 'crew')).toEqual(['crew']);
  expect(groupOf(targets, 'flight-status')).toEqual(['flight-status']);
  expect(targets.services['flight-status']!.stateless).toBe(true);
  expect(targets.services.checkin!.dependsOn).toEqual(['booking']);
});

test('services on one Patroni cluster (the same REST API in every region) form a group', () => {
  const targets = parseTargets({
    version: 1,
    services: {
      crew: { regions: ['A', 'B'], database: patroni('http://crew-a:8008', 'http://crew-b:8008') },
      rostering: { regions: ['A', 'B'], database: patroni('http://crew-a:8008/', 'http://crew-b:8008') },
    },
  });
  expect(failoverGroups(targets)).toEqual([{ cluster: 'patroni A http://crew-a:8008, B http://crew-b:8008', members: ['crew', 'rostering'] }]);
});

test('members of one cluster that list other regions, or other nodes, are refused, naming both services', () => {
  const loyaltyInC = {
    version: 1,
    services: {
      booking: { regions: ['A', 'B'], database: postgres(5432, 5433, 'booking') },
      loyalty: {
        regions: ['A', 'C'],
        database: {
          provider: 'postgres',
          regions: {
            A: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'loyalty' },
            C: { host: '127.0.0.1', port: 7000, user: 'postgres', database: 'loyalty' },
          },
        },
      },
    },
  };
  expect(issuesOf(loyaltyInC)).toEqual([
    'services.loyalty.database: "loyalty" shares its database cluster with "booking", so they fail over together, but "loyalty" lists regions A, C and "booking" lists A, B: give both the same regions, or give "loyalty" a database of its own',
  ]);
  const halfShared = { version: 1, services: { ...airline.services, loyalty: { regions: ['A', 'B'], database: postgres(5432, 7000, 'loyalty') } } };
  expect(issuesOf(halfShared)).toEqual([
    'services.loyalty.database: "loyalty" shares part of its database cluster with "booking", but not in region B (postgres 127.0.0.1:7000 against postgres 127.0.0.1:5433): a cluster fails over as one, so name the same node in every region, or nodes of its own',
  ]);
});

test('dependsOn must name other services of the file, and no cycle', () => {
  const withDeps = (deps: Record<string, string[]>) => ({
    version: 1,
    services: Object.fromEntries(
      Object.entries(airline.services).map(([name, s]) => [name, { ...s, ...(deps[name] ? { dependsOn: deps[name] } : { dependsOn: undefined }) }]),
    ),
  });
  expect(issuesOf(withDeps({ checkin: ['bookings'] }))).toEqual([
    'services.checkin.dependsOn.0: "bookings" is not a service of this file (it has booking, loyalty, checkin, crew, flight-status): add services.bookings, or remove it here',
  ]);
  expect(issuesOf(withDeps({ checkin: ['booking', 'checkin'] }))).toEqual([
    'services.checkin.dependsOn.1: "checkin" cannot depend on itself: remove "checkin" here',
  ]);
  expect(issuesOf(withDeps({ checkin: ['booking'], booking: ['loyalty'], loyalty: ['checkin'] }))).toEqual([
    'services.booking.dependsOn: dependsOn makes a cycle: booking -> loyalty -> checkin -> booking; remove one of these dependencies, since no service in a cycle could become healthy first',
  ]);
  expect(issuesOf(withDeps({ checkin: ['booking', 'crew', 'flight-status'], crew: ['flight-status'] }))).toEqual([]);
});

test('a stateless service with a database or a rebuild is refused, saying to remove one or the other', () => {
  const flightStatus = {
    regions: ['A', 'B'],
    serviceMode: mode,
    stateless: true,
    database: postgres(8000, 8001, 'flights'),
    rebuild: { provider: 'command', command: ['/bin/true'] },
  };
  expect(issuesOf({ version: 1, services: { 'flight-status': flightStatus } })).toEqual([
    'services.flight-status.database: a stateless service keeps no data, so it has no database: remove "database", or remove "stateless": true if the service keeps data',
    'services.flight-status.rebuild: a stateless service keeps no data, so it has no rebuild: remove "rebuild", or remove "stateless": true if the service keeps data',
  ]);
  expect(issuesOf({ version: 1, services: { 'flight-status': { regions: ['A', 'B'], stateless: false } } })).toEqual([
    'services.flight-status.stateless: "stateless" is true or left out',
  ]);
});

test('lifeboat targets check prints the failover groups and dependencies, and still fails when a system does not answer', async () => {
  const [a, b, c] = [await freePort(), await freePort(), await freePort()];
  const closedMode = { provider: 'http', timeoutMs: 500, regions: { A: { url: `http://127.0.0.1:${c}` }, B: { url: `http://127.0.0.1:${c}` } } };
  const path = join(dir, 'airline.targets.json');
  writeFileSync(
    path,
    JSON.stringify({
      version: 1,
      services: {
        booking: { regions: ['A', 'B'], database: { ...postgres(a, b, 'booking'), timeoutMs: 500 } },
        loyalty: { regions: ['A', 'B'], database: { ...postgres(a, b, 'loyalty'), timeoutMs: 500 } },
        checkin: { regions: ['A', 'B'], serviceMode: closedMode, dependsOn: ['booking', 'loyalty'] },
        'flight-status': { regions: ['A', 'B'], serviceMode: closedMode, stateless: true },
      },
    }),
  );
  const json = await lifeboatInProcess(['targets', 'check', '--targets', path, '--json']);
  expect(json.code).toBe(1);
  const report = JSON.parse(json.stdout) as { ok: boolean; groups: unknown; dependencies: unknown };
  expect(report.ok).toBe(false);
  expect(report.groups).toEqual([{ cluster: `postgres A 127.0.0.1:${a}, B 127.0.0.1:${b}`, members: ['booking', 'loyalty'] }]);
  expect(report.dependencies).toEqual([
    { service: 'checkin', dependsOn: 'booking' },
    { service: 'checkin', dependsOn: 'loyalty' },
  ]);

  const text = await lifeboatInProcess(['targets', 'check', '--targets', path]);
  expect(text.code).toBe(1);
  expect(text.stdout).toContain(
    `failover groups (they share a database cluster, so a failover of one moves them all):\n  booking, loyalty: postgres A 127.0.0.1:${a}, B 127.0.0.1:${b}\n`,
  );
  expect(text.stdout).toContain(
    'dependencies (a service is healthy in a region only when those it calls answer there):\n  checkin calls booking\n  checkin calls loyalty\n',
  );
  expect(text.stdout).toMatch(/\d+ of \d+ checks failed/);

  // One service: only its own group is shown, and no dependencies it does not have.
  const one = await lifeboatInProcess(['targets', 'check', '--targets', path, '--service', 'flight-status', '--json']);
  const oneReport = JSON.parse(one.stdout) as { groups: unknown; dependencies: unknown; checks: { check: string }[] };
  expect(oneReport).toMatchObject({ groups: [], dependencies: [] });
  // "stateless" and "dependsOn" are settings, not capabilities: no row says a probe should have covered them.
  expect(oneReport.checks.map((c) => c.check)).not.toContain('a probe covers it');
}, 60_000);
