import { estateStatus } from '../dev/estate/status';
import type { EstateService } from '../estate/services';
import { createHttpFleet } from '../providers/http/fleet';
import type { ChaosRig } from './world';

/** Where booking's clients go now: the region every region-moving scenario starts from. */
export type BookingHome = 'A' | 'B' | 'unknown';

/**
 * One thing the chaos runner runs end to end: a runbook or a plan with its input, what the estate must look like for
 * it to start, and what its invariants expect of the world afterwards.
 */
export interface Scenario {
  name: string;
  /** `lifeboat run <what>`. */
  what: string;
  kind: 'runbook' | 'plan';
  /** The input as `--set` pairs. */
  sets: Record<string, string>;
  /** Services whose clients write through the run (lost writes are counted for these). */
  writes: string[];
  /** Services whose traffic must point at exactly one region at the end. */
  traffic: string[];
  /** A region move: planned loses no acknowledged write; emergency no more than its recorded RPO. */
  mode?: 'planned' | 'emergency';
  /** Where booking must be served from for the scenario to make sense. */
  startsFrom?: 'A' | 'B';
  /**
   * What the run acts on, as estate process and link names go (`booking-A`, `postgres pg/B`, `booking.database.A`):
   * most faults are drawn among these, so a schedule hits what the run touches rather than a bystander.
   */
  touches: RegExp;
  /** Set-up before the run (a faulty fleet push for the vendor-module isolation). */
  prepare?(rig: ChaosRig): Promise<void>;
}

/** The estate's services every scenario below can use: the whole airline, as the evacuation plan needs. */
export const CHAOS_SERVICES: readonly EstateService[] = ['booking', 'loyalty', 'checkin', 'crew', 'flight-status'];

const BAD = 'C-00000291';
const GOOD = 'C-00000290';

/** Booking's failover from A to B, planned or emergency: the same run but for its mode and what it may lose. */
function regionFailover(mode: 'planned' | 'emergency'): Scenario {
  return {
    name: mode === 'planned' ? 'region-failover' : 'region-failover-emergency',
    touches: /booking|pg\/[AB]$|haproxy|loyalty/,
    what: 'region-failover',
    kind: 'runbook',
    sets: { service: 'booking', mode, verifyWindowSeconds: '2' },
    writes: ['booking'],
    traffic: ['booking'],
    mode,
    startsFrom: 'A',
  };
}

export const scenarios: Scenario[] = [
  { name: 'paging-check', touches: /^$/, what: 'paging-check', kind: 'runbook', sets: { message: 'chaos: are you there?' }, writes: [], traffic: [] },
  {
    name: 'isolate-vendor-module',
    touches: /fleet/,
    what: 'isolate-vendor-module',
    kind: 'runbook',
    sets: { badVersion: BAD, goodVersion: GOOD },
    writes: [],
    traffic: [],
    async prepare(rig) {
      await fetch(`${rig.catalog.fleet.url}/sim/reset`, { method: 'POST' });
      await createHttpFleet({ url: rig.catalog.fleet.url }).pushContentUpdate({ version: BAD, faulty: true, crashRate: 0.3 });
    },
  },
  {
    name: 'manual-booking-mode',
    touches: /booking|pg\/[AB]$|haproxy/,
    what: 'manual-booking-mode',
    kind: 'runbook',
    sets: { service: 'booking', reason: 'chaos: booking database in trouble', incident: 'INC-CHAOS', stations: 'LHR,FRA' },
    writes: [],
    traffic: ['booking'],
    startsFrom: 'A',
  },
  regionFailover('planned'),
  regionFailover('emergency'),
  {
    name: 'region-failback',
    touches: /booking|pg\/[AB]$|haproxy|loyalty/,
    what: 'region-failback',
    kind: 'runbook',
    sets: { service: 'booking' },
    writes: ['booking'],
    traffic: ['booking'],
    mode: 'planned',
    startsFrom: 'B',
  },
  {
    name: 'evacuate-region',
    touches: /./,
    what: 'evacuate-region',
    kind: 'plan',
    sets: { from: 'A', to: 'B', mode: 'planned' },
    writes: ['booking'],
    traffic: ['booking', 'loyalty', 'checkin', 'crew', 'flight-status'],
    mode: 'planned',
    startsFrom: 'A',
  },
  {
    name: 'return-home',
    touches: /./,
    what: 'return-home',
    kind: 'plan',
    sets: { region: 'A' },
    writes: ['booking'],
    traffic: ['booking', 'loyalty', 'checkin', 'crew', 'flight-status'],
    mode: 'planned',
    startsFrom: 'B',
  },
];

export function scenarioNamed(name: string): Scenario {
  const found = scenarios.find((s) => s.name === name || (s.what === name && s.name === name));
  if (!found) throw new Error(`no chaos scenario "${name}"; there are: ${scenarios.map((s) => s.name).join(', ')}`);
  return found;
}

/** The region booking's traffic goes to, as the estate's own status reads it. */
export async function bookingHome(rig: ChaosRig): Promise<BookingHome> {
  return (await servicesHome(rig)).booking ?? 'unknown';
}

/** Where each service's clients go now, as the estate's own status reads it. */
export async function servicesHome(rig: ChaosRig): Promise<Record<string, BookingHome>> {
  const homes: Record<string, BookingHome> = {};
  for (const s of (await estateStatus(rig.catalog)).services) homes[s.service] = s.active === 'A' || s.active === 'B' ? s.active : 'unknown';
  return homes;
}

/**
 * Whether a scenario can start from where the estate is: a region runbook needs booking in its home region, a plan
 * every service it moves (a plan that found one service already moved would stop for an operator at it).
 */
export function startsHere(scenario: Scenario, homes: Record<string, BookingHome>): boolean {
  if (!scenario.startsFrom) return true;
  const moved = scenario.kind === 'plan' ? scenario.traffic : ['booking'];
  return moved.every((service) => homes[service] === scenario.startsFrom);
}

/** A fault-free move of one service to `region`, to bring the estate to where a scenario starts. */
export function moveOne(service: string, region: 'A' | 'B'): Scenario {
  const base = scenarioNamed(region === 'A' ? 'region-failback' : 'region-failover');
  return {
    ...base,
    name: service === 'booking' ? base.name : `${base.name} (${service})`,
    sets: { ...base.sets, service },
    writes: service === 'booking' ? ['booking'] : [],
    traffic: [service],
  };
}
