import { z } from 'zod';
import { defineRunbook, step, type DelegationRule } from '../kit';
import { ranged, type InputRanges } from './ranges';
import { dependenciesReady } from './region-failover';
import { differentRegions, differentRegionsError, notifyStep, switchOptions, switchSteps } from './region-switch';

function regionFailbackInput(r: InputRanges) {
  return switchOptions(r).refine(differentRegions, differentRegionsError);
}

export const RegionFailbackInput = regionFailbackInput(ranged);
export type RegionFailbackInput = z.infer<typeof RegionFailbackInput>;

/**
 * When a region-failover run's own signed start covers a failback started as its child: only in a live drill, for the
 * same service, as a live drill too. Checked by the failback itself against its real parent.
 */
const liveDrillComesHome: DelegationRule = (parent, child) => {
  if (parent.runbook !== 'region-failover') return `the parent's start is for ${parent.runbook}, not region-failover`;
  if (parent.drill !== 'live' || child.drill !== 'live') return 'only a live drill of region-failover starts its own failback, as a live drill';
  const drilled = (parent.input as { service?: unknown } | null)?.service;
  const failingBack = (child.input as { service?: unknown } | null)?.service;
  if (typeof drilled !== 'string' || drilled !== failingBack) return `the drill was for service ${String(drilled)}, not ${String(failingBack)}`;
  return undefined;
};

/**
 * Reprotect, then return: after a failover the old primary is stale. Rebuild it as a standby of the new primary,
 * let it catch up, run the same controlled switch back (always planned: nothing may be lost), and rebuild the region
 * left behind as a standby with its server back in rotation, so the next failover (and readiness) finds the estate as
 * it was.
 */
export const regionFailback = defineRunbook({
  id: 'region-failback',
  title: 'Fail a service back to its home region',
  description:
    'Rebuild the old primary as a standby of the new one (pg_rewind, else a fresh base backup), wait for it to catch up, switch back under two approvals with no data loss, and reprotect the region left behind.',
  workflowType: 'regionFailback',
  // Only kit steps come before its gates, so a run can carry itself over at a gate (continue-as-new).
  carryOver: true,
  input: RegionFailbackInput,
  removedInputs: {
    rebuildTimeoutSeconds: "the rebuild's timeout is fixed (the rebuild step's own 31 minutes an attempt), so nothing read it",
  },
  target: (input) => input.service,
  // A live drill of region-failover comes home by itself: its failback runs as its child, on the drill's signed start.
  delegatedFrom: { regionFailover: liveDrillComesHome },
  objectives: { rtoSeconds: 30 * 60, rpoSeconds: 0 },
  // Always planned: a switchover back home, never the response to a loss.
  scenarios: ['switchover'],
  readinessTarget: 'booking',
  // The region it returns to must serve what the service calls, as for a failover.
  readiness: [dependenciesReady],
  procedure: {
    resolve: step({ uses: ['traffic'], title: 'Find the regions: the source is where the load balancer sends clients now', timeout: '30 seconds' }),
    rebuild: step({
      uses: ['rebuild'],
      title: 'Rebuild the old primary as a standby of the current primary (pg_rewind where possible, otherwise a fresh base backup)',
      timeout: '31 minutes',
      heartbeatTimeout: '30 seconds',
      retry: { maximumAttempts: 2 },
    }),
    preflight: step({
      uses: ['database', 'serviceMode', 'traffic'],
      title: 'Wait until the rebuilt standby streams and has caught up; its service is healthy and the load balancer reaches it',
      timeout: '5 minutes',
      heartbeatTimeout: '10 seconds',
    }),
    ...switchSteps,
    reprotect: step({
      // The rebuild, then its server back in rotation at the load balancer, as a fresh estate has its standby.
      uses: ['rebuild', 'traffic'],
      title: 'Rebuild the region left behind as a standby of the new primary, so the next failover works',
      timeout: '31 minutes',
      heartbeatTimeout: '30 seconds',
      retry: { maximumAttempts: 2 },
      skippable: true,
    }),
    notify: notifyStep,
  },
  drills: {
    isolated: { refused: 'it rebuilds real databases. Rehearse it with --drill live on a drill estate, after a live failover drill' },
  },
});
