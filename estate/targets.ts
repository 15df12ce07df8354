import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EstateCatalog } from './catalog';

/** The name Lifeboat looks for a targets file under (README, "Targets file"). */
const TARGETS_FILE_NAME = 'lifeboat.targets.json';

/**
 * The targets file for the sample estate, as plain data in the format the README documents: the same providers a
 * real estate would name (HAProxy's runtime API, libpq, the service-mode and fleet HTTP contracts), plus the sample
 * estate's own local operations (rebuilding a standby from its data directories, isolated drills, the load counter),
 * which only it offers. The estate writes it the way any estate's configuration management would, without Lifeboat's
 * code; Lifeboat validates it when it reads it (providers/sample-estate/targets.ts, and every run).
 */
export function sampleTargetsFile(catalog: EstateCatalog) {
  const regions = catalog.services.booking.regions;
  const names = ['A', 'B'] as const;
  const perRegion = <T>(pick: (r: (typeof regions)['A']) => T) => Object.fromEntries(names.map((n) => [n, pick(regions[n])])) as Record<string, T>;
  const dataDirs = perRegion((r) => r.postgres.dataDir);
  const sampleEstate = { provider: 'sample-estate' as const, stateDir: catalog.stateDir, dataDirs };
  const lb = catalog.loadBalancer;
  return {
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
  };
}

/** Writes `lifeboat.targets.json` into the estate's state directory and returns its path. */
export function writeSampleTargets(catalog: EstateCatalog, dir: string = catalog.stateDir): string {
  const path = join(dir, TARGETS_FILE_NAME);
  writeFileSync(path, `${JSON.stringify(sampleTargetsFile(catalog), null, 2)}\n`);
  return path;
}
