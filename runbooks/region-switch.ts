import { z } from 'zod';
import { gate, step } from '../kit';
import { ranged, type InputRanges } from './ranges';
import { Region } from './region';
import { text } from './text';

export { Region } from './region';

/** The knobs of a controlled switch that failover and failback share, with their numbers built by `r`. */
export function switchOptions(r: InputRanges) {
  return z.object({
    service: text('service').trim().min(1).describe('the service to move, as named in the targets file (booking)'),
    source: Region.optional().describe('the region to leave; default: the region the traffic provider sends clients to now'),
    target: Region.optional().describe('the region to move to; default: the other region'),
    rpoBudgetBytes: r
      .number('rpoBudgetBytes', {
        min: 0,
        max: 1024 * 1024 * 1024,
        unit: 'bytes',
        integer: true,
        belowMin: 'a lag is never negative (0 accepts no lag at all)',
        aboveMax: 'a standby more than 1 GiB behind cannot catch up within a planned switch; use mode=emergency',
      })
      .default(16 * 1024 * 1024)
      .describe('replication lag (WAL bytes) a planned switch accepts before it stops'),
    rpoBudgetSeconds: r
      .number('rpoBudgetSeconds', {
        min: 0,
        max: 3600,
        unit: 'seconds',
        belowMin: 'a lag is never negative (0 accepts no lag at all)',
        aboveMax: 'more than an hour of lag is no planned switch; use mode=emergency',
      })
      .default(30)
      .describe('replication lag (seconds) a planned switch accepts before it stops'),
    incidentId: text('incidentId').trim().min(1).optional().describe('the incident this run belongs to, for the audit trail and the notification'),
    detectedAt: z.iso
      .datetime({ offset: true })
      .max(64, 'detectedAt is at most 64 characters; write it as 2024-07-19T04:09:00Z')
      .optional()
      .describe('when the outage was detected (ISO 8601), so the RTO is also measured from detection'),
    verifyWindowSeconds: r
      .number('verifyWindowSeconds', {
        min: 0,
        max: 300,
        unit: 'seconds',
        belowMin: 'it is a length of time (0 checks health once)',
        aboveMax: "the verify step's own timeout is 6 minutes",
      })
      .default(10)
      .describe('how long health must stay green through the load balancer after the switch'),
    catchUpTimeoutSeconds: r
      .number('catchUpTimeoutSeconds', {
        min: 1,
        max: 240,
        unit: 'seconds',
        belowMin: 'the standby needs a moment to replay what the fenced primary wrote last',
        aboveMax: "the catch-up step's own timeout is 5 minutes",
      })
      .default(60)
      .describe('how long a planned switch waits for the standby to replay the fenced primary'),
  });
}

/** The switch's knobs as the CLI and every new run check them. */
export const SwitchOptions = switchOptions(ranged);
export type SwitchOptions = z.infer<typeof SwitchOptions>;

/** Two leads, never the requester: moving a service between regions is a decision for two people. */
const switchApproval = {
  approvers: { groups: ['sre-leads'] },
  quorum: 2,
  escalateAfter: '5 minutes',
  escalateEvery: '5 minutes',
  expireAfter: '1 hour',
} as const;

/**
 * The controlled switch from one region to the other, in the order an SRE follows it on paper. Timeouts are short:
 * a worker that dies mid-step is noticed only when its attempt times out, and that wait is downtime. Failover and failback
 * both run it; only one of `catchUp` (planned) and `recordPosition` (emergency) runs.
 */
export const switchSteps = {
  assess: step({
    uses: ['database', 'serviceMode'],
    title: 'Assess the source and the data at risk: replication lag in bytes and seconds, and whether the source answers',
    timeout: '15 seconds',
  }),
  approve: gate({ title: 'Two SRE leads approve the switch', policy: switchApproval }),
  drain: step({
    uses: ['traffic'],
    title: 'Drain the source region at the load balancer',
    undo: 'Restore the source region at the load balancer',
    timeout: '15 seconds',
    retry: { maximumAttempts: 5 },
  }),
  fence: step({
    uses: ['database'],
    title: 'Fence the source database where it answers (writes refused) and note its last WAL position',
    undo: 'Unfence the source database',
    timeout: '20 seconds',
  }),
  catchUp: step({
    uses: ['database'],
    title: 'Planned: wait until the standby has replayed everything the fenced primary wrote',
    timeout: '5 minutes',
    heartbeatTimeout: '10 seconds',
  }),
  recordPosition: step({
    uses: ['database'],
    title: "Emergency: record the standby's last replayed position and the estimated loss",
    timeout: '15 seconds',
  }),
  promote: step({
    uses: ['database'],
    title: 'Promote the standby to primary (the point of no return: the way back is a failback)',
    timeout: '45 seconds',
    retry: { maximumAttempts: 5, initialInterval: '2 seconds' },
  }),
  measureLoss: step({
    uses: ['database'],
    title: "Count acknowledged bookings the new primary lacks (where the estate's load counter runs), before clients write again",
    timeout: '20 seconds',
    retry: { maximumAttempts: 1 },
  }),
  openTarget: step({
    uses: ['database'],
    title: 'Switch the target service to read-write',
    timeout: '10 seconds',
  }),
  switchTraffic: step({
    uses: ['traffic'],
    title: 'Point the load balancer at the target region',
    timeout: '10 seconds',
    retry: { maximumAttempts: 5 },
  }),
  verify: step({
    uses: ['traffic', 'serviceMode'],
    title: 'Verify through the load balancer: a synthetic booking, then health green for the verify window',
    timeout: '6 minutes',
    heartbeatTimeout: '10 seconds',
  }),
} as const;

/** The last step of both runbooks. */
export const notifyStep = step({ title: 'Notify: RTO, RPO and each step’s timings', timeout: '30 seconds', skippable: true });

/** Both switch runbooks refuse the same region as source and target, naming the field to fix. */
export function differentRegions(input: { source?: string | undefined; target?: string | undefined }): boolean {
  return input.source === undefined || input.target === undefined || input.source !== input.target;
}
export const differentRegionsError = { message: 'source and target must be different regions', path: ['target'] };
