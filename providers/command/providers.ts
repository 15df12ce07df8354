import type { z } from 'zod';
import type { CapabilityContracts } from '../contracts/by-capability';
import type { Capability } from '../contracts/capabilities';
import type { DatabaseProvider } from '../contracts/database';
import type { ProbeResult, RegionName } from '../contracts/provider';
import type { RebuildProvider } from '../contracts/rebuild';
import type { ServiceModeProvider } from '../contracts/service-mode';
import type { TrafficProvider } from '../contracts/traffic';
import type { FleetApi } from '../http/fleet';
import { DatabaseAnswers, type Expected, FleetAnswers, ProbeAnswer, RebuildAnswers, ServiceModeAnswers, TrafficAnswers } from './answers';
import { runCommand } from './run';
import type { CommandSettings } from './settings';

const describeAs = (settings: CommandSettings) => () => `command (${settings.describe ?? settings.command.join(' ')})`;

/** Runs a capability's operations, each answer checked against the operation's entry in `answers`. */
function caller<A extends Record<string, Expected>>(settings: CommandSettings, capability: string, answers: A) {
  return <O extends keyof A & string>(operation: O, args: object = {}) =>
    runCommand(settings, capability, operation, args, answers[operation]!) as Promise<z.output<A[O]['schema']>>;
}

/** A probe is the program's own `probe` operation: it answers `[{check, ok, detail}]`. */
const probeWith = (settings: CommandSettings, capability: string) => async (): Promise<ProbeResult[]> => {
  try {
    return await runCommand(settings, capability, 'probe', {}, ProbeAnswer);
  } catch (err) {
    return [{ check: `${capability} probe`, ok: false, detail: (err as Error).message }];
  }
};

/** Traffic through the user's program: operations `active`, `health`, `switch`, `serving`, `set-serving`, `probe`. */
export function commandTraffic(settings: CommandSettings): TrafficProvider {
  const call = caller(settings, 'traffic', TrafficAnswers);
  return {
    kind: 'command',
    describe: describeAs(settings),
    probe: probeWith(settings, 'traffic'),
    active: () => call('active'),
    health: () => call('health'),
    switchTo: (region) => call('switch', { region }),
    serving: (region) => call('serving', { region }),
    setServing: (region, state) => call('set-serving', { region, state }),
  };
}

/** A database through the user's program: `status`, `fence`, `unfence`, `promote`, `probe`. */
export function commandDatabase(settings: CommandSettings, regions: readonly RegionName[]): DatabaseProvider {
  const call = caller(settings, 'database', DatabaseAnswers);
  return {
    kind: 'command',
    regions,
    describe: describeAs(settings),
    probe: probeWith(settings, 'database'),
    async status(region) {
      try {
        return { ...(await call('status', { region })), region };
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
  const call = caller(settings, 'service-mode', ServiceModeAnswers);
  return {
    kind: 'command',
    describe: describeAs(settings),
    probe: probeWith(settings, 'service-mode'),
    async health(region) {
      try {
        return { ...(await call('health', { region })), region };
      } catch (err) {
        return { region, reachable: false, error: (err as Error).message };
      }
    },
    getMode: async (region) => (await call('get-mode', { region })).mode,
    setMode: (region, mode) => call('set-mode', { region, mode }),
  };
}

/** Rebuilding a standby through the user's program (often `ssh db-host /usr/local/bin/rebuild-standby`): `rebuild`, `probe`. */
export function commandRebuild(settings: CommandSettings): RebuildProvider {
  const call = caller(settings, 'rebuild', RebuildAnswers);
  return {
    kind: 'command',
    describe: describeAs(settings),
    probe: probeWith(settings, 'rebuild'),
    async rebuildAsStandby(args) {
      const answer = await call('rebuild', args);
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
 * (`listHosts`, `setUpdateChannel`, …), with the same JSON arguments and answers as the HTTP contract. Only those
 * operations exist; the fields Lifeboat reads from each answer are checked.
 */
export function commandFleet(settings: CommandSettings): FleetApi {
  const call = caller(settings, 'fleet', FleetAnswers);
  return new Proxy({} as FleetApi, {
    get: (_target, operation) =>
      typeof operation === 'string' && Object.hasOwn(FleetAnswers, operation)
        ? (args?: object) => call(operation as keyof typeof FleetAnswers, args ?? {})
        : undefined,
  });
}

/**
 * The `command` provider of each capability, by the catalog's names: the targets file may say `"provider": "command"`
 * for any capability, so tsc refuses a capability without one here (its operations and answers in `answers.ts`).
 */
export const commandProviders: { [C in Capability]: (settings: CommandSettings, regions: readonly RegionName[]) => CapabilityContracts[C] } = {
  traffic: commandTraffic,
  database: commandDatabase,
  serviceMode: commandServiceMode,
  rebuild: commandRebuild,
  fleet: commandFleet,
};
