import { expect, test } from 'vitest';
import { waveSizes } from '../../activities/vendor-isolation';
import { milestone } from '../../workflows/vendor-isolation/report';

test('waves: a canary, then counts or shares of the affected hosts, the last size repeating until none are left', () => {
  expect(waveSizes({ canary: 2, sizes: ['10%', '30%', '100%'] }, 1000)).toEqual([2, 100, 300, 598]);
  expect(waveSizes({ canary: 3, sizes: [10] }, 36)).toEqual([3, 10, 10, 10, 3]);
  expect(waveSizes({ canary: 5, sizes: ['50%'] }, 4)).toEqual([4]);
  expect(waveSizes({ canary: 2, sizes: ['1%'] }, 10)).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1]);
  expect(waveSizes({ canary: 2, sizes: ['25%'] }, 0)).toEqual([]);
});

test('recovery milestones: seconds from the start until a share of the down hosts is healthy, null when never reached', () => {
  const start = 1_000_000;
  const events: [number, number][] = [
    [start + 9_000, 3],
    [start + 2_000, 4],
    [start + 5_000, 2],
  ];
  expect(milestone(events, 10, 0.5, start)).toBe(5);
  expect(milestone(events, 10, 0.9, start)).toBe(9);
  expect(milestone(events, 10, 1, start)).toBeNull();
  expect(milestone([], 0, 1, start)).toBe(0);
});
