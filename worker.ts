import { resolve } from 'node:path';
import { Runtime, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { notifyConfigFromEnv } from './activities/notify';
import { readSealedRoster, RosterError } from './activities/roster';
import { activityGuard } from './lib/activity-guard';
import { dataConverterFromEnv } from './lib/codec';
import { connectionSettings, taskQueue as defaultTaskQueue } from './lib/connection';
import { sampleRosterPath, repoRoot } from './lib/paths';
import { CliError, ExitCode } from './cli/errors';
import { archiveSettingsFromEnv } from './cli/evidence/archive-settings';
import { createArchiverActivities } from './cli/evidence/archiver-activities';
import { createFindingsActivities } from './cli/findings/activities';
import { orchestratorNamespaceToPoll, runWithOrchestratorWorker } from './cli/orchestrator/failover-worker';
import { ArchiverImpostorError, ensureEvidenceArchiver, watchEvidenceArchiver } from './cli/evidence/archiver-start';
import { EVIDENCE_ARCHIVER_ID } from './workflows/evidence-archiver';
import { ensureSearchAttributes } from './lib/search-attributes';
import { publishArchiveMetrics } from './lib/archive-metrics';
import { publishRunMetrics } from './lib/run-metrics';
import { publishRosterLoadable } from './lib/roster-metrics';
import { createTracing, installRuntime, telemetrySettingsFrom, type Tracing } from './lib/telemetry';
import { buildBundle, freshBundlePath, workflowInterceptorModules } from './lib/workflow-bundle';
import { deploymentOptions, type WorkerVersion } from './lib/worker-versioning';
import { createWorkerFactsWorker, runWithFactsWorker, workerIdentity } from './lib/worker-facts-worker';
import { targetsPath as defaultTargetsPath } from './providers/targets/load';
import type { TrustRoot } from './lib/roster-seal';
import { readTrustRoot, trustRootExample, trustRootPathFrom, TrustRootError } from './lib/trust-root';

export interface LifeboatWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  rosterPath: string;
  /**
   * The roster admins and their quorum: the worker uses a roster only when that many of them signed it. Default: the
   * file LIFEBOAT_TRUST_ROOT names; a worker with neither refuses to start.
   */
  trustRoot?: TrustRoot;
  /** The targets file; defaults to LIFEBOAT_TARGETS, then ./lifeboat.targets.json, then the sample estate's. */
  targetsPath?: string;
  /**
   * How the worker names itself in every event it records (`lifeboat@eu-west-1/host-7`), so a history shows which
   * region's worker ran each step. Default: LIFEBOAT_WORKER_IDENTITY, else the SDK's pid@host.
   */
  identity?: string;
  /** Extra or replacement activities (tests add their own). */
  activities?: object;
  /** Use this workflows folder instead of the product's (tests bundle their own). */
  workflowsPath?: string;
  /** Bundle at start even when a fresh prebuilt bundle exists. */
  bundleAtStart?: boolean;
  /** Tracing's interceptors and sinks (lib/telemetry.ts); without them workflow spans are dropped. */
  tracing?: Tracing['options'];
  /** Worker Versioning (lib/worker-versioning.ts): runs are pinned to the build they started on. Off when absent. */
  version?: WorkerVersion;
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks the roster: --roster, then LIFEBOAT_ROSTER. Only the demo (`lifeboat dev`) falls back, to the demo roster
 * that lists its generated keys; a worker anywhere else refuses to start without a roster named on purpose.
 */
export function rosterPathFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, fallback?: string): string {
  const named = flag ?? env.LIFEBOAT_ROSTER;
  if (named) return resolve(named);
  if (fallback) return fallback;
  throw new CliError('no roster: a worker decides who may approve from the roster, so it needs one named on purpose', {
    code: 'no-roster',
    suggestion: `pass --roster FILE or set LIFEBOAT_ROSTER (the format is in ${sampleRosterPath}); only \`npm start\` uses the demo roster by itself`,
    exitCode: ExitCode.usage,
  });
}

/**
 * Reads the trust root a worker is given (`--trust-root`, else LIFEBOAT_TRUST_ROOT, else `fallback`), once at start.
 * Without one the worker refuses to start: it could not tell a roster its admins signed from an edited one.
 */
export function trustRootFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, fallback?: string): TrustRoot {
  const path = trustRootPathFrom(flag, env, fallback);
  if (!path)
    throw new CliError('no trust root: a worker uses a roster only when the roster admins signed it, and the trust root names them', {
      code: 'no-trust-root',
      suggestion: `pass --trust-root FILE or set LIFEBOAT_TRUST_ROOT; the file looks like ${trustRootExample} (docs/production.md, "The roster seal")`,
      exitCode: ExitCode.usage,
    });
  try {
    return readTrustRoot(path);
  } catch (err) {
    if (err instanceof TrustRootError)
      throw new CliError(err.message, { code: 'invalid-trust-root', suggestion: 'fix the field named above in the trust root file', exitCode: ExitCode.usage });
    throw err;
  }
}

/**
 * Creates the worker. Workflow code comes from the prebuilt bundle when it matches the sources
 * (fast start), and is bundled at start otherwise. The roster and its seal are checked now, so a
 * broken or unsigned roster stops the worker here rather than at the first gate.
 */
export async function createLifeboatWorker(options: LifeboatWorkerOptions): Promise<Worker> {
  const env = options.env ?? process.env;
  const trustRoot = options.trustRoot ?? trustRootFrom(undefined, env);
  try {
    await readSealedRoster(options.rosterPath, trustRoot);
  } catch (err) {
    if (!(err instanceof RosterError)) throw err;
    throw new CliError(err.message, {
      code: 'roster-not-signed',
      suggestion: `each roster admin runs lifeboat roster sign --roster ${options.rosterPath} --as ADMIN; lifeboat roster check --roster ${options.rosterPath} shows who has`,
    });
  }
  const log = (message: string, fields: Record<string, unknown>) => Runtime.instance().logger.info(message, fields);
  const dataConverter = dataConverterFromEnv(env);
  if (dataConverter) log('payloads are encrypted (binary/encrypted)', { encryptionKeyId: dataConverter.payloadCodecs[0]?.currentKeyId });
  const targetsPath = options.targetsPath ?? defaultTargetsPath(undefined, env);
  const identity = options.identity ?? env.LIFEBOAT_WORKER_IDENTITY;
  log('acting on the systems of the targets file', { targetsPath });
  // With LIFEBOAT_EVIDENCE_STORE set, the worker also serves the evidence archiver's activities (cli/evidence/).
  const archive = archiveSettingsFromEnv(env, { rosterPath: options.rosterPath, targetsPath });
  if (archive) log('archives the evidence of every finished run', { store: archive.store.location, signer: archive.signer.id });
  const activities = {
    ...createActivities({ rosterPath: options.rosterPath, trustRoot, notify: notifyConfigFromEnv(env, log), targetsPath }),
    ...(archive ? createArchiverActivities(archive) : {}),
    // Findings are sealed into the same archive, so the findings workflows' activities come with it (cli/findings/).
    ...(archive ? createFindingsActivities(archive, undefined, trustRoot) : {}),
    ...options.activities,
  };
  const prebuilt = options.workflowsPath || options.bundleAtStart ? undefined : freshBundlePath();
  const workflowSource: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = prebuilt
    ? { workflowBundle: { codePath: prebuilt } }
    : options.workflowsPath
      ? { workflowsPath: options.workflowsPath }
      : { workflowBundle: { codePath: await buildBundle() } };
  const tracing = options.tracing ?? createTracing({ serviceName: 'lifeboat-worker' }).options;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    ...workflowSource,
    ...tracing,
    interceptors: {
      ...tracing.interceptors,
      // Activities act only for runs on this task queue, as scheduled by their current run (see lib/activity-guard.ts).
      activity: [activityGuard(), ...(tracing.interceptors?.activity ?? [])],
      // A bundle made here from a workflows folder gets the interceptors the prebuilt bundle carries.
      ...(options.workflowsPath && !prebuilt ? { workflowModules: workflowInterceptorModules } : {}),
    },
    ...(dataConverter ? { dataConverter } : {}),
    ...(identity ? { identity } : {}),
    ...(options.version ? { workerDeploymentOptions: deploymentOptions(options.version) } : {}),
  });
}

/** `lifeboat worker`: connects with Temporal's conventions and runs until SIGINT or SIGTERM. */
export async function runWorker(opts: {
  rosterPath: string;
  /** The roster admins and quorum (see {@link trustRootFrom}); default: LIFEBOAT_TRUST_ROOT. */
  trustRoot?: TrustRoot;
  targetsPath?: string;
  taskQueue?: string;
  /** Prometheus endpoint `host:port`; default LIFEBOAT_METRICS_ADDRESS, else none. */
  metricsAddress?: string;
  /** OTLP/HTTP base URL for traces; default OTEL_EXPORTER_OTLP_ENDPOINT, else no tracing. */
  otlpEndpoint?: string;
  version?: WorkerVersion;
  env?: NodeJS.ProcessEnv;
  onReady?: () => void;
}): Promise<void> {
  const env = opts.env ?? process.env;
  // Before any connection: a worker without a trust root never starts.
  const trustRoot = opts.trustRoot ?? trustRootFrom(undefined, env);
  const telemetry = telemetrySettingsFrom(opts, env);
  installRuntime(telemetry, env);
  const tracing = createTracing(telemetry);
  const settings = connectionSettings(env);
  const connection = await NativeConnection.connect(settings.connectionOptions);
  let stopRunMetrics: (() => Promise<void>) | undefined;
  let stopArchiverWatch: (() => void) | undefined;
  try {
    await ensureSearchAttributes(connection, settings.namespace, settings.connectionOptions.address);
    const taskQueue = opts.taskQueue ?? defaultTaskQueue(env);
    // Named here rather than by the SDK, so the worker's own queue (below) carries the name its pollers show.
    const identity = workerIdentity(env.LIFEBOAT_WORKER_IDENTITY);
    const worker = await createLifeboatWorker({
      connection,
      namespace: settings.namespace,
      taskQueue,
      rosterPath: opts.rosterPath,
      trustRoot,
      identity,
      ...(opts.targetsPath ? { targetsPath: opts.targetsPath } : {}),
      tracing: tracing.options,
      ...(opts.version ? { version: opts.version } : {}),
      env,
    });
    if (telemetry.metricsAddress) {
      // A roster that breaks after start would refuse every start while the worker looks healthy: say so in a gauge.
      const stopRosterGauge = publishRosterLoadable({ identity, rosterPath: opts.rosterPath, trustRoot });
      const dataConverter = dataConverterFromEnv(env);
      const stopRunGauges = publishRunMetrics({
        connection,
        namespace: settings.namespace,
        taskQueue,
        ...(dataConverter ? { dataConverter } : {}),
        onError: (err) => Runtime.instance().logger.warn('could not read open runs for the metrics', { error: String(err) }),
      });
      // Archiving that keeps failing shows in lifeboat_evidence_archive_stuck, on every worker that archives.
      const stopArchiveGauges = env.LIFEBOAT_EVIDENCE_STORE
        ? publishArchiveMetrics({
            connection,
            namespace: settings.namespace,
            onError: (err) => Runtime.instance().logger.warn('could not read the evidence archiver for the metrics', { error: String(err) }),
          })
        : () => undefined;
      stopRunMetrics = async () => {
        stopRosterGauge();
        stopArchiveGauges();
        await stopRunGauges();
      };
    }
    // `lifeboat workers` asks each worker, on its own task queue, which build, roster, targets file and trust root it
    // uses (lib/worker-facts-worker.ts), so a region running other files than the rest is seen before an incident.
    const factsWorker = await createWorkerFactsWorker({
      connection,
      namespace: settings.namespace,
      identity,
      rosterPath: opts.rosterPath,
      trustRoot,
      targetsPath: opts.targetsPath ?? defaultTargetsPath(undefined, env),
      env,
    });
    // Failovers of the orchestrator itself are decided in this cluster's local namespace (cli/orchestrator/failover.ts),
    // which answers while the global namespace is not active here; the same workflows, activities and roster serve it.
    const localNamespace = orchestratorNamespaceToPoll(env);
    const orchestratorWorker = localNamespace
      ? await createLifeboatWorker({
          connection,
          namespace: localNamespace,
          taskQueue,
          rosterPath: opts.rosterPath,
          trustRoot,
          identity,
          ...(opts.targetsPath ? { targetsPath: opts.targetsPath } : {}),
          tracing: tracing.options,
          env,
        })
      : undefined;
    if (env.LIFEBOAT_EVIDENCE_STORE) stopArchiverWatch = await startEvidenceArchiver(connection, settings.namespace, taskQueue);
    opts.onReady?.();
    await runWithOrchestratorWorker(worker, () => runWithFactsWorker(worker, factsWorker), orchestratorWorker);
  } finally {
    stopArchiverWatch?.();
    await stopRunMetrics?.();
    await tracing.shutdown();
    await connection.close();
  }
}

/**
 * Starts the namespace's evidence archiver unless it runs already, then keeps checking (every 30 s) that it still
 * runs: one an insider terminated is started again, and picks up from what the store holds. When its workflow ID is
 * held by something else, the worker still runs runbooks (a run never waits for its archiving) but says, as an error,
 * that nothing is archived. Returns the function that stops the checking.
 */
async function startEvidenceArchiver(connection: NativeConnection, namespace: string, taskQueue: string): Promise<() => void> {
  const logger = Runtime.instance().logger;
  const impostor = (err: ArchiverImpostorError) => logger.error(`EVIDENCE IS NOT ARCHIVED: ${err.message}`, { workflowId: EVIDENCE_ARCHIVER_ID });
  try {
    const archiver = await ensureEvidenceArchiver({ connection, namespace, taskQueue });
    logger.info('the evidence archiver runs', archiver);
  } catch (err) {
    if (!(err instanceof ArchiverImpostorError)) throw err;
    impostor(err);
  }
  return watchEvidenceArchiver({
    connection,
    namespace,
    taskQueue,
    intervalMs: 30_000,
    onImpostor: impostor,
    onError: (err) => logger.warn('could not check the evidence archiver', { error: String(err) }),
  });
}

export { repoRoot };
