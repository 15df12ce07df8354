import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EstateCatalog } from './catalog';
import { ESTATE_PORTS_VAR, inRange, takeEstatePort, type PortRange } from './ports';
import type { EstateService } from './services';

/** Each part's ports by name; the fleet API and HAProxy's runtime API come with any start. */
const PORTS_OF: Record<EstateService | 'shared', readonly string[]> = {
  shared: ['fleet', 'lbAdmin'],
  booking: ['pgA', 'pgB', 'bookingA', 'bookingB', 'lbBooking'],
  loyalty: ['loyaltyA', 'loyaltyB', 'lbLoyalty'],
  checkin: ['checkinPgA', 'checkinPgB', 'checkinA', 'checkinB', 'lbCheckin'],
  crew: ['crewA', 'crewB', 'lbCrew'],
  'flight-status': ['flightStatusA', 'flightStatusB', 'moto'],
};

/** The estate's ports by name (`pgA`, `checkinB`, `lbCrew`, ...), as picked and as really bound. */
export type PortPlan = Record<string, number>;

/** Crew's database (etcd's two, Patroni's REST API and PostgreSQL per region) keeps its own six: estate/crew-patroni.ts. */
const CREW_DATABASE_PORTS = 6;

/** How many ports a start of these services listens on. */
export function portsNeeded(services: readonly EstateService[]): number {
  return PORTS_OF.shared.length + services.reduce((n, s) => n + PORTS_OF[s].length + (s === 'crew' ? CREW_DATABASE_PORTS : 0), 0);
}

const planFile = (dir: string) => join(dir, 'ports.json');

/**
 * The ports an earlier start used: `ports.json`, or for an estate from before that file, what its catalog names.
 * PostgreSQL and Patroni keep their ports in their data, so a restart must reuse them.
 */
function keptPorts(dir: string, previous: EstateCatalog | undefined): PortPlan {
  if (existsSync(planFile(dir))) return JSON.parse(readFileSync(planFile(dir), 'utf8')) as PortPlan;
  if (!previous) return {};
  const r = previous.services.booking.regions;
  const port = (u: string) => Number(new URL(u).port);
  return {
    pgA: r.A.postgres.port,
    pgB: r.B.postgres.port,
    bookingA: port(r.A.url),
    bookingB: port(r.B.url),
    fleet: port(previous.fleet.url),
    ...(previous.loadBalancer ? { lbBooking: port(previous.loadBalancer.clientUrl), lbAdmin: previous.loadBalancer.runtimeApi.port } : {}),
  };
}

/**
 * The ports of this start: those of the last run where its data exists, fresh free ones (from `LIFEBOAT_ESTATE_PORTS`
 * when set) for the rest. Runs before anything starts, so a range too small, or an estate set up outside it, is
 * refused with nothing half-started.
 */
export async function planPorts(
  dir: string,
  previous: EstateCatalog | undefined,
  range: PortRange | undefined,
  services: readonly EstateService[],
): Promise<PortPlan> {
  const names = [...PORTS_OF.shared, ...services.flatMap((s) => PORTS_OF[s])];
  const kept = previous || existsSync(planFile(dir)) ? keptPorts(dir, previous) : {};
  if (range) {
    const outside = Object.values(kept).filter((p) => !inRange(p, range));
    if (outside.length) {
      throw new Error(
        `the estate in ${dir} was set up on ports outside ${ESTATE_PORTS_VAR}=${range.from}-${range.to} (${outside.join(', ')}), ` +
          `and its databases keep their ports: start it afresh inside the range with \`npm run estate -- reset\` (deletes its data), ` +
          `or unset ${ESTATE_PORTS_VAR} to restart it where it was`,
      );
    }
    const size = range.to - range.from + 1;
    const needed = new Set([...names, ...Object.keys(kept)]).size + (services.includes('crew') ? CREW_DATABASE_PORTS : 0);
    if (size < needed) {
      throw new Error(
        `${ESTATE_PORTS_VAR}=${range.from}-${range.to} holds ${size} ports; these services (${services.join(', ')}) listen on ${needed}: ` +
          `widen it to at least ${range.from}-${range.from + needed - 1}, better with room for drills, or start fewer services ` +
          `(LIFEBOAT_ESTATE_SERVICES=booking needs ${portsNeeded(['booking'])})`,
      );
    }
  }
  const taken = new Set<number>(Object.values(kept));
  const plan: PortPlan = { ...kept };
  for (const name of names) if (plan[name] === undefined) plan[name] = await takeEstatePort(taken, range);
  return plan;
}

/** Keeps the ports really bound (after any race), so the next start reuses them. */
export function savePorts(dir: string, plan: PortPlan): void {
  writeFileSync(planFile(dir), `${JSON.stringify(plan, null, 2)}\n`);
}

/**
 * Hands out ports for servers that lost theirs to another process, in the range when there is one. Every port of the
 * plan stays taken, and so does each one lost to a race, so none is handed out twice; picks run one at a time, since
 * servers start in parallel and two concurrent picks could both find the same port free.
 */
export function freshPortPicker(plan: PortPlan, range: PortRange | undefined, alsoTaken: readonly number[] = []): () => Promise<number> {
  const taken = new Set<number>([...Object.values(plan), ...alsoTaken]);
  let last: Promise<unknown> = Promise.resolve();
  return () => {
    const next = last.then(() => takeEstatePort(taken, range));
    last = next.catch(() => undefined);
    return next;
  };
}

/** A port of the plan, which must be there (a start plans every port of its services). */
export function portOf(plan: PortPlan, name: string): number {
  const port = plan[name];
  if (port === undefined) throw new Error(`the estate's port plan has no "${name}"`);
  return port;
}
