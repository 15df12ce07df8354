import { userInfo } from 'node:os';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type ConnectionOptions } from '@temporalio/client';
import { CodecConfigError, dataConverterFromEnv } from '../lib/codec';
import { ConnectionConfigError, connectionSettings, taskQueue, type ConnectionSettings } from '../lib/connection';
import { terminalSafeJson } from '../lib/terminal-text';
import { clusterCandidates } from './cluster-candidates';
import { CliError, ExitCode } from './errors';
import { FollowingConnection, NoClusterAnswers } from './following-connection';
import { claimedRosterId, cliRosterIds, type NameSource } from './identity';

/** What every command gets: output streams, the environment, and a lazily made Temporal client. */
export class CliContext {
  private connection: Connection | FollowingConnection | undefined;
  private clientPromise: Promise<Client> | undefined;

  constructor(
    readonly io: { stdout: (text: string) => void; stderr: (text: string) => void },
    readonly env: NodeJS.ProcessEnv,
    readonly json: boolean,
  ) {}

  /**
   * `--as`, then LIFEBOAT_USER, then the OS user, normalised as the workflow compares names with roster ids
   * (NFKC, trimmed, lower case). It is only a claim: the signature proves it, or the run refuses it. A name that is
   * no roster id is refused here, exit 2, before anything starts (see `claimedRosterId`).
   */
  identity(as: string | undefined): string {
    const [who, source]: [string | undefined, NameSource] =
      as !== undefined ? [as, '--as'] : this.env.LIFEBOAT_USER !== undefined ? [this.env.LIFEBOAT_USER, 'LIFEBOAT_USER'] : [safeUsername(), 'your login name'];
    if (!who) throw new CliError('cannot tell who you are', { code: 'no-identity', suggestion: 'pass --as USER or set LIFEBOAT_USER' });
    // Not a roster id (a look-alike letter, an invisible character, nobody the roster lists): refused before anything starts.
    // The login name is only a default, and a statement signed elsewhere names its own signer, so the roster is asked
    // about it only when something is signed with it (`signed`).
    return claimedRosterId(who, source, source === 'your login name' ? undefined : () => cliRosterIds(this.env, () => this.settings()));
  }

  get taskQueue(): string {
    return taskQueue(this.env);
  }

  settings(): ConnectionSettings {
    try {
      return connectionSettings(this.env);
    } catch (err) {
      if (err instanceof ConnectionConfigError)
        throw new CliError(err.problem, { code: 'connection-config', suggestion: err.suggestion, exitCode: ExitCode.usage });
      throw err;
    }
  }

  async client(): Promise<Client> {
    this.clientPromise ??= (async () => {
      const settings = this.settings();
      const dataConverter = this.dataConverter();
      const candidates = clusterCandidates(settings, this.env);
      // A history page with large (forged) signals can pass gRPC's default 4 MiB; verify and status must still read it.
      const options = (address: string): ConnectionOptions => ({
        ...settings.connectionOptions,
        address,
        channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 },
      });
      try {
        if (candidates.length > 1) {
          // A cluster per region: follow the one where the namespace is active, saying so on stderr when it is not the first.
          const following = new FollowingConnection({
            candidates,
            namespace: settings.namespace,
            // Connected on first use, with few quick tries per call: a cluster that refuses is known dead in a
            // fraction of a second (not at a connect timeout), and the follower, not gRPC, tries again, on whichever
            // cluster is active by then.
            dial: async (address) =>
              Connection.lazy({ ...options(address), interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))] }),
            say: (line) => this.io.stderr(`${line}\n`),
          });
          this.connection = following;
          await following.ensureConnected();
        } else {
          this.connection = await Connection.connect({ ...options(candidates[0]?.address ?? settings.connectionOptions.address), connectTimeout: 5_000 });
        }
      } catch (err) {
        const where = candidates.length > 1 ? `any of ${candidates.map((c) => c.address).join(', ')}` : settings.connectionOptions.address;
        const why = err instanceof NoClusterAnswers ? err.message : (err as Error).message;
        throw new CliError(`cannot reach Temporal at ${where} (${settings.source}): ${why}`, {
          code: 'unreachable',
          suggestion: settings.embedded
            ? 'start the embedded server and worker with `npm start` (or `npx lifeboat dev`)'
            : 'check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, the TEMPORAL_TLS_* certificates (TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH) or your TEMPORAL_PROFILE; docs/production.md, "Connecting to Temporal"',
        });
      }
      return new Client({ connection: this.connection, namespace: settings.namespace, ...(dataConverter ? { dataConverter } : {}) });
    })();
    return this.clientPromise;
  }

  /** The payload codec LIFEBOAT_CODEC_KEYS or LIFEBOAT_CODEC_KEY configures, as the client's data converter. */
  dataConverter(): ReturnType<typeof dataConverterFromEnv> {
    try {
      return dataConverterFromEnv(this.env);
    } catch (err) {
      if (err instanceof CodecConfigError) throw new CliError(err.problem, { code: 'codec-config', suggestion: err.suggestion, exitCode: ExitCode.usage });
      throw err;
    }
  }

  print(text: string): void {
    this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout(`${terminalSafeJson(value, 2)}\n`);
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
  }
}

function safeUsername(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
