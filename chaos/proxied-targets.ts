import { readFileSync, writeFileSync } from 'node:fs';
import type { ToxiproxyClient } from './toxiproxy';

/** What a proxied link carries, so a fault names what it breaks: the database, the load balancer, a service's modes. */
export type LinkKind = 'database' | 'patroni' | 'traffic' | 'entry' | 'dns' | 'service-mode' | 'fleet';

/**
 * One link between the worker and the estate, through its own Toxiproxy proxy. `name` is what faults take
 * (`booking.database.A`); `fields` are every place of the targets file that now names `listen` instead of `upstream`.
 */
export interface ProxiedEndpoint {
  name: string;
  service?: string;
  region?: string;
  kind: LinkKind;
  upstream: string;
  listen: string;
  fields: string[];
}

/** A targets file routed through Toxiproxy, and the proxies it goes through. */
export interface ProxiedTargets {
  targets: Record<string, unknown>;
  proxies: ProxiedEndpoint[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An endpoint the worker reaches: where it sits in the file, how to read its address, and how to write the proxy's. */
interface FoundEndpoint {
  field: string;
  name: string;
  kind: LinkKind;
  service?: string;
  region?: string;
  address: string;
  replace(listen: string): void;
}

/** `host:port` of an http(s) URL, with the scheme's port when the URL leaves it out. */
function urlAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * The same URL with its host and port replaced by `listen`, and every other character as the file wrote it (a URL
 * object would add a `/` to a bare origin, and the fleet client appends its paths to the URL as written).
 */
function urlThrough(url: string, listen: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?)[^/?#]*/i, `$1${listen}`);
}

/**
 * Collects every endpoint of one targets file the worker reaches over TCP. What is left out stays direct on purpose:
 * - `command` providers run a program the file names; what it reaches is its own business.
 * - `rebuild`/`sampleEstate` of provider `sample-estate` act on this machine's data directories through the estate's
 *   own catalog (pg_rewind, pg_basebackup, the load counter): they stand in for an agent on the database host, not for
 *   the network between the worker and the estate.
 * - Patroni's `replication` is where one region's standby cluster streams from the other: traffic between the
 *   estate's systems, not the worker's. When the file leaves it out it defaults to `postgres`, which is rewritten
 *   here, so it is written out with the original address to keep replication direct.
 * - Route 53 records' `value`s are names clients resolve, not addresses the worker calls.
 * - HAProxy's runtime API (always TCP `{host, port}` in a targets file; there is no unix-socket form), unless
 *   `haproxyRuntimeApi` is true: see {@link ProxyOptions}.
 */
function endpointsOf(file: Json, opts: ProxyOptions): FoundEndpoint[] {
  const found: FoundEndpoint[] = [];
  const url = (holder: Json, key: string, at: Omit<FoundEndpoint, 'address' | 'replace'>) => {
    const value = holder[key];
    if (typeof value !== 'string') return;
    found.push({ ...at, address: urlAddress(value), replace: (listen) => (holder[key] = urlThrough(value, listen)) });
  };
  const hostPort = (holder: Json, at: Omit<FoundEndpoint, 'address' | 'replace'>) => {
    if (typeof holder.host !== 'string') return;
    // PostgreSQL's port may be left out (libpq's 5432, as PostgresAddress defaults it); written out once proxied.
    const address = `${holder.host}:${typeof holder.port === 'number' ? holder.port : 5432}`;
    found.push({
      ...at,
      address,
      replace: (listen) => {
        const i = listen.lastIndexOf(':');
        holder.host = listen.slice(0, i);
        holder.port = Number(listen.slice(i + 1));
      },
    });
  };
  const regionsOf = (section: Json) => Object.entries(isObject(section.regions) ? section.regions : {}).filter((e): e is [string, Json] => isObject(e[1]));

  const services = isObject(file.services) ? file.services : {};
  for (const [service, config] of Object.entries(services)) {
    if (!isObject(config)) continue;
    const at = (section: string) => `services.${service}.${section}`;
    const { traffic, database, serviceMode } = config;
    if (isObject(traffic) && traffic.provider === 'haproxy') {
      if (opts.haproxyRuntimeApi && isObject(traffic.runtimeApi))
        hostPort(traffic.runtimeApi, { field: at('traffic.runtimeApi'), name: `${service}.traffic`, kind: 'traffic', service });
      url(traffic, 'entryUrl', { field: at('traffic.entryUrl'), name: `${service}.entry`, kind: 'entry', service });
    }
    if (isObject(traffic) && traffic.provider === 'route53')
      url(traffic, 'endpoint', { field: at('traffic.endpoint'), name: `${service}.dns`, kind: 'dns', service });
    if (isObject(database) && database.provider === 'postgres') {
      for (const [region, r] of regionsOf(database))
        hostPort(r, { field: at(`database.regions.${region}`), name: `${service}.database.${region}`, kind: 'database', service, region });
    }
    if (isObject(database) && database.provider === 'patroni') {
      for (const [region, r] of regionsOf(database)) {
        url(r, 'restUrl', { field: at(`database.regions.${region}.restUrl`), name: `${service}.patroni.${region}`, kind: 'patroni', service, region });
        if (!isObject(r.postgres)) continue;
        if (r.replication === undefined && typeof r.postgres.host === 'string') r.replication = { host: r.postgres.host, port: r.postgres.port ?? 5432 };
        hostPort(r.postgres, { field: at(`database.regions.${region}.postgres`), name: `${service}.database.${region}`, kind: 'database', service, region });
      }
    }
    if (isObject(serviceMode) && serviceMode.provider === 'http') {
      for (const [region, r] of regionsOf(serviceMode))
        url(r, 'url', { field: at(`serviceMode.regions.${region}.url`), name: `${service}.serviceMode.${region}`, kind: 'service-mode', service, region });
    }
  }
  if (isObject(file.fleet) && file.fleet.provider === 'http') url(file.fleet, 'url', { field: 'fleet.url', name: 'fleet', kind: 'fleet' });
  return found;
}

/** Which endpoints that Toxiproxy cannot carry faithfully are proxied all the same. */
export interface ProxyOptions {
  /**
   * Route HAProxy's runtime API through Toxiproxy too. Off by default: Lifeboat's runtime API client sends its command
   * and half-closes (providers/haproxy/runtime-api.ts), and Toxiproxy v2.5.0 answers a half-close by closing its
   * upstream connection outright, so HAProxy's answer is lost every time (checked against the estate's HAProxy: 0
   * bytes through the proxy, the full answer direct or without the half-close). A real network carries a half-close,
   * so proxying it would report a fault that only the injector makes.
   */
  haproxyRuntimeApi?: boolean;
}

/**
 * The same targets with every endpoint the worker reaches over TCP routed through its own Toxiproxy proxy, so a fault
 * on one link (booking's database in A) leaves the others alone. An address named twice (loyalty's database is on
 * booking's servers) gets one proxy, named after the first place that names it: cutting that link cuts it for both,
 * as a real network fault would. Refuses any endpoint off this machine: no test traffic may leave 127.0.0.1.
 */
export async function proxyTargets(direct: unknown, toxiproxy: ToxiproxyClient, opts: ProxyOptions = {}): Promise<ProxiedTargets> {
  if (!isObject(direct)) throw new Error('a targets file is a JSON object');
  const targets = structuredClone(direct);
  const endpoints = endpointsOf(targets, opts);
  const offMachine = endpoints.filter((e) => !/^(127(\.\d{1,3}){3}|localhost):\d+$/.test(e.address));
  if (offMachine.length > 0)
    throw new Error(`the chaos suite proxies loopback endpoints only; these are elsewhere: ${offMachine.map((e) => `${e.field} (${e.address})`).join(', ')}`);
  const byUpstream = new Map<string, ProxiedEndpoint>();
  for (const e of endpoints) {
    let link = byUpstream.get(e.address);
    if (!link) {
      const proxy = await toxiproxy.createProxy(e.name, e.address);
      link = {
        name: e.name,
        ...(e.service === undefined ? {} : { service: e.service }),
        ...(e.region === undefined ? {} : { region: e.region }),
        kind: e.kind,
        upstream: e.address,
        listen: proxy.listen,
        fields: [],
      };
      byUpstream.set(e.address, link);
    }
    link.fields.push(e.field);
    e.replace(link.listen);
  }
  return { targets, proxies: [...byUpstream.values()] };
}

/** Reads the estate's own targets file, writes the proxied one to `outPath`, and returns the proxies it goes through. */
export async function writeProxiedTargets(
  directPath: string,
  outPath: string,
  toxiproxy: ToxiproxyClient,
  opts: ProxyOptions = {},
): Promise<ProxiedEndpoint[]> {
  const { targets, proxies } = await proxyTargets(JSON.parse(readFileSync(directPath, 'utf8')), toxiproxy, opts);
  writeFileSync(outPath, `${JSON.stringify(targets, null, 2)}\n`);
  return proxies;
}
