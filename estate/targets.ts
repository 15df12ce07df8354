import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTargets, TARGETS_FILE_NAME } from '../providers/targets/load';
import type { Targets } from '../providers/targets/schema';
import type { EstateCatalog } from './catalog';

/**
 * The targets file for the sample estate: the same providers a real estate would use (HAProxy's runtime API, libpq,
 * the service-mode and fleet HTTP contracts), plus the sample estate's own local operations (rebuilding a standby from
 * its data directories, isolated drills, the load counter), which only it offers.
 */
export function sampleTargets(catalog: EstateCatalog): Targets {
  const regions = catalog.services.booking.regions;
  const names = ['A', 'B'] as const;
  const perRegion = <T>(pick: (r: (typeof regions)['A']) => T) => Object.fromEntries(names.map((n) => [n, pick(regions[n])])) as Record<string, T>;
  const dataDirs = perRegion((r) => r.postgres.dataDir);
  const sampleEstate = { provider: 'sample-estate' as const, stateDir: catalog.stateDir, dataDirs };
  const lb = catalog.loadBalancer;
  return parseTargets(
    {
      version: 1,
      services: {
        booking: {
          regions: [...names],
          ...(lb
            ? {
                traffic: {
                  provider: 'haproxy',
                  runtimeApi: lb.runtimeApi,
                  map: { file: lb.switch.mapFile, key: lb.switch.key },
                  backends: lb.backends,
                  entryUrl: lb.clientUrl,
                },
              }
            : {}),
          database: {
            provider: 'postgres',
            regions: perRegion((r) => ({ host: r.postgres.host, port: r.postgres.port, user: r.postgres.user, database: r.postgres.database })),
          },
          serviceMode: { provider: 'http', regions: perRegion((r) => ({ url: r.url })) },
          rebuild: sampleEstate,
          sampleEstate,
        },
      },
      fleet: { provider: 'http', url: catalog.fleet.url },
    },
    'the sample estate targets',
  );
}

/** Writes `lifeboat.targets.json` into the estate's state directory and returns its path. */
export function writeSampleTargets(catalog: EstateCatalog, dir: string = catalog.stateDir): string {
  const path = join(dir, TARGETS_FILE_NAME);
  writeFileSync(path, `${JSON.stringify(sampleTargets(catalog), null, 2)}\n`);
  return path;
}
