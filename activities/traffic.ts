import { ApplicationFailure } from '@temporalio/common';
import { Socket } from 'node:net';
import { EstateErrorType, type EstateCatalog, type LoadBalancer, type RegionName } from './catalog';

/**
 * Sends one command to HAProxy's runtime API (the admin "stats socket" on TCP) and returns its answer.
 * Non-interactive mode: HAProxy answers and closes the connection.
 */
export function haproxyCommand(api: { host: string; port: number }, command: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let out = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`HAProxy runtime API ${api.host}:${api.port} did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (d) => (out += d));
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`HAProxy runtime API ${api.host}:${api.port} unreachable: ${err.message}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    socket.connect(api.port, api.host, () => socket.end(`${command}\n`));
  });
}

/** Server state as HAProxy's `show stat` reports it (UP, DOWN, MAINT, DRAIN, "no check", ...). */
export interface BackendHealth {
  region: RegionName;
  backend: string;
  server: string;
  status: string;
  checkStatus: string;
  currentSessions: number;
  totalSessions: number;
}

/** Parses the CSV of `show stat` into rows keyed by column name. */
export function parseShowStat(csv: string): Record<string, string>[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** What the traffic adapter needs: the load balancer section of the catalog. */
export type TrafficDeps = { loadBalancer: LoadBalancer; timeoutMs?: number };

/** Builds traffic deps from a catalog, refusing clearly when the estate runs without HAProxy. */
export function trafficDepsFromCatalog(catalog: EstateCatalog): TrafficDeps {
  if (!catalog.loadBalancer) {
    throw ApplicationFailure.nonRetryable('the estate has no load balancer (HAProxy was not installed: apt-get install haproxy)', EstateErrorType.Precondition);
  }
  return { loadBalancer: catalog.loadBalancer };
}

/**
 * Activities that steer client traffic between regions through HAProxy's runtime API, without a reload:
 * the active region is one map entry, so a switch is atomic and in-flight connections finish where they started.
 */
export function createTrafficActivities(deps: TrafficDeps) {
  const lb = deps.loadBalancer;
  const cmd = (c: string) => haproxyCommand(lb.runtimeApi, c, deps.timeoutMs ?? 3_000);
  const regionOfBackend = (backend: string): RegionName | undefined =>
    (['A', 'B'] as const).find((r) => lb.backends[r].backend === backend);

  async function activeBackend(): Promise<{ region: RegionName | null; backend: string }> {
    const out = await cmd(`show map ${lb.switch.mapFile}`);
    for (const line of out.split('\n')) {
      const [, key, value] = line.trim().split(/\s+/);
      if (key === lb.switch.key && value) return { region: regionOfBackend(value) ?? null, backend: value };
    }
    throw ApplicationFailure.nonRetryable(`HAProxy map ${lb.switch.mapFile} has no "${lb.switch.key}" entry: ${out.trim()}`, EstateErrorType.Precondition);
  }

  async function backendHealth(): Promise<{ regions: BackendHealth[] }> {
    const rows = parseShowStat(await cmd('show stat'));
    const regions = (['A', 'B'] as const).map((region): BackendHealth => {
      const { backend, server } = lb.backends[region];
      const row = rows.find((r) => r.pxname === backend && r.svname === server);
      return {
        region,
        backend,
        server,
        status: row?.status ?? 'unknown',
        checkStatus: row?.check_status ?? '',
        currentSessions: Number(row?.scur ?? 0),
        totalSessions: Number(row?.stot ?? 0),
      };
    });
    return { regions };
  }

  async function setServerState(region: RegionName, state: 'ready' | 'drain' | 'maint'): Promise<void> {
    const { backend, server } = lb.backends[region];
    const out = (await cmd(`set server ${backend}/${server} state ${state}`)).trim();
    if (out) throw ApplicationFailure.nonRetryable(`HAProxy refused "set server ${backend}/${server} state ${state}": ${out}`, EstateErrorType.Refused);
  }

  return {
    /** Which region the load balancer sends clients to. */
    activeBackend,

    /** HAProxy's view of each region's server: check status and sessions. */
    backendHealth,

    /**
     * Sends new requests to `region`. Idempotent: switching to the active region is a no-op (`changed: false`).
     * Makes sure the target server is not in maintenance first, so the switch never points at a disabled server.
     */
    async setActiveBackend(args: { region: RegionName }): Promise<{ region: RegionName; previous: RegionName | null; changed: boolean }> {
      const before = await activeBackend();
      const target = lb.backends[args.region].backend;
      if (before.backend === target) return { region: args.region, previous: before.region, changed: false };
      await setServerState(args.region, 'ready');
      const out = (await cmd(`set map ${lb.switch.mapFile} ${lb.switch.key} ${target}`)).trim();
      if (out) throw ApplicationFailure.nonRetryable(`HAProxy refused the switch: ${out}`, EstateErrorType.Refused);
      const after = await activeBackend();
      if (after.backend !== target) throw new Error(`switch to ${target} did not take: HAProxy still routes to ${after.backend}`);
      return { region: args.region, previous: before.region, changed: true };
    },

    /** Lets a region's open connections finish while it takes no new ones (`drain`); `ready` undoes it. Idempotent. */
    async drainBackend(args: { region: RegionName; state?: 'drain' | 'ready' | 'maint' }): Promise<{ region: RegionName; state: string }> {
      const state = args.state ?? 'drain';
      await setServerState(args.region, state);
      return { region: args.region, state };
    },
  };
}

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
