import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { RegionName } from './catalog';
import { logEnd, lostPortRace, PORT_RACE_STARTS } from './port-race';
import type { PortPlan } from './port-plan';
import { initPrimary, initStandby, moveClusterPort, pgLogFile, startCluster } from './postgres-cluster';

/** A database address on loopback as the estate's servers and the targets file name it. */
export const loopbackDb = (port: number, database = 'postgres') => ({ host: '127.0.0.1', port, user: 'postgres', database });

/** A streaming pair: the primary's data dir in A, the standby's in B, and their ports' names in the plan. */
export interface PostgresPair {
  label: string;
  dataDirs: Record<RegionName, string>;
  portKeys: Record<RegionName, string>;
}

/** Whether the pair was never initialised (no data in A yet). */
export const pairIsFresh = (pair: PostgresPair) => !existsSync(join(pair.dataDirs.A, 'PG_VERSION'));

/**
 * Starts a PostgreSQL cluster; on its first start, when another process took its port since it was picked
 * (PostgreSQL logs "Address already in use"), moves it to a fresh port and starts it again, up to `PORT_RACE_STARTS`
 * times. A cluster that ran before keeps its port: the standby's replication settings name the primary's.
 */
async function startClusterOnFreePort(
  dataDir: string,
  key: string,
  fresh: boolean,
  ports: PortPlan,
  freshPort: () => Promise<number>,
  log: (line: string) => void,
): Promise<void> {
  for (let start = 1; ; start++) {
    const from = logEnd(pgLogFile(dataDir));
    try {
      await startCluster(dataDir);
      return;
    } catch (err) {
      if (!fresh || start >= PORT_RACE_STARTS || !lostPortRace(pgLogFile(dataDir), from)) throw err;
      const lost = ports[key];
      ports[key] = await freshPort();
      log(`another process took port ${lost} before PostgreSQL bound it; moving it to port ${ports[key]}`);
      moveClusterPort(dataDir, ports[key]);
    }
  }
}

/**
 * Brings a pair up: on a first start `initdb` the primary (A), run `prepare` on it, clone the standby (B) with
 * `pg_basebackup -R`; after a `down`, start the same data on the same ports.
 */
export async function startPostgresPair(
  pair: PostgresPair,
  ports: PortPlan,
  freshPort: () => Promise<number>,
  log: (line: string) => void,
  prepare: (primary: ReturnType<typeof loopbackDb>) => Promise<void> = async () => undefined,
): Promise<void> {
  const fresh = pairIsFresh(pair);
  const port = (r: RegionName) => ports[pair.portKeys[r]]!;
  if (fresh) {
    log(`initdb ${pair.label} primary (region A) on port ${port('A')}`);
    await initPrimary(pair.dataDirs.A, port('A'));
  }
  await startClusterOnFreePort(pair.dataDirs.A, pair.portKeys.A, fresh, ports, freshPort, log);
  if (fresh) {
    await prepare(loopbackDb(port('A')));
    log(`pg_basebackup ${pair.label} standby (region B) on port ${port('B')}`);
    await initStandby(pair.dataDirs.B, port('B'), port('A'));
  }
  await startClusterOnFreePort(pair.dataDirs.B, pair.portKeys.B, fresh, ports, freshPort, log);
}

/**
 * The region whose server takes writes now (after a failover that is B), or undefined when none answers as a
 * primary. What the estate creates later (a database for a service added to a running estate) goes there, and
 * replication takes it to the standby.
 */
export async function writablePrimary(ports: Record<RegionName, number>): Promise<RegionName | undefined> {
  for (const region of ['A', 'B'] as const) {
    const client = new Client({ ...loopbackDb(ports[region]), connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      if (rows[0]?.standby === false) return region;
    } catch {
      // not answering: try the other region
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return undefined;
}
