import { providerFailure, ProviderErrorType } from '../contracts/errors';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { EndpointHealth, ServingState, TrafficProvider } from '../contracts/traffic';
import { haproxyCommand, parseShowStat } from './runtime-api';
import type { HaproxySettings } from './settings';

/**
 * Whether HAProxy's health checks pass for a server, from its `show stat` status. HAProxy shows `DRAIN` only for a
 * server that is up and drained by an operator (a drained server that fails its checks shows `DOWN`), so a drained
 * server passes: the drain is how an operator set it, which `serving()` reports, as Route 53 reports the passive
 * region healthy at weight 0. `MAINT` stops the checks, `NOLB` is a server asking to be taken out: neither passes.
 */
export function passesChecks(status: string): boolean {
  return status.startsWith('UP') || status.startsWith('DRAIN');
}

/**
 * Traffic through HAProxy's runtime API, without a reload: the active region is one map entry, so a switch is atomic
 * and in-flight connections finish where they started. Draining a region is `set server … state drain`.
 */
export function createHaproxyTraffic(settings: HaproxySettings, regions: readonly RegionName[], timeoutMs = 3_000): TrafficProvider {
  const cmd = (c: string) => haproxyCommand(settings.runtimeApi, c, timeoutMs);
  const backendOf = (region: RegionName) => {
    const b = settings.backends[region];
    if (!b) throw providerFailure(ProviderErrorType.UnknownTarget, `HAProxy has no backend for region "${region}"; the regions are ${regions.join(', ')}`);
    return b;
  };
  const regionOfBackend = (backend: string) => regions.find((r) => settings.backends[r]?.backend === backend) ?? null;

  async function active(): Promise<{ region: RegionName | null; endpoint: string }> {
    const out = await cmd(`show map ${settings.map.file}`);
    for (const line of out.split('\n')) {
      const [, key, value] = line.trim().split(/\s+/);
      if (key === settings.map.key && value) return { region: regionOfBackend(value), endpoint: value };
    }
    throw providerFailure(ProviderErrorType.Precondition, `HAProxy map ${settings.map.file} has no "${settings.map.key}" entry: ${out.trim()}`);
  }

  async function health(): Promise<EndpointHealth[]> {
    const rows = parseShowStat(await cmd('show stat'));
    return regions.map((region): EndpointHealth => {
      const { backend, server } = backendOf(region);
      const row = rows.find((r) => r.pxname === backend && r.svname === server);
      const status = row?.status ?? 'unknown';
      return {
        region,
        endpoint: `${backend}/${server}`,
        healthy: passesChecks(status),
        status,
        ...(row?.check_status ? { checkDetail: row.check_status } : {}),
        currentSessions: Number(row?.scur ?? 0),
        totalSessions: Number(row?.stot ?? 0),
      };
    });
  }

  async function setServing(region: RegionName, state: ServingState): Promise<{ state: ServingState; applied: boolean }> {
    const { backend, server } = backendOf(region);
    const out = (await cmd(`set server ${backend}/${server} state ${state}`)).trim();
    if (out) throw providerFailure(ProviderErrorType.Refused, `HAProxy refused "set server ${backend}/${server} state ${state}": ${out}`);
    return { state, applied: true };
  }

  return {
    kind: 'haproxy',
    ...(settings.entryUrl ? { entryUrl: settings.entryUrl } : {}),
    describe: () => `haproxy (${settings.runtimeApi.host}:${settings.runtimeApi.port}, map ${settings.map.file} key ${settings.map.key})`,
    active,
    health,
    setServing,

    async serving(region) {
      const status = (await health()).find((h) => h.region === region)?.status ?? 'unknown';
      return { state: status.startsWith('MAINT') ? 'maint' : status.startsWith('DRAIN') ? 'drain' : 'ready', status };
    },

    async switchTo(region) {
      const target = backendOf(region).backend;
      const before = await active();
      if (before.endpoint === target) return { region, previous: before.region, changed: false };
      // Never point clients at a server an operator put in maintenance.
      await setServing(region, 'ready');
      const out = (await cmd(`set map ${settings.map.file} ${settings.map.key} ${target}`)).trim();
      if (out) throw providerFailure(ProviderErrorType.Refused, `HAProxy refused the switch: ${out}`);
      const after = await active();
      if (after.endpoint !== target) throw new Error(`switch to ${target} did not take: HAProxy still routes to ${after.endpoint}`);
      return { region, previous: before.region, changed: true };
    },

    async probe(): Promise<ProbeResult[]> {
      const results: ProbeResult[] = [];
      let stat: EndpointHealth[] | undefined;
      try {
        stat = await health();
        results.push({ check: 'reach the runtime API', ok: true, detail: `${settings.runtimeApi.host}:${settings.runtimeApi.port} answers show stat` });
      } catch (err) {
        return [{ check: 'reach the runtime API', ok: false, detail: `${(err as Error).message}; check "stats socket ipv4@… level admin" in haproxy.cfg` }];
      }
      for (const h of stat) {
        const found = h.status !== 'unknown';
        results.push({
          check: `region ${h.region} server ${h.endpoint}`,
          ok: found,
          detail: found ? `${h.status}${h.checkDetail ? ` (${h.checkDetail})` : ''}` : 'no such backend/server in show stat',
        });
      }
      try {
        const a = await active();
        results.push({
          check: `read map ${settings.map.file}`,
          ok: a.region !== null,
          detail: a.region ? `clients go to region ${a.region} (${a.endpoint})` : `"${settings.map.key}" points at ${a.endpoint}, which is no region's backend`,
        });
      } catch (err) {
        results.push({ check: `read map ${settings.map.file}`, ok: false, detail: (err as Error).message });
      }
      return results;
    },
  };
}
