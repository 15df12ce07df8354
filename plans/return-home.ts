import { z } from 'zod';
import { definePlan } from '../kit';
import { airlineDecision } from './airline-decision';
import { regionFailback } from '../runbooks/region-failback';
import { Region } from '../runbooks/region';

export const ReturnHomeInput = z.object({
  region: Region.describe('the home region every service returns to (A)'),
});
export type ReturnHomeInput = z.infer<typeof ReturnHomeInput>;

/** One service's failback to the home region; each failback finds where the service runs now by itself. */
function failbackOf(service: string) {
  return (input: ReturnHomeInput) => ({ service, target: input.region });
}

/**
 * The way back after evacuate-region: the failbacks in the reverse order. The status page first, crew and check-in
 * next, booking (with loyalty) last: each service goes home before the one it depends on, as it left after it.
 */
export const returnHome = definePlan({
  id: 'return-home',
  title: 'Return the airline core to its home region',
  description:
    'Fail flight-status, then crew and check-in, then booking (with loyalty) back to the home region, each rebuilt and caught up first, under one decision of two SRE leads and one of airline operations.',
  input: ReturnHomeInput,
  target: (input) => input.region,
  members: {
    flightStatus: { runbook: regionFailback, input: failbackOf('flight-status') },
    crew: { runbook: regionFailback, input: failbackOf('crew'), after: ['flightStatus'] },
    checkin: { runbook: regionFailback, input: failbackOf('checkin'), after: ['flightStatus'] },
    // Booking's failback moves loyalty with it: the two share one database cluster.
    booking: { runbook: regionFailback, input: failbackOf('booking'), after: ['checkin', 'crew'] },
  },
  gate: {
    title: 'Two SRE leads and airline operations approve returning home',
    policy: { ...airlineDecision, expireAfter: '2 hours' },
  },
  // Three failbacks one after another (flight-status, check-in, booking), each within its own 30 minutes; a failback
  // always runs planned and loses nothing.
  objectives: { rtoSeconds: 90 * 60, rpoSeconds: 0 },
  scenarios: ['switchover'],
  examples: [{ region: 'A' }],
});
