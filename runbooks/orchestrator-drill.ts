import { z } from 'zod';
import { defineRunbook, drillCheck, gate, step } from '../kit';

/**
 * Nothing the run acts on comes from its input: the namespace is the run's own, and the cluster it fails over to is
 * the other one Temporal replicates that namespace to. The input only says how long to stay there.
 */
export const OrchestratorDrillInput = z.object({
  holdSeconds: z
    .number()
    .int()
    .min(0)
    .max(300)
    .default(5)
    .describe('how long the run stays on the other cluster, moving on there, before it fails the namespace back (0 to 300 seconds)'),
});
export type OrchestratorDrillInput = z.infer<typeof OrchestratorDrillInput>;

/**
 * Rehearses the loss of the orchestrator's own region: the run fails its own global namespace over to the other
 * Temporal cluster in the middle of itself, checks that it goes on there (its next step runs on that cluster's
 * worker), and fails back. Its report gives how long the failover took, the replication lag at the switch, and how
 * long the run waited before it moved on. Only as a live drill: a failover of the namespace is never isolated.
 */
export const orchestratorDrill = defineRunbook({
  id: 'orchestrator-drill',
  title: 'Orchestrator failover drill',
  description: "Fail the orchestrator's global namespace over to its other Temporal cluster mid-run, check the run finishes there, and fail back.",
  workflowType: 'orchestratorDrill',
  input: OrchestratorDrillInput,
  target: () => 'orchestrator',
  // From asking for the failover until the run moves on on the other cluster.
  objectives: { rtoSeconds: 60 },
  scenarios: ['region-loss'],
  readinessTarget: 'orchestrator',
  readiness: [drillCheck(30)],
  procedure: {
    clusters: step({ title: "Read the namespace's clusters from Temporal: the active one and the one to fail over to", timeout: '30 seconds' }),
    approve: gate({
      title: "An SRE lead approves failing the orchestrator's namespace over and back",
      policy: { approvers: { groups: ['sre-leads'] }, quorum: 1, escalateAfter: '10 minutes', escalateEvery: '10 minutes', expireAfter: '1 hour' },
    }),
    lag: step({ title: 'Measure how far the other cluster is behind this run, and let it catch up', timeout: '40 seconds' }),
    failover: step({
      title: 'Fail the namespace over to the other cluster',
      timeout: '20 seconds',
      // A completion the old cluster did not replicate is lost with the switch: the step runs again there, and the
      // failover, already made, changes nothing more.
      activityRetry: { maximumAttempts: 5, initialInterval: '1 second' },
      undo: 'fail the namespace back to the cluster it was active in',
    }),
    continueThere: step({
      title: "Check the run goes on on the other cluster's worker",
      timeout: '10 seconds',
      activityRetry: { maximumAttempts: 30, initialInterval: '1 second', backoffCoefficient: 1 },
    }),
    failback: step({ title: 'Fail the namespace back', timeout: '20 seconds', activityRetry: { maximumAttempts: 5, initialInterval: '1 second' } }),
    continueHome: step({
      title: "Check the run goes on on the first cluster's worker again",
      timeout: '10 seconds',
      activityRetry: { maximumAttempts: 30, initialInterval: '1 second', backoffCoefficient: 1 },
    }),
  },
  drills: {
    isolated: { refused: "a failover of the orchestrator's namespace cannot be isolated; rehearse it with --drill live" },
  },
});
