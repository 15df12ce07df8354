import { z } from 'zod';
import { defineRunbook, drillCheck, step } from '../kit';
import { ranged, type InputRanges } from './ranges';
import { differentRegions, differentRegionsError, notifyStep, switchOptions, switchSteps } from './region-switch';

function regionFailoverInput(r: InputRanges) {
  return switchOptions(r)
    .extend({
      mode: z
        .enum(['planned', 'emergency'])
        .describe('planned: the source is healthy and no acknowledged write may be lost; emergency: the source may be unreachable'),
    })
    .refine(differentRegions, differentRegionsError);
}

export const RegionFailoverInput = regionFailoverInput(ranged);
export type RegionFailoverInput = z.infer<typeof RegionFailoverInput>;

/** The planned failover's RPO budget (the defaults of rpoBudgetBytes and rpoBudgetSeconds), which a ready standby is within. */
const plannedLagBudget = { maxLagBytes: 16 * 1024 * 1024, maxLagSeconds: 30 };

/**
 * The services the target calls (`dependsOn` in the targets file) must serve from the region it moves to: checkin in
 * region B answers only while booking in region B does. Failback asks it too, of the region it returns to.
 */
export const dependenciesReady = {
  name: 'dependencies-ready',
  verifies:
    "every service the target depends on (dependsOn in the targets file) is ready in the target region: its standby streams within the planned failover's RPO budget (where it has a database), its service answers, and the traffic provider reaches it",
  fix: 'make the dependency ready in that region first (lifeboat readiness region-failover --target <dependency> shows what is wrong), or fail the dependency over before the service that calls it',
  probe: { kind: 'dependencies-ready' as const, ...plannedLagBudget },
};

/**
 * Moves a service to its secondary region: the recovery the July 2024 outage called for. Planned mode loses nothing
 * (the source is fenced and the standby catches up before promotion); emergency mode records what was lost.
 */
export const regionFailover = defineRunbook({
  id: 'region-failover',
  title: 'Fail a service over to its secondary region',
  description:
    'Preflight the target, assess the data at risk, get two approvals, drain and fence the source, let the standby catch up (planned) or record the loss (emergency), promote, switch traffic, verify, and report RTO and RPO.',
  workflowType: 'regionFailover',
  // Only kit steps come before its gates, so a run can carry itself over at a gate (continue-as-new).
  carryOver: true,
  input: RegionFailoverInput,
  target: (input) => input.service,
  objectives: { rtoSeconds: 15 * 60, rpoSeconds: 60 },
  // Emergency mode is the lost region; planned mode is the switchover DORA asks to rehearse.
  scenarios: ['region-loss', 'switchover'],
  readinessTarget: 'booking',
  readiness: [
    {
      name: 'standby-streaming',
      verifies: "the target region's standby streams from the primary, with its lag within the planned failover's RPO budget (16 MiB, 30 s)",
      fix: "restart replication on the standby (check primary_conninfo and the primary's pg_hba), or rebuild it with region-failback",
      // The defaults of rpoBudgetBytes and rpoBudgetSeconds: a planned failover over them stops at its assessment.
      probe: { kind: 'standby-streaming', ...plannedLagBudget },
    },
    {
      name: 'load-balancer-reaches-target',
      // The failover's preflight asks the same question (activities/region-switch.ts, judgeReach): a drained server that
      // passes its checks counts, since the switch puts it back in rotation.
      verifies: "the traffic provider's health checks pass for the target region's endpoint, and no operator put it in maintenance",
      fix: "bring the target's server back (HAProxy: set server ... state ready) and check its health check",
      probe: { kind: 'load-balancer-reaches-target' },
    },
    {
      name: 'target-service-healthy',
      verifies: "the target region's service answers and reaches its database",
      fix: "restart the target region's service and check that it reaches its database",
      probe: { kind: 'target-service-healthy' },
    },
    dependenciesReady,
    drillCheck(7),
  ],
  procedure: {
    preflight: step({
      uses: ['database', 'serviceMode', 'traffic'],
      title: 'Preflight the target: the standby is reachable and replaying, the target service is healthy, the load balancer reaches it',
      timeout: '20 seconds',
    }),
    ...switchSteps,
    notify: notifyStep,
  },
  drills: {
    isolated: {
      summary:
        'rehearses the database side on a clone of the target standby after the same preflight, assessment and approvals, and leaves production alone: no drain, fence, promotion or traffic switch',
      steps: {
        drillClone: step({
          uses: ['database'],
          title: 'Isolated drill only, instead of the switch: clone the target standby onto its own port (production is not touched)',
          undo: 'Remove the clone',
          timeout: '10 minutes',
          heartbeatTimeout: '30 seconds',
          retry: { maximumAttempts: 2 },
        }),
        drillPromote: step({ uses: ['database'], title: 'Isolated drill: promote the clone, measuring what a failover now would lose', timeout: '45 seconds' }),
        drillVerify: step({ uses: ['database'], title: 'Isolated drill: a synthetic booking on the promoted clone', timeout: '20 seconds' }),
        drillRemove: step({ title: 'Isolated drill: remove the clone', timeout: '1 minute', retry: { maximumAttempts: 5 } }),
      },
      order: ['preflight', 'assess', 'approve', 'drillClone', 'drillPromote', 'drillVerify', 'drillRemove'],
    },
    live: {
      summary: 'runs the real failover, then fails back to the home region, so the estate ends where it started',
      steps: {
        drillFailback: step({
          title:
            'Live drill only, after the failover: fail back to the home region (region-failback, a child run under its own gates), so the estate ends where it started',
          timeout: '1 hour',
          retry: { maximumAttempts: 1 },
          skippable: true,
        }),
      },
      // The whole procedure, then the way back.
      order: [
        'preflight',
        'assess',
        'approve',
        'drain',
        'fence',
        'catchUp',
        'recordPosition',
        'promote',
        'measureLoss',
        'openTarget',
        'switchTraffic',
        'verify',
        'notify',
        'drillFailback',
      ],
    },
  },
});
