import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { RegionName } from '../contracts/provider';
import type { PatroniRegion } from './settings';

/** `GET /patroni`: one member as it sees itself. Patroni 3 says `master` for a leader; 4 says `primary`. */
export interface PatroniMember {
  state: string;
  role: 'master' | 'primary' | 'standby_leader' | 'replica' | string;
  timeline?: number;
  patroni?: { version?: string; scope?: string };
}

/** `GET /cluster`: the members of the region's cluster; the leader's role is `leader` or `standby_leader`. */
export interface PatroniCluster {
  members: { name: string; role: string; state: string; host?: string; port?: number; api_url?: string; timeline?: number; lag?: number | string }[];
}

/** Where a standby cluster streams from: the `standby_cluster` section of the dynamic configuration. */
export interface StandbyClusterConfig {
  host?: string;
  port?: number | string;
  create_replica_methods?: string[];
  [key: string]: unknown;
}

/** `GET /config`: the cluster's dynamic configuration, kept in the DCS and applied by every member. */
export interface DynamicConfig {
  loop_wait?: number;
  ttl?: number;
  postgresql?: { use_pg_rewind?: boolean; parameters?: Record<string, unknown> };
  standby_cluster?: StandbyClusterConfig | null;
  [key: string]: unknown;
}

/**
 * The REST API of one region's Patroni. Unreachable, a timeout or a 5xx is a plain error (a retry may help); 401/403
 * and other 4xx are non-retryable refusals whose message names the fix. Unsafe methods carry `restAuth`'s Basic
 * credentials; a message names the user and the variable, never the password.
 */
export class PatroniRest {
  constructor(
    readonly region: RegionName,
    private readonly settings: PatroniRegion,
    private readonly timeoutMs: number,
    /** Where the targets file keeps this cluster's settings, for messages: `services.<service>.database`. */
    private readonly settingsPath: string,
  ) {}

  get url(): string {
    return this.settings.restUrl.replace(/\/+$/, '');
  }

  member = () => this.call<PatroniMember>('GET', '/patroni');
  cluster = () => this.call<PatroniCluster>('GET', '/cluster');
  config = () => this.call<DynamicConfig>('GET', '/config');
  /** Merges `patch` into the dynamic configuration (a `null` removes a key); Patroni applies it on its next loop. */
  patchConfig = (patch: DynamicConfig) => this.call<DynamicConfig>('PATCH', '/config', patch);
  /**
   * The dynamic configuration as the DCS holds it now. `GET /config` answers from Patroni's cached view, which lags a
   * change by up to a loop; a PATCH reads the DCS itself, and removing a key that is not there writes nothing.
   */
  freshConfig = () => this.patchConfig({ lifeboat_fresh_read: null });

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.url}${path}`;
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    // Patroni asks for restapi.authentication on unsafe methods only; its GETs answer anyone who can reach them.
    if (method !== 'GET') Object.assign(headers, this.authorization());
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new Error(`Patroni REST API of region ${this.region} (${url}) unreachable: ${cause}`);
    }
    const text = await response.text();
    // GET /patroni answers 503 with its JSON when the member is not running; the body is still what we want.
    if (response.ok || (method === 'GET' && response.status === 503 && text.startsWith('{'))) return JSON.parse(text) as T;
    const said = `${method} ${url}: HTTP ${response.status}: ${text.trim().slice(0, 300)}`;
    if (response.status === 401 || response.status === 403) throw providerFailure(ProviderErrorType.Refused, `${said}; ${this.refusalFix(response.status)}`);
    // 409: someone changed the configuration between Patroni's read and its write; the next attempt reads it again.
    if (response.status >= 400 && response.status < 500 && response.status !== 409) throw providerFailure(ProviderErrorType.Refused, said);
    throw new Error(said);
  }

  /** Where the targets file keeps this region's REST credentials, for messages. */
  private get authSetting(): string {
    return `${this.settingsPath}.regions.${this.region}.restAuth`;
  }

  /** The Basic credentials from `restAuth`, the password read from its variable now; never put in a message. */
  private authorization(): { authorization?: string } {
    const auth = this.settings.restAuth;
    if (!auth) return {};
    const password = process.env[auth.passwordEnv];
    if (!password) {
      throw providerFailure(
        ProviderErrorType.InvalidInput,
        `region ${this.region}: ${auth.passwordEnv} is ${password === undefined ? 'not set' : 'empty'}, and ${this.authSetting}.passwordEnv names it ` +
          `for the password of Patroni's restapi.authentication; set it where the worker and lifeboat targets check run`,
      );
    }
    return { authorization: `Basic ${Buffer.from(`${auth.username}:${password}`).toString('base64')}` };
  }

  /**
   * What to change after a 401 or 403. Patroni answers 401 when the Basic credentials are missing or wrong, and 403
   * before it looks at them: a client outside restapi.allowlist, or no client certificate where one is required.
   */
  private refusalFix(status: number): string {
    const auth = this.settings.restAuth;
    if (status === 403) {
      return `Patroni's REST API refused this client before checking a password (restapi.allowlist, or a client certificate it requires); ${this.authSetting} cannot fix a 403`;
    }
    if (!auth) {
      return `Patroni's REST API asks for a password (restapi.authentication): add ${this.authSetting} with its username and passwordEnv, the environment variable holding its password`;
    }
    return (
      `Patroni refused user "${auth.username}" with the password in ${auth.passwordEnv}: make ${this.authSetting} (its username, ` +
      `and the password in that variable) match restapi.authentication in the Patroni configuration of region ${this.region}`
    );
  }
}

/** The cluster's leader member (`leader` or `standby_leader`), or undefined while it has none. */
export function leaderOf(cluster: PatroniCluster): PatroniCluster['members'][number] | undefined {
  return cluster.members.find((m) => m.role === 'leader' || m.role === 'standby_leader');
}

/** Whether a dynamic configuration makes the cluster a standby cluster (Patroni needs a host or a restore_command). */
export function isStandbyCluster(config: DynamicConfig): boolean {
  const s = config.standby_cluster;
  return !!s && (!!s.host || !!s.restore_command);
}
