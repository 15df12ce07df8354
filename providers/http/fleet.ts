import type { ProbeResult } from '../contracts/provider';
import { activityRequestId } from '../shared/activity-context';
import { callJson } from '../shared/http-json';
import type { HttpFleetSettings } from './settings';

export type HostHealth = 'healthy' | 'crashed' | 'unreachable';
export type HostRole = 'kiosk' | 'gate' | 'booking';

/** Which hosts: all given fields must match; `{}` is the whole fleet. */
export interface HostSelector {
  ids?: string[];
  /** A region as the fleet API names it; the API decides which regions exist. */
  region?: string;
  role?: HostRole;
  tag?: string;
  health?: HostHealth;
  /** A scratch fleet's id; without it only production hosts match. */
  fleet?: string;
}

export interface HostCounters {
  rollbacks: number;
  reboots: number;
  quarantines: number;
  repairs: number;
}

export interface Host {
  id: string;
  region: string;
  role: HostRole;
  tags: string[];
  health: HostHealth;
  handsOnOnly: boolean;
  agent: {
    version: string;
    contentVersion: string;
    lastKnownGood: string;
    channel: 'open' | 'pinned' | 'blocked';
    pinnedVersion?: string;
    moduleQuarantined: boolean;
  };
  counters: HostCounters;
  /** The scratch fleet the host belongs to; absent on production hosts. */
  fleet?: string;
}

/** A scratch fleet of simulated hosts for an isolated drill, copied from a scope of production hosts. */
export interface ScratchFleet {
  id: string;
  label?: string;
  createdAt: string;
  hosts: number;
  byRole: Record<string, number>;
  /** True when the console answered a repeated request with the fleet it had already built. */
  replayed: boolean;
}

/** Per-host outcome of a batch action: `refused` carries the console's reason (e.g. needs hands-on repair). */
export interface ActionResponse {
  action: string;
  requestId?: string;
  replayed: boolean;
  counts: Record<'applied' | 'no-op' | 'refused' | 'not-found', number>;
  results: { hostId: string; outcome: 'applied' | 'no-op' | 'refused' | 'not-found'; health?: HostHealth; reason?: string }[];
}

/** Targets of a batch action: ids, a selector, or both; `requestId` defaults to the activity's own (stable across retries). */
export interface HostTarget {
  hostIds?: string[];
  scope?: HostSelector;
  requestId?: string;
}

const query = (s: HostSelector & { limit?: number; offset?: number }) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(s)) if (v !== undefined) p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  const q = p.toString();
  return q ? `?${q}` : '';
};

/**
 * Activities on the fleet of hosts running the vendor's security agent, through the fleet manager's API.
 * Every mutation is a batch (by ids or selector) and carries a request id, so a retried activity is answered
 * from the console's memory instead of rebooting or rolling back a host a second time.
 */
export function createHttpFleet(deps: Pick<HttpFleetSettings, 'url'> & { timeoutMs?: number }) {
  const t = deps.timeoutMs ?? 10_000;
  const post = async (path: string, body: Record<string, unknown>) => {
    const requestId = (body.requestId as string | undefined) ?? activityRequestId();
    return (await callJson<ActionResponse>(`${deps.url}${path}`, { body: { ...body, ...(requestId ? { requestId } : {}) }, timeoutMs: t })).body;
  };
  const target = (a: HostTarget) => ({
    ...(a.hostIds ? { hostIds: a.hostIds } : {}),
    ...(a.scope ? { scope: a.scope } : {}),
    ...(a.requestId ? { requestId: a.requestId } : {}),
  });

  return {
    /** Hosts matching a selector, with paging for large fleets. */
    async listHosts(args: HostSelector & { limit?: number; offset?: number } = {}): Promise<{ total: number; hosts: Host[] }> {
      return (await callJson<{ total: number; hosts: Host[] }>(`${deps.url}/hosts${query(args)}`, { timeoutMs: t })).body;
    },

    /** Counts by health, region and channel state, and how many hands-on hosts are still broken. */
    async fleetSummary(): Promise<{
      total: number;
      byHealth: Record<HostHealth, number>;
      byRegion: Record<string, Record<HostHealth, number>>;
      channels: Record<string, number>;
      handsOnBroken: number;
    }> {
      return (await callJson<never>(`${deps.url}/summary`, { timeoutMs: t })).body;
    },

    /** Pins (to a version), blocks or reopens the vendor's update channel for the hosts in scope. Idempotent. */
    async setUpdateChannel(args: {
      scope?: HostSelector;
      state: 'open' | 'pinned' | 'blocked';
      version?: string;
      requestId?: string;
    }): Promise<ActionResponse> {
      return post('/channel', {
        scope: args.scope ?? {},
        state: args.state,
        ...(args.version ? { version: args.version } : {}),
        ...(args.requestId ? { requestId: args.requestId } : {}),
      });
    },

    /** The vendor pushes a content update (drills use `faulty: true` to reproduce July 2024). */
    async pushContentUpdate(args: {
      version: string;
      faulty?: boolean;
      crashRate?: number;
      scope?: HostSelector;
      requestId?: string;
    }): Promise<ActionResponse> {
      return post('/content-updates', { ...args });
    },

    /** Quarantines the agent's content module; a crashed host recovers at its next reboot. Refused for hands-on hosts. */
    async quarantineModule(args: HostTarget): Promise<ActionResponse> {
      return post('/actions/quarantine', target(args));
    },

    /** Rolls hosts back to a named known-good content version; a host already on it is a no-op (not counted twice). */
    async rollbackHost(args: HostTarget & { version: string }): Promise<ActionResponse> {
      return post('/actions/rollback', { ...target(args), version: args.version });
    },

    /** Reboots hosts; crashed hosts come back only if their faulty content was quarantined or rolled back. */
    async rebootHost(args: HostTarget): Promise<ActionResponse> {
      return post('/actions/reboot', target(args));
    },

    /** Records that a person repaired hosts by hand (the only fix for hands-on hosts). */
    async markRepaired(args: HostTarget & { by: string }): Promise<ActionResponse> {
      return post('/actions/mark-repaired', { ...target(args), by: args.by });
    },

    /** Per-host operation counters (rollbacks, reboots, quarantines, repairs), totals and maxima; of production, or of a scratch fleet. */
    async counters(args: { fleet?: string } = {}): Promise<{ totals: HostCounters; max: HostCounters; hosts: (HostCounters & { hostId: string })[] }> {
      return (await callJson<never>(`${deps.url}/counters${query(args)}`, { timeoutMs: t })).body;
    },

    /**
     * Builds a scratch fleet: fresh copies of the production hosts a scope selects, in a namespace of their own that
     * only `{ fleet: id }` selects. The request id (the activity's own by default) makes a retry return the same fleet.
     */
    async createScratchFleet(args: {
      copyOf: { region?: string; role?: HostRole; tags?: string[] };
      maxHosts?: number;
      label?: string;
      requestId?: string;
    }): Promise<ScratchFleet> {
      const requestId = args.requestId ?? activityRequestId();
      return (await callJson<ScratchFleet>(`${deps.url}/scratch-fleets`, { body: { ...args, ...(requestId ? { requestId } : {}) }, timeoutMs: t })).body;
    },

    /** Removes a scratch fleet and its hosts; removing one that is already gone answers `removed: false`. */
    async removeScratchFleet(args: { id: string }): Promise<{ id: string; removed: boolean; hosts: number }> {
      return (
        await callJson<{ id: string; removed: boolean; hosts: number }>(`${deps.url}/scratch-fleets/${encodeURIComponent(args.id)}`, {
          method: 'DELETE',
          timeoutMs: t,
        })
      ).body;
    },
  };
}

/** The fleet's operations, whichever provider serves them (docs/api/fleet.openapi.json). */
export type FleetApi = ReturnType<typeof createHttpFleet>;

/** A read-only probe of a fleet API: it answers and reports its hosts. */
export async function probeFleet(fleet: Pick<FleetApi, 'fleetSummary'>, where: string): Promise<ProbeResult[]> {
  try {
    const s = await fleet.fleetSummary();
    return [{ check: `fleet API ${where}: summary`, ok: true, detail: `${s.total} hosts, ${s.byHealth.healthy ?? 0} healthy` }];
  } catch (err) {
    return [{ check: `fleet API ${where}: summary`, ok: false, detail: (err as Error).message }];
  }
}
