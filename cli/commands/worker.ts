import { existsSync } from 'node:fs';
import { demoRosterPath } from '../../lib/demo-keys';
import { targetsPath } from '../../providers/targets/load';
import { workerVersionFrom } from '../../lib/worker-versioning';
import { rosterPathFrom, runWorker } from '../../worker';
import { commonOptions, type Command } from '../command';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker against the configured Temporal (TEMPORAL_ADDRESS, profile, or the local dev server)',
  usage:
    'lifeboat worker [--roster FILE] [--targets FILE] [--task-queue NAME] [--metrics-address HOST:PORT] [--otlp-endpoint URL] [--deployment NAME --build-id ID]',
  options: {
    ...commonOptions,
    roster: { type: 'string' },
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
    await runWorker({
      // Only next to the embedded dev server, whose demo made the demo roster, may a worker fall back to it.
      rosterPath: rosterPathFrom(
        values.roster as string | undefined,
        ctx.env,
        settings.embedded && existsSync(demoRosterPath(ctx.env)) ? demoRosterPath(ctx.env) : undefined,
      ),
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
