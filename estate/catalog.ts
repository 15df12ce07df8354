import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** The estate's two regions. */
export const RegionName = z.enum(['A', 'B']);
export type RegionName = z.infer<typeof RegionName>;

const port = z.number().int().min(1).max(65535);
const loopbackUrl = z.url();

/** Where a region's PostgreSQL is and the role it had when the estate came up (adapters check the live role). */
export const PostgresEndpoint = z.object({
  host: z.string().min(1),
  port,
  user: z.string().min(1),
  database: z.string().min(1),
  dataDir: z.string().min(1),
  role: z.enum(['primary', 'standby']),
});
export type PostgresEndpoint = z.infer<typeof PostgresEndpoint>;

/** One region of a service: its HTTP address and its database. */
export const ServiceRegion = z.object({ url: loopbackUrl, postgres: PostgresEndpoint });
export type ServiceRegion = z.infer<typeof ServiceRegion>;

/** HAProxy's names for one region: the backend the switch selects and its server. */
export const LbBackend = z.object({ backend: z.string().min(1), server: z.string().min(1) });
export type LbBackend = z.infer<typeof LbBackend>;

/**
 * The load balancer: clients use `clientUrl`; the active region is the value of `switch.key` in the HAProxy map
 * `switch.mapFile`, changed at runtime through the admin socket at `runtimeApi` (no reload, no dropped connections).
 */
export const LoadBalancer = z.object({
  clientUrl: loopbackUrl,
  runtimeApi: z.object({ host: z.string().min(1), port }),
  switch: z.object({ mapFile: z.string().min(1), key: z.string().min(1) }),
  backends: z.object({ A: LbBackend, B: LbBackend }),
});
export type LoadBalancer = z.infer<typeof LoadBalancer>;

/** One region of a service with its own HTTP server and no database of its own to record (flight-status). */
export const HttpRegion = z.object({ url: loopbackUrl });

/** One region of crew's Patroni-managed database: the service, Patroni's REST API, and the leader over libpq. */
export const PatroniServiceRegion = z.object({
  url: loopbackUrl,
  restUrl: loopbackUrl,
  postgres: z.object({ host: z.string().min(1), port }),
});

/**
 * Flight-status's DNS on the AWS API emulator: the hosted zone, the failover record clients resolve, and each
 * region's record set with its health check. Plain data in the shape a Route 53 targets section takes.
 */
export const FlightStatusDns = z.object({
  endpoint: loopbackUrl,
  hostedZoneId: z.string().min(1),
  recordName: z.string().min(1),
  recordType: z.literal('CNAME'),
  routing: z.literal('failover'),
  regions: z.object({
    A: z.object({ setIdentifier: z.string().min(1), value: z.string().min(1), healthCheckId: z.string().min(1) }),
    B: z.object({ setIdentifier: z.string().min(1), value: z.string().min(1), healthCheckId: z.string().min(1) }),
  }),
});
export type FlightStatusDns = z.infer<typeof FlightStatusDns>;

const twoRegions = <T extends z.ZodType>(region: T) => z.object({ A: region, B: region });

/**
 * What `estate up` writes to `catalog.json`: the sample estate's own record of its processes' addresses and data
 * directories. Runbooks never read it: they act through the targets file (`lifeboat.targets.json`) the estate writes
 * next to it (see `estate/targets.ts`); only the estate and its provider (`providers/sample-estate`) read this.
 * Booking is always there; the other services only when the start brought them up (`LIFEBOAT_ESTATE_SERVICES`).
 */
export const EstateCatalog = z.object({
  version: z.literal(1),
  stateDir: z.string().min(1),
  services: z.object({
    booking: z.object({ regions: twoRegions(ServiceRegion) }),
    /** A second database (`loyalty`) in booking's cluster: it moves with booking, and booking with it. */
    loyalty: z.object({ regions: twoRegions(ServiceRegion) }).optional(),
    /** Its own PostgreSQL pair; reads bookings from booking in its own region. */
    checkin: z.object({ regions: twoRegions(ServiceRegion), dependsOn: z.array(z.string()) }).optional(),
    /** Its own Patroni cluster per region on one etcd; B is a standby cluster of A. */
    crew: z.object({ etcdUrl: loopbackUrl, regions: twoRegions(PatroniServiceRegion) }).optional(),
    /** Stateless; clients find the active region through Route 53 failover records. */
    'flight-status': z.object({ regions: twoRegions(HttpRegion), dns: FlightStatusDns }).optional(),
  }),
  /** Booking's frontend; `null` when HAProxy could not be started (not installed). */
  loadBalancer: LoadBalancer.nullable(),
  /** The other HAProxy-fronted services' frontends (loyalty, checkin, crew), on the same HAProxy. */
  frontends: z.record(z.string(), LoadBalancer).default({}),
  fleet: z.object({ url: loopbackUrl, hosts: z.number().int().positive() }),
});
export type EstateCatalog = z.infer<typeof EstateCatalog>;

/** The catalog path: `LIFEBOAT_ESTATE_CATALOG`, else `catalog.json` in the estate dir. */
export function defaultCatalogPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIFEBOAT_ESTATE_CATALOG) return resolve(env.LIFEBOAT_ESTATE_CATALOG);
  const dir = env.LIFEBOAT_ESTATE_DIR ?? resolve(__dirname, '..', '.state', 'estate');
  return resolve(dir, 'catalog.json');
}

/** Validates a catalog value; the error names each bad field, e.g. `services.booking.regions.B.postgres.port`. */
export function parseCatalog(value: unknown, source = 'catalog'): EstateCatalog {
  const result = EstateCatalog.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source} is not a valid estate catalog: ${detail}`);
  }
  return result.data;
}

/** Reads and validates the catalog `estate up` wrote; says how to create it when it is missing. */
export function loadCatalog(path: string = defaultCatalogPath()): EstateCatalog {
  if (!existsSync(path)) throw new Error(`no estate catalog at ${path}; start the estate with: npm run estate -- up`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`estate catalog ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseCatalog(raw, path);
}
