import type { EstateCatalog, RegionName } from './catalog';
import { ensureAirlineSchema } from './airline/store';
import { breakCrewRegion, crewPatroniPids, startCrewPatroni, stopCrewPatroni } from './crew-patroni';
import { loopbackDb, writablePrimary } from './postgres-pair';
import type { StartContext } from './start-context';

export { breakCrewRegion, crewPatroniPids, stopCrewPatroni };

/**
 * Crew scheduling: its database under Patroni (one single-node cluster per region on one etcd, B a standby cluster of
 * A), its `records` table created on whichever region leads, and a crew server per region on that region's PostgreSQL.
 */
export async function startCrewService(ctx: StartContext): Promise<NonNullable<EstateCatalog['services']['crew']>> {
  const db = await startCrewPatroni({ stateDir: ctx.dir, take: ctx.freshPort, log: ctx.log });
  const pgPort = (r: RegionName) => db.regions[r].postgres.port;
  const primary = await writablePrimary({ A: pgPort('A'), B: pgPort('B') });
  if (primary) await ensureAirlineSchema(loopbackDb(pgPort(primary)));
  await Promise.all((['A', 'B'] as const).map((r) => ctx.serve(`crew${r}`, ctx.airline('crew', r, { port: pgPort(r), database: 'postgres' }))));
  const region = (r: RegionName) => ({
    url: ctx.url(`crew${r}`),
    restUrl: db.regions[r].restUrl,
    postgres: { host: '127.0.0.1', port: pgPort(r) },
  });
  return { etcdUrl: db.etcdUrl, regions: { A: region('A'), B: region('B') } };
}
