/**
 * Who decides a move of the airline core, from the roster's groups (roster.sample.json): two SRE leads, who approve
 * what moves traffic, and one of airline operations, who own the airline's side of it (the stations, the crews, the
 * public status page). Three signatures for the whole plan, where the failovers one by one need eight (four
 * failovers, loyalty moving with booking, two approvals each). Escalation is every five minutes, as for any decision
 * that holds an outage open.
 */
export const airlineDecision = {
  approvers: { groups: ['sre-leads', 'airline-ops'] },
  quorum: 3,
  requires: [
    { group: 'sre-leads', atLeast: 2 },
    { group: 'airline-ops', atLeast: 1 },
  ],
  escalateAfter: '5 minutes',
  escalateEvery: '5 minutes',
} as const;
