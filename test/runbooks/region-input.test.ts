import { expect, test } from 'vitest';
import { IsolateVendorModuleInput, scopeLabel } from '../../runbooks/isolate-vendor-module';
import { ManualBookingModeInput } from '../../runbooks/manual-booking-mode';
import { lifeboatInProcess } from '../helpers/cli';

const manual = { reason: 'db down', incident: 'INC-1', stations: 'ATL-T1' };
const isolate = { badVersion: 'C-00000291', goodVersion: 'C-00000290' };
const dryRun = (runbook: string, sets: string[]) =>
  lifeboatInProcess(['run', runbook, ...sets.flatMap((s) => ['--set', s]), '--as', 'alice', '--dry-run', '--json'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });

test('manual-booking-mode and isolate-vendor-module take any region name a targets file or fleet may use', () => {
  for (const region of ['A', 'eu-west-1', 'westeurope', 'us_east.2']) {
    expect(ManualBookingModeInput.parse({ ...manual, region }).region).toBe(region);
    expect(IsolateVendorModuleInput.parse({ ...isolate, scope: { region, role: 'kiosk' } }).scope).toEqual({ region, role: 'kiosk', tags: [] });
  }
  expect(scopeLabel({ region: 'eu-central-1', role: 'gate', tags: [] })).toBe('eu-central-1-gate');
});

test('a region that is no name at all is refused, naming the field', () => {
  const manualIssue = ManualBookingModeInput.safeParse({ ...manual, region: 'eu west 1' }).error?.issues[0];
  expect(manualIssue).toMatchObject({ path: ['region'], message: expect.stringMatching(/^a region name is letters, digits/) });
  const scopeIssue = IsolateVendorModuleInput.safeParse({ ...isolate, scope: { region: '' } }).error?.issues[0];
  expect(scopeIssue).toMatchObject({ path: ['scope', 'region'] });
});

test('lifeboat run accepts a non-A/B region for both runbooks and names the run by it', async () => {
  const booking = await dryRun('manual-booking-mode', [...Object.entries(manual).map(([k, v]) => `${k}=${v}`), 'region=eu-west-1']);
  expect(booking.stderr).toBe('');
  expect(booking.code).toBe(0);
  expect(JSON.parse(booking.stdout)).toMatchObject({ runId: 'manual-booking-mode/booking', input: { region: 'eu-west-1' } });

  const fleet = await dryRun('isolate-vendor-module', [
    ...Object.entries(isolate).map(([k, v]) => `${k}=${v}`),
    'scope.region=eu-central-1',
    'scope.role=kiosk',
  ]);
  expect(fleet.stderr).toBe('');
  expect(fleet.code).toBe(0);
  expect(JSON.parse(fleet.stdout)).toMatchObject({ runId: 'isolate-vendor-module/eu-central-1-kiosk', input: { scope: { region: 'eu-central-1' } } });

  const bad = await dryRun('manual-booking-mode', [...Object.entries(manual).map(([k, v]) => `${k}=${v}`), 'region=eu west']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('→ at region');
});
