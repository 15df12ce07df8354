import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The airline core as a plan moves it: the four services evacuate-region has a member for. */
export const planServices = ['booking', 'checkin', 'crew', 'flight-status'] as const;

/** One service's switch, as test/fixtures/command-estate.mjs keeps it: where clients go, and each region's state. */
export interface SwitchState {
  active: string;
  regions: Record<string, { serving: string; mode: string }>;
}

/**
 * An estate of services that keep no data, each a user's own traffic and service-mode switch over a state file
 * (test/fixtures/command-estate.mjs through the `command` provider), so a failover takes seconds: what a recovery plan's
 * tests run on when they are about the plan, not the databases. Checkin depends on booking, as in the sample estate.
 */
export interface SwitchEstate {
  dir: string;
  /** The targets file naming every service, for workers and the CLI. */
  targetsPath: string;
  read(service: string): SwitchState;
  /** Where each service's clients go now. */
  active(): Record<string, string>;
  /** Every service served from A, both regions ready and in normal mode. */
  reset(): void;
  /** Region B of a service is in maintenance: a failover's preflight refuses it until someone looks. */
  putInMaintenance(service: string): void;
  /** Sets how region B of a service serves (`maint`, `ready`, `drain`), as an operator at its load balancer would. */
  setServingInB(service: string, serving: string): void;
  remove(): void;
}

export function switchEstate(services: readonly string[] = planServices): SwitchEstate {
  const fixture = resolve(__dirname, '..', 'fixtures', 'command-estate.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-switch-estate-'));
  const stateOf = (service: string) => join(dir, `${service}.json`);
  const write = (service: string, state: SwitchState) => writeFileSync(stateOf(service), JSON.stringify(state));
  const switchOf = (service: string) => ({
    provider: 'command',
    command: ['/usr/bin/env', `COMMAND_ESTATE_STATE=${stateOf(service)}`, process.execPath, fixture],
  });
  const sections = Object.fromEntries(
    services.map((s) => [
      s,
      { regions: ['A', 'B'], stateless: true, traffic: switchOf(s), serviceMode: switchOf(s), ...(s === 'checkin' ? { dependsOn: ['booking'] } : {}) },
    ]),
  );
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: sections }, null, 2));
  const estate: SwitchEstate = {
    dir,
    targetsPath,
    read: (service) => JSON.parse(readFileSync(stateOf(service), 'utf8')) as SwitchState,
    active: () => Object.fromEntries(services.map((s) => [s, estate.read(s).active])),
    reset() {
      for (const s of services) write(s, { active: 'A', regions: { A: { serving: 'ready', mode: 'normal' }, B: { serving: 'ready', mode: 'normal' } } });
    },
    putInMaintenance: (service) => estate.setServingInB(service, 'maint'),
    setServingInB(service, serving) {
      const state = estate.read(service);
      state.regions.B!.serving = serving;
      write(service, state);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  estate.reset();
  return estate;
}
