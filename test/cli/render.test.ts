import { expect, test } from 'vitest';
import { compactDetail, renderStatus } from '../../cli/render';
import type { RunStatus } from '../../workflows/kit';

test('status shows a long list in a detail as its first entries and a count, nested or not', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => `kiosk-${i}`);
  expect(compactDetail({ open: hosts, waived: ['gate-1'] })).toBe(
    JSON.stringify({ open: [...hosts.slice(0, 8), '... 492 more (--json for all)'], waived: ['gate-1'] }),
  );
  expect(compactDetail(['a', 'b'])).toBe('["a","b"]');
  expect(compactDetail('plain text')).toBe('plain text');
});

test('status lists the open hands-on hosts and the command that closes one, while the run goes on', () => {
  const status = {
    runId: 'isolate-vendor-module/fleet', runbook: 'isolate-vendor-module', title: 'Isolate', target: 'fleet', state: 'running', requestedBy: 'alice',
    startedAt: '2026-11-25T00:00:00.000Z', updatedAt: '2026-11-25T00:00:01.000Z', steps: [], gates: [], compensation: [], audit: [],
    details: { handsOn: { open: 1, done: 1, waived: 0, deadline: '2026-11-25T04:00:00.000Z', tasks: [
      { host: 'b-kiosk-05', reason: 'boot loop (BitLocker)', status: 'open' },
      { host: 'b-gate-05', reason: 'boot loop (BitLocker)', status: 'done' },
    ] } },
  } as RunStatus;
  const text = renderStatus(status);
  expect(text).toContain('  hands-on: 1 open, 1 done, 0 waived; deadline 2026-11-25T04:00:00.000Z\n    b-kiosk-05: boot loop (BitLocker)\n');
  expect(text).not.toContain('b-gate-05');
  expect(text).toContain('next: lifeboat task done isolate-vendor-module/fleet <host> --as <you>');
  expect(renderStatus({ ...status, state: 'aborted' })).not.toContain('next: lifeboat task');
});
