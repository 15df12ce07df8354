/**
 * The airline's services in the sample estate, and which of them a start brings up. Booking is the core: its
 * database cluster also holds loyalty's, and check-in reads bookings, so both bring booking with them.
 */
export const ESTATE_SERVICES = ['booking', 'loyalty', 'checkin', 'crew', 'flight-status'] as const;
export type EstateService = (typeof ESTATE_SERVICES)[number];

/** The variable that picks the services `up` (and `npm start`) brings up, e.g. `booking` or `booking,crew`. */
export const ESTATE_SERVICES_VAR = 'LIFEBOAT_ESTATE_SERVICES';

/** What each service needs running beside it: loyalty lives in booking's cluster, check-in calls booking. */
const NEEDS: Partial<Record<EstateService, EstateService[]>> = { loyalty: ['booking'], checkin: ['booking'] };

const isService = (name: string): name is EstateService => (ESTATE_SERVICES as readonly string[]).includes(name);

/**
 * The services to start: the named ones, plus what they need, in the catalog's order. Booking always comes: the
 * fleet, the isolated drills and the load counter hang off it. Unknown names are refused, naming the ones there are.
 */
export function selectServices(names: readonly string[] | undefined): EstateService[] {
  if (!names || names.length === 0) return [...ESTATE_SERVICES];
  const unknown = names.filter((n) => !isService(n));
  if (unknown.length) {
    throw new Error(
      `${ESTATE_SERVICES_VAR} / --services: ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a service of the estate; ` +
        `use a comma-separated list of ${ESTATE_SERVICES.join(', ')}`,
    );
  }
  const chosen = new Set<EstateService>(['booking', ...(names as EstateService[])]);
  for (const n of [...chosen]) for (const need of NEEDS[n] ?? []) chosen.add(need);
  return ESTATE_SERVICES.filter((s) => chosen.has(s));
}

/** `booking,crew` (or spaces) as a list; empty or unset means every service. */
export function parseServiceList(value: string | undefined): string[] | undefined {
  const names = (value ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length ? names : undefined;
}

/** The services `LIFEBOAT_ESTATE_SERVICES` names, checked; every service when it is unset. */
export function servicesFromEnv(env: NodeJS.ProcessEnv = process.env): EstateService[] {
  return selectServices(parseServiceList(env[ESTATE_SERVICES_VAR]));
}
