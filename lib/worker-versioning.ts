import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { CliError, ExitCode } from './command-error';

/** A worker's place in Worker Versioning: the deployment it belongs to and the build of the code it runs. */
export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
}

/**
 * Reads the worker's version: --deployment and --build-id, else LIFEBOAT_DEPLOYMENT and LIFEBOAT_BUILD_ID. Neither
 * means an unversioned worker, as before; one without the other is refused, since a worker that half opts in would
 * silently take runs of every build.
 */
export function workerVersionFrom(flags: { deployment?: string; buildId?: string }, env: NodeJS.ProcessEnv = process.env): WorkerVersion | undefined {
  const deploymentName = flags.deployment ?? env.LIFEBOAT_DEPLOYMENT;
  const buildId = flags.buildId ?? env.LIFEBOAT_BUILD_ID;
  if (!deploymentName && !buildId) return undefined;
  if (!deploymentName || !buildId) {
    throw new CliError(`worker versioning needs both a deployment and a build id; only the ${deploymentName ? 'deployment' : 'build id'} is set`, {
      code: 'half-versioned-worker',
      suggestion: 'pass both --deployment NAME and --build-id ID (or LIFEBOAT_DEPLOYMENT and LIFEBOAT_BUILD_ID), or neither',
      exitCode: ExitCode.usage,
    });
  }
  if (deploymentName.includes('.')) {
    throw new CliError(`deployment name "${deploymentName}" contains a dot`, {
      code: 'bad-deployment-name',
      suggestion: 'Temporal writes a version as deployment.buildId, so pick a deployment name without dots (lifeboat, lifeboat-eu)',
      exitCode: ExitCode.usage,
    });
  }
  return { deploymentName, buildId };
}

/**
 * The worker's deployment options. Runbook runs are PINNED: a run finishes on the build it started on, so changed
 * runbook code never replays a run that an older build began (a manual-booking-mode run can hold for days).
 */
export function deploymentOptions(version: WorkerVersion): WorkerDeploymentOptions {
  return { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}
