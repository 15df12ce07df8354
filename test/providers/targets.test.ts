import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sampleTargets } from '../../providers/sample-estate/targets';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import { freePort } from '../../lib/free-port';
import { parseTargets, TargetsError } from '../../providers/targets/load';
import { lifeboatInProcess } from '../helpers/cli';

let estate: TestEstate;
let dir: string;

beforeAll(async () => {
  estate = await startTestEstate({ fleetHosts: 4 });
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-targets-'));
});

afterAll(async () => {
  await estate?.stop();
  rmSync(dir, { recursive: true, force: true });
});

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

const haproxy = {
  provider: 'haproxy',
  runtimeApi: { host: '127.0.0.1', port: 9999 },
  map: { file: '/etc/haproxy/active.map', key: 'booking' },
  backends: { A: { backend: 'be_a', server: 'a' }, B: { backend: 'be_b', server: 'b' } },
};

test('a broken targets file is refused with each field named and what to do about it', () => {
  expect(issuesOf({ services: {} })).toEqual(['version: the targets file format is version 1: add "version": 1']);
  expect(issuesOf({ version: 1, services: { booking: { regions: ['A', 'B'], traffic: { ...haproxy, provider: 'nginx' } } } })).toEqual([
    'services.booking.traffic.provider: unknown traffic provider "nginx"; use one of haproxy, route53, command',
  ]);
  expect(issuesOf({ version: 1, services: { booking: { regions: ['A', 'C'], traffic: haproxy } } })).toEqual([
    'services.booking.traffic.backends: region "C" is missing: give its settings here, or remove it from "regions"',
    'services.booking.traffic.backends.B: "B" is not one of the service\'s regions (A, C); add it to "regions" or remove it here',
  ]);
  const withPassword = {
    provider: 'postgres',
    regions: { A: { host: 'db-a', user: 'lifeboat', database: 'booking', passwordEnv: 'hunter2' }, B: { host: 'db-b', user: 'lifeboat', database: 'booking' } },
  };
  expect(issuesOf({ version: 1, services: { booking: { regions: ['A', 'B'], database: withPassword } } })).toEqual([
    'services.booking.database.regions.A.passwordEnv: name an environment variable (A-Z, 0-9, _) that holds the secret, not the secret itself',
  ]);
  expect(
    issuesOf({ version: 1, services: { booking: { regions: ['A', 'B'], traffic: { ...haproxy, runtimeApi: { host: '127.0.0.1', port: 70000 } } } } }),
  ).toEqual(['services.booking.traffic.runtimeApi.port: a port is 1 to 65535']);
  expect(
    issuesOf({
      version: 1,
      services: {
        booking: {
          regions: ['A', 'B'],
          rebuild: { provider: 'patroni' },
          database: { provider: 'postgres', regions: { A: { host: 'a', user: 'u', database: 'd' }, B: { host: 'b', user: 'u', database: 'd' } } },
        },
      },
    }),
  ).toEqual(['services.booking.rebuild.provider: rebuild "patroni" needs database "patroni"; use "command" or "sample-estate" for a plain PostgreSQL pair']);
});

test('lifeboat targets check probes every provider of the sample estate read-only and passes', async () => {
  const path = join(estate.dir, 'lifeboat.targets.json');
  const r = await lifeboatInProcess(['targets', 'check', '--targets', path, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: { service: string; capability: string; check: string; ok: boolean; detail: string }[] };
  expect(report.ok).toBe(true);
  expect(new Set(report.checks.map((c) => c.capability))).toEqual(new Set(['traffic', 'database', 'serviceMode', 'rebuild', 'fleet']));
  expect(report.checks.find((c) => c.check === 'one writable primary')).toMatchObject({ ok: true, detail: '1 unfenced primary among 2 regions' });
  expect(report.checks.find((c) => c.capability === 'fleet')?.detail).toMatch(/^4 hosts/);

  const table = await lifeboatInProcess(['targets', 'check', '--targets', path, '--service', 'booking']);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/traffic: haproxy \(127\.0\.0\.1:\d+, map .* key booking\)/);
  expect(table.stdout).toMatch(/all \d+ checks passed/);
});

test('lifeboat targets check exits 1 and says which system it could not reach', async () => {
  const closed = await freePort();
  const targets = sampleTargets(estate.catalog);
  const broken = {
    ...targets,
    services: {
      booking: {
        ...targets.services.booking!,
        database: {
          provider: 'postgres',
          regions: {
            A: { host: '127.0.0.1', port: closed, user: 'postgres', database: 'booking' },
            B: { host: '127.0.0.1', port: closed, user: 'postgres', database: 'booking' },
          },
        },
      },
    },
  };
  const path = join(dir, 'broken.targets.json');
  writeFileSync(path, JSON.stringify(broken));
  const r = await lifeboatInProcess(['targets', 'check', '--targets', path]);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(new RegExp(`region A: log in to 127\\.0\\.0\\.1:${closed} as postgres\\s+FAIL\\s+PostgreSQL of region A unreachable`));
  expect(r.stdout).toMatch(/\d+ of \d+ checks failed/);

  writeFileSync(path, JSON.stringify({ version: 1, services: { booking: { regions: ['A'] } } }));
  const invalid = await lifeboatInProcess(['targets', 'check', '--targets', path]);
  expect(invalid.code).toBe(1);
  expect(invalid.stderr).toContain('services.booking.regions: a service fails over between at least two regions');
});

test('lifeboat plan names the provider behind each step from the targets file', async () => {
  const r = await lifeboatInProcess(['plan', 'region-failover', '--targets', join(estate.dir, 'lifeboat.targets.json')]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/switchTraffic — Point the load balancer at the target region\n.*\n\s+acts through traffic: haproxy \(127\.0\.0\.1:\d+/);
  expect(r.stdout).toMatch(/promote — .*\n.*\n\s+acts through database: postgres \(A 127\.0\.0\.1:\d+, B 127\.0\.0\.1:\d+\)/);
});
