import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ensureSystemPackages, estatePackages, packagePlan, type SystemPackage } from '../../dev/system-packages';

// Packages no machine has, so the outcome depends on the test alone; "installing" one puts its command on PATH.
const bin = mkdtempSync(join(tmpdir(), 'lifeboat-packages-'));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
const env = { PATH: bin };
const proxy: SystemPackage = { name: 'lifeboat-test-proxy', neededBy: 'the load balancer', commands: ['lifeboat-test-proxy'] };
const db: SystemPackage = { name: 'lifeboat-test-db', neededBy: 'the databases', commands: ['lifeboat-test-initdb'], paths: [join(bin, 'lib', 'initdb')] };

function fakeApt(calls: string[][], installs = true) {
  return async (command: string[], runEnv: NodeJS.ProcessEnv) => {
    calls.push(command);
    expect(runEnv.DEBIAN_FRONTEND).toBe('noninteractive');
    if (command[1] !== 'install') return;
    if (!installs) throw new Error('apt-get install failed: E: Unable to locate package lifeboat-test-proxy');
    for (const name of command.slice(2).filter((a) => !a.startsWith('-'))) {
      const file = join(bin, name === 'lifeboat-test-db' ? 'lifeboat-test-initdb' : name);
      writeFileSync(file, '#!/bin/sh\n');
      chmodSync(file, 0o755);
    }
  };
}

test('as root with apt-get, what is missing is installed: apt-get update first, then one install', async () => {
  const calls: string[][] = [];
  const lines: string[] = [];
  const outcome = await ensureSystemPackages({
    packages: [proxy, db],
    env,
    host: { root: true, aptGet: true },
    run: fakeApt(calls),
    log: (l) => lines.push(l),
  });
  expect(calls).toEqual([
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'lifeboat-test-proxy', 'lifeboat-test-db'],
  ]);
  expect(outcome.missing).toEqual([]);
  expect(lines).toEqual([
    'installing missing system packages with apt-get: lifeboat-test-proxy (the load balancer), lifeboat-test-db (the databases)...',
    'installed lifeboat-test-proxy, lifeboat-test-db',
  ]);

  // Now that they are there, nothing runs and nothing is said.
  const again: string[][] = [];
  const quiet: string[] = [];
  expect(
    (await ensureSystemPackages({ packages: [proxy, db], env, host: { root: true, aptGet: true }, run: fakeApt(again), log: (l) => quiet.push(l) })).plan,
  ).toEqual({ action: 'none' });
  expect([again, quiet]).toEqual([[], []]);
});

test('without root, or without apt-get, nothing runs and one line gives the command', async () => {
  const missing = { ...proxy, name: 'lifeboat-test-lb', commands: ['lifeboat-test-lb'] };
  const calls: string[][] = [];
  const lines: string[] = [];
  const outcome = await ensureSystemPackages({ packages: [missing], env, host: { root: false, aptGet: true }, run: fakeApt(calls), log: (l) => lines.push(l) });
  expect(calls).toEqual([]);
  expect(outcome.missing).toEqual(['lifeboat-test-lb']);
  expect(lines).toEqual([
    'missing system packages: lifeboat-test-lb (the load balancer); install them with: sudo apt-get update && sudo apt-get install -y --no-install-recommends lifeboat-test-lb',
  ]);
  expect(packagePlan([missing], { root: true, aptGet: false })).toEqual({
    action: 'advise',
    packages: ['lifeboat-test-lb'],
    command: "install lifeboat-test-lb (or your system's equivalent) with its package manager",
  });
});

test('a failed install is reported with the command, and the caller goes on without the package', async () => {
  const missing = { ...proxy, name: 'lifeboat-test-missing', commands: ['lifeboat-test-missing'] };
  const lines: string[] = [];
  const outcome = await ensureSystemPackages({
    packages: [missing],
    env,
    host: { root: true, aptGet: true },
    run: fakeApt([], false),
    log: (l) => lines.push(l),
  });
  expect(outcome.missing).toEqual(['lifeboat-test-missing']);
  expect(lines.slice(1)).toEqual([
    'could not install lifeboat-test-missing: apt-get install failed: E: Unable to locate package lifeboat-test-proxy',
    'install them with: apt-get update -qq && apt-get install -y -qq --no-install-recommends lifeboat-test-missing',
    'still missing: lifeboat-test-missing',
  ]);
});

test('the estate needs HAProxy, PostgreSQL 15, Patroni and etcd, found where the estate looks for them', () => {
  expect(estatePackages.map((p) => p.name)).toEqual(['haproxy', 'postgresql-15', 'patroni', 'etcd-server']);
  expect(estatePackages[1]!.paths).toContain('/usr/lib/postgresql/15/bin/initdb');
  expect(estatePackages[2]!.paths).toContain('/usr/bin/patroni');
  expect(estatePackages[3]!.paths).toContain('/usr/bin/etcd');
});
