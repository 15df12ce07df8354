import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { EstateCatalog, RegionName } from '../../estate/catalog';
import type { Violation } from '../world-types';

export const TWO_WRITABLE_PRIMARIES = 'two writable primaries';

/** One database's two nodes, as the watcher reaches them: straight to PostgreSQL, never through a proxy. */
export interface DatabasePair {
  /** The service that owns the database (crew's is its Patroni clusters' PostgreSQL). */
  name: string;
  regions: Record<RegionName, { host: string; port: number; user: string; database: string }>;
}

/** What one node said in one sample: writable only when it answered, is out of recovery and is not fenced. */
export interface NodeSample {
  region: RegionName;
  /** When the sample was asked and when it answered (or gave up), ISO. */
  from: string;
  to: string;
  reachable: boolean;
  inRecovery?: boolean;
  /** Lifeboat's fence: `default_transaction_read_only` is on for a new session (providers/postgres, providers/patroni). */
  fenced?: boolean;
  error?: string;
}

export const isWritable = (s: NodeSample): boolean => s.reachable && s.inRecovery === false && s.fenced === false;

/**
 * Every database pair in the catalog, each once: booking, checkin and crew. Loyalty lives in booking's cluster, so
 * booking's nodes already tell its story; crew's PostgreSQL is reached as Lifeboat's Patroni targets reach it.
 */
export function databasePairs(catalog: EstateCatalog): DatabasePair[] {
  const { booking, checkin, crew } = catalog.services;
  const pg = (p: { host: string; port: number; user: string; database: string }) => ({ host: p.host, port: p.port, user: p.user, database: p.database });
  const pairs: DatabasePair[] = [{ name: 'booking', regions: { A: pg(booking.regions.A.postgres), B: pg(booking.regions.B.postgres) } }];
  if (checkin) pairs.push({ name: 'checkin', regions: { A: pg(checkin.regions.A.postgres), B: pg(checkin.regions.B.postgres) } });
  if (crew) {
    const patroni = (r: RegionName) => ({ ...crew.regions[r].postgres, user: 'postgres', database: 'postgres' });
    pairs.push({ name: 'crew', regions: { A: patroni('A'), B: patroni('B') } });
  }
  return pairs;
}

/**
 * Asks one node, in a fresh session, whether it is in recovery and fenced. Never throws and never takes longer than
 * `timeoutMs`: a paused postmaster (SIGSTOP) accepts the TCP connection and then says nothing, so the whole sample,
 * not only the connect, has a deadline, after which the session is torn down and the node counts as unreachable.
 */
export async function sampleNode(node: DatabasePair['regions'][RegionName], region: RegionName, timeoutMs: number): Promise<NodeSample> {
  const from = new Date().toISOString();
  const client = new Client({ ...node, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const asked = (async () => {
      await client.connect();
      const r = await client.query(`SELECT pg_is_in_recovery() AS rec, current_setting('default_transaction_read_only') = 'on' AS fenced`);
      return r.rows[0] as { rec: boolean; fenced: boolean };
    })();
    asked.catch(() => undefined);
    const row = await Promise.race([asked, deadline]);
    return { region, from, to: new Date().toISOString(), reachable: true, inRecovery: row.rec, fenced: row.fenced };
  } catch (err) {
    return { region, from, to: new Date().toISOString(), reachable: false, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
    // end() waits for the server's goodbye, which a paused one never sends: do not wait for it.
    void client.end().catch(() => undefined);
  }
}

/** Both regions of one pair, asked at the same moment, so a round compares what each said at nearly the same time. */
export async function samplePair(pair: DatabasePair, timeoutMs: number): Promise<Record<RegionName, NodeSample>> {
  const [A, B] = await Promise.all([sampleNode(pair.regions.A, 'A', timeoutMs), sampleNode(pair.regions.B, 'B', timeoutMs)]);
  return { A, B };
}

/** A node's answer in words, for the evidence: `A primary, not fenced (asked 12:00:01.250, answered 12:00:01.262)`. */
export function describeSample(s: NodeSample): string {
  const when = `asked ${s.from}, answered ${s.to}`;
  if (!s.reachable) return `${s.region} unreachable: ${s.error ?? 'no answer'} (${when})`;
  return `${s.region} ${s.inRecovery ? 'in recovery' : 'primary'}, ${s.fenced ? 'fenced' : 'not fenced'} (${when})`;
}

/** The postmaster's process id, from `postmaster.pid` in a data directory (its first line): what a fault pauses or kills. */
export function postmasterPid(dataDir: string): number {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no postmaster pid in ${dataDir}/postmaster.pid`);
  return pid;
}

/** A running watcher: `stop()` ends it after its current round and returns every split brain it saw. */
export interface PrimariesWatch {
  stop(): Promise<Violation[]>;
  /** Rounds completed so far (each round samples every node of every pair once). */
  sampleCount(): number;
  /** What every node said in the last completed round, by database: for a runner's log and for tests. */
  lastRound(): { database: string; A: NodeSample; B: NodeSample }[];
}

/**
 * Watches every database pair for a split brain, a round every `everyMs` (250 ms): each round asks all nodes at once,
 * and a round in which both regions of one database would take writes (out of recovery, not fenced) is a violation.
 * A node that does not answer within `timeoutMs` (an unreachable or paused node) counts as not writable, and the
 * round goes on without it. That is what can be known from outside, not a guarantee: a paused postmaster takes no new
 * session, but sessions already open (a service's pool) still write, so a paused primary that was never fenced is
 * caught by the first round after it answers again, if it is still writable then. One violation per episode:
 * consecutive rounds with the same split brain are one, with the first round's answers as evidence and its length.
 */
export function watchPrimaries(catalog: EstateCatalog, opts: { everyMs?: number; timeoutMs?: number } = {}): PrimariesWatch {
  const everyMs = opts.everyMs ?? 250;
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const pairs = databasePairs(catalog);
  const violations: (Violation & { rounds: number; lastSeen: string })[] = [];
  /** The open episode of each database, by name. */
  const open = new Map<string, (typeof violations)[number]>();
  let rounds = 0;
  let last: ReturnType<PrimariesWatch['lastRound']> = [];
  let stopping = false;

  const round = async () => {
    const sampled = await Promise.all(pairs.map(async (pair) => ({ pair, samples: await samplePair(pair, timeoutMs) })));
    for (const { pair, samples } of sampled) {
      if (!isWritable(samples.A) || !isWritable(samples.B)) {
        open.delete(pair.name);
        continue;
      }
      const episode = open.get(pair.name);
      if (episode) {
        episode.rounds++;
        episode.lastSeen = samples.B.to;
        continue;
      }
      const v = {
        invariant: TWO_WRITABLE_PRIMARIES,
        evidence: `${pair.name}: both regions took writes in one round: ${describeSample(samples.A)}; ${describeSample(samples.B)}`,
        rounds: 1,
        lastSeen: samples.B.to,
      };
      violations.push(v);
      open.set(pair.name, v);
    }
    last = sampled.map(({ pair, samples }) => ({ database: pair.name, ...samples }));
    rounds++;
  };

  const loop = (async () => {
    while (!stopping) {
      const started = Date.now();
      await round();
      const wait = started + everyMs - Date.now();
      if (wait > 0 && !stopping) await new Promise((r) => setTimeout(r, wait));
    }
  })();

  return {
    sampleCount: () => rounds,
    lastRound: () => last,
    stop: async () => {
      stopping = true;
      await loop;
      return violations.map((v) => ({
        invariant: v.invariant,
        evidence: v.rounds > 1 ? `${v.evidence}; still so for ${v.rounds} rounds, last seen ${v.lastSeen}` : v.evidence,
      }));
    },
  };
}
