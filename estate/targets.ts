import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EstateCatalog, LoadBalancer, ServiceRegion } from './catalog';

/** The name Lifeboat looks for a targets file under (README, "Targets file"). */
const TARGETS_FILE_NAME = 'lifeboat.targets.json';

type Regions<T> = { A: T; B: T };
const perRegion = <T>(pick: (r: 'A' | 'B') => T) => ({ A: pick('A'), B: pick('B') });

/** A traffic section for an HAProxy frontend of the estate. */
function haproxyTraffic(lb: LoadBalancer) {
  return {
    provider: 'haproxy',
    runtimeApi: lb.runtimeApi,
    map: { file: lb.switch.mapFile, key: lb.switch.key },
    backends: lb.backends,
    entryUrl: lb.clientUrl,
  };
}

/** A PostgreSQL pair's sections: the database over libpq, and the sample estate's rebuild from its data dirs. */
function postgresSections(stateDir: string, regions: Regions<ServiceRegion>) {
  const sampleEstate = { provider: 'sample-estate' as const, stateDir, dataDirs: perRegion((r) => regions[r].postgres.dataDir) };
  return {
    database: {
      provider: 'postgres',
      regions: perRegion((r) => {
        const pg = regions[r].postgres;
        return { host: pg.host, port: pg.port, user: pg.user, database: pg.database };
      }),
    },
    rebuild: sampleEstate,
    sampleEstate,
  };
}

const serviceMode = (regions: Regions<{ url: string }>) => ({ provider: 'http', regions: perRegion((r) => ({ url: regions[r].url })) });

/**
 * The targets file for the sample estate, as plain data in the format the README documents: the same providers a
 * real estate would name (HAProxy's runtime API, libpq, Patroni's REST API, Route 53, the service-mode and fleet HTTP
 * contracts), plus the sample estate's own local operations (rebuilding a standby from its data directories, isolated
 * drills, the load counter), which only it offers. Loyalty's database names the same servers as booking's, which is
 * how Lifeboat knows the two move together; check-in says it depends on booking. The estate writes it the way any
 * estate's configuration management would, without Lifeboat's code; Lifeboat validates it when it reads it.
 */
export function sampleTargetsFile(catalog: EstateCatalog) {
  const { booking, loyalty, checkin, crew } = catalog.services;
  const flightStatus = catalog.services['flight-status'];
  const lb = catalog.loadBalancer;
  const frontend = (service: string) => catalog.frontends[service];
  const regions = ['A', 'B'];
  const services: Record<string, object> = {
    booking: {
      regions,
      ...(lb ? { traffic: haproxyTraffic(lb) } : {}),
      ...postgresSections(catalog.stateDir, booking.regions),
      serviceMode: serviceMode(booking.regions),
    },
  };
  if (loyalty) {
    const f = frontend('loyalty');
    services.loyalty = {
      regions,
      ...(f ? { traffic: haproxyTraffic(f) } : {}),
      ...postgresSections(catalog.stateDir, loyalty.regions),
      serviceMode: serviceMode(loyalty.regions),
    };
  }
  if (checkin) {
    const f = frontend('checkin');
    services.checkin = {
      regions,
      ...(f ? { traffic: haproxyTraffic(f) } : {}),
      ...postgresSections(catalog.stateDir, checkin.regions),
      serviceMode: serviceMode(checkin.regions),
      dependsOn: checkin.dependsOn,
    };
  }
  if (crew) {
    const f = frontend('crew');
    services.crew = {
      regions,
      ...(f ? { traffic: haproxyTraffic(f) } : {}),
      database: {
        provider: 'patroni',
        regions: perRegion((r) => ({ restUrl: crew.regions[r].restUrl, postgres: { ...crew.regions[r].postgres, user: 'postgres', database: 'postgres' } })),
      },
      rebuild: { provider: 'patroni' },
      serviceMode: serviceMode(crew.regions),
    };
  }
  if (flightStatus) {
    const dns = flightStatus.dns;
    services['flight-status'] = {
      regions,
      traffic: {
        provider: 'route53',
        hostedZoneId: dns.hostedZoneId,
        recordName: dns.recordName,
        recordType: dns.recordType,
        routing: dns.routing,
        endpoint: dns.endpoint,
        regions: dns.regions,
      },
      serviceMode: serviceMode(flightStatus.regions),
      stateless: true,
    };
  }
  return { version: 1, services, fleet: { provider: 'http', url: catalog.fleet.url } };
}

/** Writes `lifeboat.targets.json` into the estate's state directory and returns its path. */
export function writeSampleTargets(catalog: EstateCatalog, dir: string = catalog.stateDir): string {
  const path = join(dir, TARGETS_FILE_NAME);
  writeFileSync(path, `${JSON.stringify(sampleTargetsFile(catalog), null, 2)}\n`);
  return path;
}
