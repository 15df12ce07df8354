import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** Where the embedded dev server listens when nothing else is configured. */
export const defaultAddress = 'localhost:7233';

export interface ConnectionSettings {
  connectionOptions: NativeConnectionOptions & { address: string };
  namespace: string;
  /** Whether this is the embedded default rather than a configured cluster. */
  embedded: boolean;
  /** Where the settings came from, for messages. */
  source: string;
}

/**
 * Temporal's own conventions, for the worker and the CLI alike: the profile named by
 * TEMPORAL_PROFILE in the config file (TEMPORAL_CONFIG_FILE or the default location), overridden
 * by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and the TEMPORAL_TLS_* variables.
 * With none of them set, the local dev server.
 */
export function connectionSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const { connectionOptions, namespace } = loadClientConnectConfig({
    ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
    overrideEnvVars,
  });
  const address = connectionOptions.address ?? defaultAddress;
  return {
    connectionOptions: { ...connectionOptions, address },
    namespace: namespace ?? 'default',
    embedded: connectionOptions.address === undefined,
    source:
      connectionOptions.address === undefined
        ? 'the embedded dev server'
        : env.TEMPORAL_ADDRESS
          ? 'TEMPORAL_ADDRESS'
          : `profile ${env.TEMPORAL_PROFILE ?? 'default'}`,
  };
}

/** The task queue Lifeboat's workers poll; one per deployment unless LIFEBOAT_TASK_QUEUE says otherwise. */
export function taskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFEBOAT_TASK_QUEUE ?? 'lifeboat';
}
