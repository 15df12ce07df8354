import type { DatabaseProvider, NodeStatus } from '../contracts/database';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { RebuildProvider, RebuildResult } from '../contracts/rebuild';
import type { ServiceHealth, ServiceMode, ServiceModeProvider } from '../contracts/service-mode';
import type { EndpointHealth, ServingState, TrafficProvider } from '../contracts/traffic';
import type { FleetApi } from '../http/fleet';
import { runCommand } from './run';
import type { CommandSettings } from './settings';

const describeAs = (settings: CommandSettings) => () => `command (${settings.describe ?? settings.command.join(' ')})`;

/** A probe is the program's own `probe` operation: it answers `[{check, ok, detail}]`. */
const probeWith = (settings: CommandSettings, capability: string) => async (): Promise<ProbeResult[]> => {
  try {
    const answer = await runCommand(settings, capability, 'probe', {});
    if (Array.isArray(answer)) return answer as ProbeResult[];
    return [{ check: `${capability} probe`, ok: false, detail: 'the program answered probe with something other than a list of {check, ok, detail}' }];
  } catch (err) {
    return [{ check: `${capability} probe`, ok: false, detail: (err as Error).message }];
  }
};

/** Traffic through the user's program: operations `active`, `health`, `switch`, `serving`, `set-serving`, `probe`. */
export function commandTraffic(settings: CommandSettings): TrafficProvider {
  const call = <T>(operation: string, args: object = {}) => runCommand(settings, 'traffic', operation, args) as Promise<T>;
  return {
    kind: 'command',
    describe: describeAs(settings),
    probe: probeWith(settings, 'traffic'),
    active: () => call<{ region: RegionName | null; endpoint: string }>('active'),
    health: () => call<EndpointHealth[]>('health'),
    switchTo: (region) => call<{ region: RegionName; previous: RegionName | null; changed: boolean }>('switch', { region }),
    serving: (region) => call<{ state: ServingState; status: string }>('serving', { region }),
    setServing: (region, state) => call<{ state: ServingState; applied: boolean }>('set-serving', { region, state }),
  };
}

/** A database through the user's program: `status`, `fence`, `unfence`, `promote`, `probe`. */
export function commandDatabase(settings: CommandSettings, regions: readonly RegionName[]): DatabaseProvider {
  const call = <T>(operation: string, args: object = {}) => runCommand(settings, 'database', operation, args) as Promise<T>;
  return {
    kind: 'command',
    regions,
    describe: describeAs(settings),
    probe: probeWith(settings, 'database'),
    async status(region) {
      try {
        return { ...(await call<NodeStatus>('status', { region })), region };
      } catch (err) {
        return { region, reachable: false, error: (err as Error).message };
      }
    },
    fence: (region) => call('fence', { region }),
    unfence: (region) => call('unfence', { region }),
    promote: (region, waitSeconds) => call('promote', { region, waitSeconds }),
  };
}

/** Service modes through the user's program: `health`, `get-mode`, `set-mode`, `probe`. */
export function commandServiceMode(settings: CommandSettings): ServiceModeProvider {
  const call = <T>(operation: string, args: object = {}) => runCommand(settings, 'service-mode', operation, args) as Promise<T>;
  return {
    kind: 'command',
    describe: describeAs(settings),
    probe: probeWith(settings, 'service-mode'),
    async health(region) {
      try {
        return { ...(await call<ServiceHealth>('health', { region })), region };
      } catch (err) {
        return { region, reachable: false, error: (err as Error).message };
      }
    },
    getMode: async (region) => (await call<{ mode: ServiceMode }>('get-mode', { region })).mode,
    setMode: (region, mode) => call('set-mode', { region, mode }),
  };
}

/** Rebuilding a standby through the user's program (often `ssh db-host /usr/local/bin/rebuild-standby`): `rebuild`, `probe`. */
export function commandRebuild(settings: CommandSettings): RebuildProvider {
  return {
    kind: 'command',
    describe: describeAs(settings),
    probe: probeWith(settings, 'rebuild'),
    async rebuildAsStandby(args) {
      const answer = (await runCommand(settings, 'rebuild', 'rebuild', args)) as Partial<RebuildResult> | null;
      return {
        region: args.region,
        primary: args.primary,
        method: answer?.method ?? 'command',
        ...(answer?.fallbackReason ? { fallbackReason: answer.fallbackReason } : {}),
      };
    },
  };
}

/**
 * The fleet API through the user's program: every operation of docs/api/fleet.openapi.json by its operation name
 * (`listHosts`, `setUpdateChannel`, …), with the same JSON arguments and answers as the HTTP contract.
 */
export function commandFleet(settings: CommandSettings): FleetApi {
  return new Proxy({} as FleetApi, {
    get: (_target, operation) =>
      typeof operation === 'string' && operation !== 'then' ? (args?: unknown) => runCommand(settings, 'fleet', operation, args ?? {}) : undefined,
  });
}
