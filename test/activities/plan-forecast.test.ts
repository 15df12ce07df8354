import { expect, test } from 'vitest';
import { liveLagNotes } from '../../activities/plan-forecast';
import type { ReplicationStatus } from '../../activities/database';

const members = [
  { member: 'booking', target: 'booking' },
  { member: 'checkin', target: 'checkin' },
  { member: 'flightStatus', target: 'flight-status' },
];

/** Replication as the database activity reports it, with the standby in B streaming. */
function replication(lagBytes: number | null, lagSeconds: number | null, streaming = true): ReplicationStatus {
  return {
    nodes: { A: { region: 'A', reachable: true, inRecovery: false }, B: { region: 'B', reachable: true, inRecovery: true, streaming } },
    primary: 'A',
    standby: 'B',
    lagBytes,
    lagSeconds,
    checkedAt: '2026-11-20T03:00:00.000Z',
  };
}

test('each member on a service with a standby gets a note of its lag now; a stateless one gets none, and a failed read says so', async () => {
  const notes = await liveLagNotes(members, new Set(['booking', 'checkin']), async (service) => {
    if (service === 'checkin') throw new Error('connection refused');
    return replication(16_384, 0.42);
  });
  expect(notes).toEqual([
    'live: booking (booking): the standby in B is 16384 bytes and 0.4 s behind the primary in A (at 2026-11-20T03:00:00.000Z)',
    'live: checkin (checkin): replication could not be read (connection refused)',
  ]);
});

test('a standby that does not stream is named as such, not given a lag', async () => {
  const notes = await liveLagNotes(members.slice(0, 1), new Set(['booking']), async () => replication(0, 0, false));
  expect(notes).toEqual(['live: booking (booking): the standby in B is not streaming from the primary in A (at 2026-11-20T03:00:00.000Z)']);
});
