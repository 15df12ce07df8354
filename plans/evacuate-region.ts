import { z } from 'zod';
import { definePlan } from '../kit';
import { airlineDecision } from './airline-decision';
import { regionFailover } from '../runbooks/region-failover';
import { Region } from '../runbooks/region';

export const EvacuateRegionInput = z
  .object({
    from: Region.describe('the region to leave (A)'),
    to: Region.describe('the region every service moves to (B)'),
    mode: z.enum(['planned', 'emergency']).describe('planned: the region is healthy and no acknowledged write may be lost; emergency: it may be unreachable'),
    detectedAt: z.iso
      .datetime({ offset: true })
      .max(64, 'detectedAt is at most 64 characters; write it as 2024-07-19T04:09:00Z')
      .optional()
      .describe('when the outage was detected (ISO 8601), so every member measures its RTO from detection'),
  })
  .refine((input) => input.from !== input.to, { message: 'from and to are the same region; name the region to leave and the one to move to', path: ['to'] });
export type EvacuateRegionInput = z.infer<typeof EvacuateRegionInput>;

/** One service's failover, with the plan's regions, mode and detection time. */
function failoverOf(service: string) {
  return (input: EvacuateRegionInput) => ({
    service,
    source: input.from,
    target: input.to,
    mode: input.mode,
    ...(input.detectedAt !== undefined ? { detectedAt: input.detectedAt } : {}),
  });
}

/**
 * Moves the airline core out of a region, in the order its dependencies allow: booking first, check-in once booking
 * serves from the new region (check-in reads bookings in its own region), crew alongside from the start (it depends on
 * nobody), and the public status page last, so it never says "all clear" before the services behind it are.
 */
export const evacuateRegion = definePlan({
  id: 'evacuate-region',
  title: 'Evacuate a region: move the airline core to the other one',
  description:
    'Fail booking (with loyalty), check-in, crew and flight-status over to the other region in dependency order, under one decision of two SRE leads and one of airline operations.',
  input: EvacuateRegionInput,
  target: (input) => input.from,
  members: {
    // Loyalty lives in booking's database cluster, so booking's failover moves loyalty with it: no member of its own.
    booking: { runbook: regionFailover, input: failoverOf('booking') },
    checkin: { runbook: regionFailover, input: failoverOf('checkin'), after: ['booking'] },
    crew: { runbook: regionFailover, input: failoverOf('crew') },
    flightStatus: { runbook: regionFailover, input: failoverOf('flight-status'), after: ['booking', 'checkin', 'crew'] },
  },
  gate: {
    title: 'Two SRE leads and airline operations approve evacuating the region',
    policy: { ...airlineDecision, expireAfter: '1 hour' },
  },
  // Its longest chain is three failovers one after another (booking, checkin, flight-status), each within the
  // failover's own 15 minutes; planned loses nothing, emergency at most the failover's minute.
  objectives: { rtoSeconds: 45 * 60, rpoSeconds: 60 },
  scenarios: ['region-loss', 'switchover'],
  examples: [
    { from: 'A', to: 'B', mode: 'planned' },
    { from: 'A', to: 'B', mode: 'emergency', detectedAt: '2024-07-19T04:09:00Z' },
  ],
});
