import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { runningDevServerAddress } from './dev-record';

/** Where the embedded dev server listens when nothing else is configured. */
export const defaultAddress = 'localhost:7233';

export interface ConnectionSettings {
  connectionOptions: NativeConnectionOptions & { address: string };
  /**
   * Every cluster address configured, first the one in `connectionOptions`: `TEMPORAL_ADDRESS=a:7233,b:7233` names a
   * cluster per region, which the CLI and the console follow to wherever the namespace is active. A worker polls the
   * first, its own region's.
   */
  addresses: string[];
  namespace: string;
  /** Whether this is the embedded default rather than a configured cluster. */
  embedded: boolean;
  /** Where the settings came from, for messages. */
  source: string;
}

/**
 * A connection setting that contradicts another, or is not what it should be. Thrown by {@link connectionSettings};
 * `problem` names the variables, `suggestion` says which one to change. The CLI prints it as bad usage (exit 2).
 */
export class ConnectionConfigError extends Error {
  override readonly name = 'ConnectionConfigError';
  constructor(
    readonly problem: string,
    readonly suggestion: string,
  ) {
    super(problem);
  }
}

/**
 * Temporal's own conventions, for the worker and the CLI alike: the profile named by
 * TEMPORAL_PROFILE in the config file (TEMPORAL_CONFIG_FILE or the default location), overridden
 * by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and the TEMPORAL_TLS_* variables.
 * With no address among them, the embedded dev server: the one a running `npm start` of this checkout started (its
 * record in `.state/dev.json`), else the one on LIFEBOAT_DEV_PORT (127.0.0.1), else the default port. An address and
 * LIFEBOAT_DEV_PORT together must name the same local server, or it is a {@link ConnectionConfigError}: one of them
 * would otherwise be ignored, and the CLI might talk to someone else's server.
 */
export function connectionSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const { connectionOptions, namespace } = loadClientConnectConfig({
    ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
    overrideEnvVars,
  });
  const devPort = devPortOf(env);
  const listed = addressList(connectionOptions.address);
  const configured = listed?.[0];
  const settings = (address: string, embedded: boolean, source: string): ConnectionSettings => ({
    connectionOptions: { ...connectionOptions, address },
    addresses: address === configured ? listed! : [address],
    namespace: namespace ?? 'default',
    embedded,
    source,
  });
  if (configured !== undefined) {
    const variable = env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : `the address of profile ${env.TEMPORAL_PROFILE ?? 'default'} (TEMPORAL_PROFILE)`;
    if (devPort === undefined) return settings(configured, false, env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : `profile ${env.TEMPORAL_PROFILE ?? 'default'}`);
    if (isLocalPort(configured, devPort)) return settings(configured, true, `${variable}, the embedded dev server on LIFEBOAT_DEV_PORT`);
    throw new ConnectionConfigError(
      `${variable} is ${configured} but LIFEBOAT_DEV_PORT is ${devPort}: they name different Temporal servers`,
      `to use ${configured}, unset LIFEBOAT_DEV_PORT; to use the embedded dev server on port ${devPort}, unset ${env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : 'TEMPORAL_PROFILE'} (or set TEMPORAL_ADDRESS=127.0.0.1:${devPort})`,
    );
  }
  const recorded = runningDevServerAddress(env);
  if (devPort !== undefined) {
    return recorded !== undefined && isLocalPort(recorded, devPort)
      ? settings(recorded, true, `LIFEBOAT_DEV_PORT, the embedded dev server npm start started`)
      : settings(`127.0.0.1:${devPort}`, true, 'LIFEBOAT_DEV_PORT');
  }
  if (recorded !== undefined) return settings(recorded, true, 'the embedded dev server npm start started');
  return settings(defaultAddress, true, 'the embedded dev server');
}

/** A comma-separated list of addresses, as TEMPORAL_ADDRESS may give one per region; undefined when there is none. */
function addressList(text: string | undefined): string[] | undefined {
  const addresses = [...new Set((text ?? '').split(',').map((a) => a.trim()))].filter((a) => a !== '');
  return addresses.length > 0 ? addresses : undefined;
}

/** LIFEBOAT_DEV_PORT as a port number, or undefined when it is not set. */
function devPortOf(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.LIFEBOAT_DEV_PORT;
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port < 1 || port > 65535) {
    throw new ConnectionConfigError(
      `LIFEBOAT_DEV_PORT must be a port number, not "${text}"`,
      'set LIFEBOAT_DEV_PORT to the port of the embedded dev server, such as 7233, or unset it',
    );
  }
  return port;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether `address` (host:port) is this machine's port `port`: how the embedded dev server is reached. */
export function isLocalPort(address: string, port: number): boolean {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return false;
  return loopbackHosts.has(address.slice(0, colon).toLowerCase()) && Number(address.slice(colon + 1)) === port;
}

/** The task queue Lifeboat's workers poll; one per deployment unless LIFEBOAT_TASK_QUEUE says otherwise. */
export function taskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env.LIFEBOAT_TASK_QUEUE ?? 'lifeboat';
}
