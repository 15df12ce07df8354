import { expect, test } from 'vitest';
import { compactDetail } from '../../cli/render';

test('status shows a long list in a detail as its first entries and a count, nested or not', () => {
  const hosts = Array.from({ length: 500 }, (_, i) => `kiosk-${i}`);
  expect(compactDetail({ open: hosts, waived: ['gate-1'] })).toBe(
    JSON.stringify({ open: [...hosts.slice(0, 8), '... 492 more (--json for all)'], waived: ['gate-1'] }),
  );
  expect(compactDetail(['a', 'b'])).toBe('["a","b"]');
  expect(compactDetail('plain text')).toBe('plain text');
});
