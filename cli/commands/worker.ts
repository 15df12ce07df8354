import { existsSync } from 'node:fs';
import { demoRosterPath, demoTrustRootPath } from '../../dev/demo-keys';
import { targetsPath } from '../../providers/targets/load';
import { workerVersionFrom } from '../../lib/worker-versioning';
import { rosterPathFrom, runWorker, trustRootFrom } from '../../worker';
import { commonOptions, type Command } from '../command';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker against the configured Temporal (TEMPORAL_ADDRESS, profile, or the local dev server)',
  usage:
    'lifeboat worker [--roster FILE] [--trust-root FILE] [--targets FILE] [--task-queue NAME] [--metrics-address HOST:PORT] [--otlp-endpoint URL] [--deployment NAME --build-id ID]',
  options: {
    ...commonOptions,
    roster: { type: 'string' },
    // The roster admins and their quorum (else LIFEBOAT_TRUST_ROOT): the roster is used only when they signed it.
    'trust-root': { type: 'string' },
    targets: { type: 'string' },
    'task-queue': { type: 'string' },
    // Prometheus `/metrics` on HOST:PORT (else LIFEBOAT_METRICS_ADDRESS); traces over OTLP/HTTP (else OTEL_EXPORTER_OTLP_ENDPOINT).
    'metrics-address': { type: 'string' },
    'otlp-endpoint': { type: 'string' },
    // Worker Versioning (else LIFEBOAT_DEPLOYMENT and LIFEBOAT_BUILD_ID): runs stay on the build they started on.
    deployment: { type: 'string' },
    'build-id': { type: 'string' },
  },
  async run(ctx, { values }) {
    const settings = ctx.settings();
    const taskQueue = (values['task-queue'] as string | undefined) ?? ctx.taskQueue;
    const version = workerVersionFrom({ deployment: values.deployment as string | undefined, buildId: values['build-id'] as string | undefined }, ctx.env);
    // Only next to the embedded dev server, whose demo made the demo roster, may a worker fall back to it (and to the
    // demo trust root that goes with it).
    const demo = settings.embedded && existsSync(demoRosterPath(ctx.env)) ? demoRosterPath(ctx.env) : undefined;
    const rosterPath = rosterPathFrom(values.roster as string | undefined, ctx.env, demo);
    const demoTrustRoot = rosterPath === demo && existsSync(demoTrustRootPath(ctx.env)) ? demoTrustRootPath(ctx.env) : undefined;
    await runWorker({
      rosterPath,
      trustRoot: trustRootFrom(values['trust-root'] as string | undefined, ctx.env, demoTrustRoot),
      targetsPath: targetsPath(values.targets as string | undefined, ctx.env),
      taskQueue,
      ...(values['metrics-address'] ? { metricsAddress: values['metrics-address'] as string } : {}),
      ...(values['otlp-endpoint'] ? { otlpEndpoint: values['otlp-endpoint'] as string } : {}),
      ...(version ? { version } : {}),
      env: ctx.env,
      onReady: () =>
        ctx.io.stderr(
          `worker polling ${taskQueue} on ${settings.connectionOptions.address} (namespace ${settings.namespace})` +
            `${version ? `, build ${version.buildId} of deployment ${version.deploymentName}` : ''}\n`,
        ),
    });
    return 0;
  },
};
