import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { unprobedServiceSections } from '../../cli/targets-coverage';
import { openService } from '../../providers/registry';
import type { ServiceTargets } from '../../providers/targets/schema';
import { lifeboatInProcess } from '../helpers/cli';

// `lifeboat targets check` must never pass a file it did not look at: no sample estate here, only files that name
// providers the check cannot probe, or none at all.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-targets-coverage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function targetsFile(name: string, services: Record<string, object>): string {
  const path = join(dir, `${name}.targets.json`);
  writeFileSync(path, JSON.stringify({ version: 1, services }));
  return path;
}

const sampleEstateRebuild = { provider: 'sample-estate', stateDir: '/var/lib/estate', dataDirs: { A: '/var/lib/pg-a', B: '/var/lib/pg-b' } };

test('a service naming a capability no probe covers fails targets check, naming the service, the capability and the fix', async () => {
  // A sample-estate rebuild works on the service's database; without one the registry opens no rebuild provider.
  const path = targetsFile('uncovered', { booking: { regions: ['A', 'B'], rebuild: sampleEstateRebuild } });
  const r = await lifeboatInProcess(['targets', 'check', '--targets', path]);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(
    /booking\s+rebuild: sample-estate\s+a probe covers it\s+FAIL\s+service "booking" names rebuild \("sample-estate"\), but no probe covers it/,
  );
  expect(r.stdout).toContain(
    'Fix: give it the section it builds on (rebuild "sample-estate" needs services.booking.database), or remove services.booking.rebuild',
  );
  expect(r.stdout).toContain('1 of 1 checks failed');
  expect(r.stdout).not.toContain('passed');

  const json = await lifeboatInProcess(['targets', 'check', '--targets', path, '--json']);
  expect(json.code).toBe(1);
  expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, checks: [{ service: 'booking', capability: 'rebuild', provider: 'sample-estate', ok: false }] });
});

test('targets check that ran 0 checks fails, naming the service and what to add, instead of "all 0 checks passed"', async () => {
  const path = targetsFile('empty', { booking: { regions: ['A', 'B'] } });
  const r = await lifeboatInProcess(['targets', 'check', '--targets', path]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toBe(
    `error: ${path}: 0 checks ran, so nothing says its systems can be reached: service "booking" names no provider\n` +
      '  fix: give services.booking a provider for each capability its runbooks use (traffic, database, serviceMode, rebuild; see docs/adding-a-provider.md), or point --targets at the file that does\n',
  );

  const two = targetsFile('two-empty', { booking: { regions: ['A', 'B'] }, loyalty: { regions: ['A', 'B'] } });
  const json = await lifeboatInProcess(['targets', 'check', '--targets', two, '--service', 'loyalty', '--json']);
  expect(json.code).toBe(1);
  expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'no-checks', message: expect.stringContaining('service "loyalty" names no provider') } });
});

test('a section the catalog lacks (a capability added to the schema alone) is a failed check that says where to add it', () => {
  // The schema refuses such a file today, and tsc refuses such a schema; this is the check's own last line.
  const config = { regions: ['A', 'B'], cdn: { provider: 'command', command: ['/opt/cdn-purge'] } } as unknown as ServiceTargets;
  expect(unprobedServiceSections('booking', config, openService('booking', config))).toEqual([
    {
      service: 'booking',
      capability: 'cdn',
      provider: 'command',
      check: 'a probe covers it',
      ok: false,
      detail: expect.stringMatching(
        /^service "booking" names cdn, but no probe covers it: cdn is not a capability of providers\/contracts\/capabilities\.ts.*Fix: add cdn to that catalog/,
      ),
    },
  ]);
});
