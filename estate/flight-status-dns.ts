import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  GetHealthCheckCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  UpdateHealthCheckCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RegionName } from './catalog';
import { MOTO_RECORD } from './moto-server';
import { isAlive, readRecord, stopRecorded } from './processes';
import { estateLayout } from './state-dir';

/**
 * The flight-status service's DNS: a Route 53 hosted zone on moto with one CNAME, `status.airline.example`, as a pair
 * of failover records (PRIMARY and SECONDARY), each carrying an HTTP health check on its region's server. A failover
 * makes the other region's record PRIMARY, through Route 53's API, as on AWS. moto forgets everything when it stops, so
 * every `up` creates it again, keeping the region that was PRIMARY before `down` (remembered in a file beside it).
 */

export const FLIGHT_STATUS_ZONE = 'airline.example';
export const FLIGHT_STATUS_RECORD = `status.${FLIGHT_STATUS_ZONE}`;

/**
 * Credentials for moto, which takes any. The estate signs with these; a worker that switches the record needs the
 * same kind in its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), where the Route 53 provider's
 * standard credential chain finds them.
 */
export const MOTO_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'lifeboat-estate', AWS_SECRET_ACCESS_KEY: 'lifeboat-estate', AWS_REGION: 'us-east-1' } as const;

const REGIONS = ['A', 'B'] as const satisfies readonly RegionName[];

/** One region's record set in the failover pair. */
export const FlightStatusRecord = z.object({ setIdentifier: z.string(), value: z.string(), healthCheckId: z.string() });

/** The targets file's `traffic` section for flight-status, in the shape of the Route 53 provider's settings. */
export const FlightStatusRoute53 = z.object({
  provider: z.literal('route53'),
  hostedZoneId: z.string(),
  recordName: z.string(),
  recordType: z.literal('CNAME'),
  routing: z.literal('failover'),
  endpoint: z.string(),
  regions: z.object({ A: FlightStatusRecord, B: FlightStatusRecord }),
});
export type FlightStatusRoute53 = z.infer<typeof FlightStatusRoute53>;

/** The DNS as `up` left it: where to find it, and which region's record was PRIMARY then. */
export interface FlightStatusDns {
  route53: FlightStatusRoute53;
  primary: RegionName;
}

const dnsFile = (stateDir: string) => join(stateDir, 'flight-status-dns.json');
const primaryFile = (stateDir: string) => join(stateDir, 'flight-status-primary.json');

const setIdentifierOf = (region: RegionName) => `flight-status-${region}`;
const valueOf = (region: RegionName) => `flight-status-${region.toLowerCase()}.${FLIGHT_STATUS_ZONE}`;

function client(endpoint: string): Route53Client {
  return new Route53Client({
    endpoint,
    region: MOTO_CREDENTIALS.AWS_REGION,
    credentials: { accessKeyId: MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
  });
}

/** Route 53 writes names fully qualified, with the trailing dot. */
const sameName = (a: string | undefined, b: string) => a?.replace(/\.$/, '') === b.replace(/\.$/, '');

/** The region whose record `down` found PRIMARY, if one was remembered. */
export function rememberedFlightStatusPrimary(stateDir: string): RegionName | undefined {
  if (!existsSync(primaryFile(stateDir))) return undefined;
  const parsed = z.object({ primary: RegionName }).safeParse(JSON.parse(readFileSync(primaryFile(stateDir), 'utf8')));
  return parsed.success ? parsed.data.primary : undefined;
}

/** The DNS settings the last `up` wrote, if any. */
export function readFlightStatusDns(stateDir: string): FlightStatusRoute53 | undefined {
  if (!existsSync(dnsFile(stateDir))) return undefined;
  const parsed = FlightStatusRoute53.safeParse(JSON.parse(readFileSync(dnsFile(stateDir), 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

async function findOrCreateZone(r53: Route53Client): Promise<string> {
  const listed = await r53.send(new ListHostedZonesByNameCommand({ DNSName: FLIGHT_STATUS_ZONE }));
  const zone = listed.HostedZones?.find((z) => sameName(z.Name, FLIGHT_STATUS_ZONE));
  const id =
    zone?.Id ?? (await r53.send(new CreateHostedZoneCommand({ Name: FLIGHT_STATUS_ZONE, CallerReference: `lifeboat-estate-${Date.now()}` }))).HostedZone?.Id;
  if (!id) throw new Error(`Route 53 on moto returned no id for zone ${FLIGHT_STATUS_ZONE}`);
  return id.replace('/hostedzone/', '');
}

async function recordSets(r53: Route53Client, zoneId: string): Promise<ResourceRecordSet[]> {
  const listed = await r53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: FLIGHT_STATUS_RECORD, StartRecordType: 'CNAME' }));
  return (listed.ResourceRecordSets ?? []).filter((s) => sameName(s.Name, FLIGHT_STATUS_RECORD) && s.Type === 'CNAME');
}

/**
 * A region's health check, probing its flight-status server's `/health`: the one its record already carries (moto
 * still running from before), pointed at the server's current port, else a new one. moto stores checks, never probes.
 */
async function healthCheckFor(r53: Route53Client, region: RegionName, serverUrl: string, existingId: string | undefined): Promise<string> {
  const url = new URL(serverUrl);
  const port = Number(url.port);
  if (existingId) {
    const current = await r53.send(new GetHealthCheckCommand({ HealthCheckId: existingId }));
    if (current.HealthCheck?.HealthCheckConfig?.Port !== port) {
      await r53.send(new UpdateHealthCheckCommand({ HealthCheckId: existingId, IPAddress: url.hostname, Port: port, ResourcePath: '/health' }));
    }
    return existingId;
  }
  const created = await r53.send(
    new CreateHealthCheckCommand({
      CallerReference: `lifeboat-estate-flight-status-${region}-${Date.now()}`,
      HealthCheckConfig: { Type: 'HTTP', IPAddress: url.hostname, Port: port, ResourcePath: '/health', RequestInterval: 10, FailureThreshold: 3 },
    }),
  );
  const id = created.HealthCheck?.Id;
  if (!id) throw new Error(`Route 53 on moto returned no id for region ${region}'s health check`);
  return id;
}

/**
 * Creates the flight-status DNS in moto at `endpoint`: the zone, a health check per region on its server's `/health`
 * (`serverUrls`: `http://127.0.0.1:PORT`) and the failover pair, PRIMARY the region remembered at the last `down`, else
 * A. When moto still holds them (it ran on), keeps them as they are, PRIMARY included, and only points the health
 * checks at the servers' ports. Writes the settings to the state dir for `rememberFlightStatusPrimary`.
 */
export async function setUpFlightStatusDns(o: { stateDir: string; endpoint: string; serverUrls: Record<RegionName, string> }): Promise<FlightStatusDns> {
  const r53 = client(o.endpoint);
  const hostedZoneId = await findOrCreateZone(r53);
  const existing = await recordSets(r53, hostedZoneId);
  const existingOf = (r: RegionName) => existing.find((s) => s.SetIdentifier === setIdentifierOf(r));
  const healthCheckIds = {} as Record<RegionName, string>;
  for (const r of REGIONS) healthCheckIds[r] = await healthCheckFor(r53, r, o.serverUrls[r], existingOf(r)?.HealthCheckId);
  const kept = REGIONS.find((r) => existingOf(r)?.Failover === 'PRIMARY');
  const primary = kept ?? rememberedFlightStatusPrimary(o.stateDir) ?? 'A';
  const complete = REGIONS.every((r) => existingOf(r)?.HealthCheckId === healthCheckIds[r]) && kept !== undefined;
  if (!complete) {
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: hostedZoneId,
        ChangeBatch: {
          Comment: 'lifeboat sample estate: flight-status failover pair',
          Changes: REGIONS.map((r) => ({
            Action: 'UPSERT' as const,
            ResourceRecordSet: {
              Name: FLIGHT_STATUS_RECORD,
              Type: 'CNAME' as const,
              TTL: 30,
              SetIdentifier: setIdentifierOf(r),
              Failover: r === primary ? ('PRIMARY' as const) : ('SECONDARY' as const),
              HealthCheckId: healthCheckIds[r],
              ResourceRecords: [{ Value: valueOf(r) }],
            },
          })),
        },
      }),
    );
  }
  const route53: FlightStatusRoute53 = {
    provider: 'route53',
    hostedZoneId,
    recordName: FLIGHT_STATUS_RECORD,
    recordType: 'CNAME',
    routing: 'failover',
    endpoint: o.endpoint,
    regions: {
      A: { setIdentifier: setIdentifierOf('A'), value: valueOf('A'), healthCheckId: healthCheckIds.A },
      B: { setIdentifier: setIdentifierOf('B'), value: valueOf('B'), healthCheckId: healthCheckIds.B },
    },
  };
  writeFileSync(dnsFile(o.stateDir), `${JSON.stringify(route53, null, 2)}\n`);
  writeFileSync(primaryFile(o.stateDir), `${JSON.stringify({ primary })}\n`);
  return { route53, primary };
}

/**
 * Which region's record is PRIMARY now, read from Route 53 (moto): where flight-status clients go while its health
 * check passes. For the estate's status and the load counter.
 */
export async function flightStatusActiveRegion(route53: FlightStatusRoute53): Promise<RegionName> {
  const sets = await recordSets(client(route53.endpoint), route53.hostedZoneId);
  const primary = sets.find((s) => s.Failover === 'PRIMARY');
  const region = REGIONS.find((r) => route53.regions[r].setIdentifier === primary?.SetIdentifier);
  if (!region) throw new Error(`no PRIMARY record for ${route53.recordName} in zone ${route53.hostedZoneId} names region A or B`);
  return region;
}

/**
 * Before `down` stops moto (which forgets the zone), writes down which region's record is PRIMARY, so the next `up`
 * makes that one PRIMARY again: after a failover, flight-status clients stay on the new region. When moto does not
 * answer, the file keeps what `up` (or the last `down`) wrote, and `log` says so.
 */
export async function rememberFlightStatusPrimary(stateDir: string, log: (line: string) => void = () => undefined): Promise<RegionName | undefined> {
  const route53 = readFlightStatusDns(stateDir);
  const record = readRecord(estateLayout(stateDir).run, MOTO_RECORD);
  if (!route53 || !record || !isAlive(record.pid)) return rememberedFlightStatusPrimary(stateDir);
  try {
    const primary = await flightStatusActiveRegion(route53);
    writeFileSync(primaryFile(stateDir), `${JSON.stringify({ primary })}\n`);
    return primary;
  } catch (err) {
    const kept = rememberedFlightStatusPrimary(stateDir);
    log(`could not read flight-status's PRIMARY record before stopping moto (${(err as Error).message}); the next up makes ${kept ?? 'A'} PRIMARY`);
    return kept;
  }
}

/** `down` for the flight-status DNS: remembers the PRIMARY region, then stops moto. */
export async function stopFlightStatusDns(stateDir: string, log: (line: string) => void = () => undefined): Promise<void> {
  await rememberFlightStatusPrimary(stateDir, log);
  await stopRecorded(estateLayout(stateDir).run, MOTO_RECORD);
}
