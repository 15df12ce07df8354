import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakCrewRegion, crewPatroniPids, startCrewPatroni, stopCrewPatroni, type CrewPatroni } from '../../estate/crew-patroni';
import { takeEstatePort } from '../../estate/ports';
import { patroniMissing } from '../helpers/patroni';

const missing = patroniMissing();
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-crew-'));
const taken = new Set<number>();
const take = () => takeEstatePort(taken, undefined);
/** Another process that binds A's PostgreSQL port just before Patroni starts it, hanging up on whoever connects. */
const thief = createServer((socket) => socket.destroy());
let stolen: number | undefined;
let crew: CrewPatroni;

/** One statement in a fresh session over TCP as the superuser, with no password, as the estate's services connect. */
async function sql<T>(port: number, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 3_000 });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

async function getJson(url: string): Promise<{ members?: { role: string; state: string }[] } | undefined> {
  try {
    return (await (await fetch(url, { signal: AbortSignal.timeout(2_000) })).json()) as { members?: { role: string; state: string }[] };
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  if (missing) return;
  crew = await startCrewPatroni({
    stateDir: dir,
    take,
    log: (line) => {
      const m = /^start crew Patroni A \(REST \S+, PostgreSQL port (\d+)\)/.exec(line);
      // Listening without a host binds at once on every address, so PostgreSQL's bind on 127.0.0.1 fails.
      if (m && stolen === undefined) thief.listen((stolen = Number(m[1])));
    },
  });
});

afterAll(async () => {
  if (!missing) await stopCrewPatroni(dir);
  if (thief.listening) await new Promise((r) => thief.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing)(`the crew service's Patroni database${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it("moves A's PostgreSQL to a fresh port when another process took the one it was given on first start", () => {
    expect(stolen).toBeDefined();
    expect(crew.regions.A.postgres.port).not.toBe(stolen);
    expect(crew.ports.pgA).toBe(crew.regions.A.postgres.port);
  });

  it("A's leader takes writes and B's standby cluster replays them", async () => {
    await sql(crew.regions.A.postgres.port, 'CREATE TABLE crew_roster (id text PRIMARY KEY, region text NOT NULL)');
    await sql(crew.regions.A.postgres.port, 'INSERT INTO crew_roster VALUES ($1, $2)', ['pilot-17', 'A']);
    await expect
      .poll(async () => (await sql<{ id: string }>(crew.regions.B.postgres.port, 'SELECT id FROM crew_roster').catch(() => [])).map((r) => r.id))
      .toEqual(['pilot-17']);
    await expect(sql(crew.regions.B.postgres.port, "INSERT INTO crew_roster VALUES ('cabin-3', 'B')")).rejects.toThrow(/read-only/);
  });

  it("each region's Patroni REST API answers /cluster: A's member leads, B's is a standby leader", async () => {
    const roles = async (url: string) => (await getJson(`${url}/cluster`))?.members?.map((m) => `${m.role}:${m.state}`);
    expect(await roles(crew.regions.A.restUrl)).toEqual(['leader:running']);
    // B's standby leader reports `starting` for a moment after the estate is up, while it connects to A.
    await expect.poll(() => roles(crew.regions.B.restUrl)).toEqual(['standby_leader:running']);
  });

  it('stopping keeps the data, and starting again reuses it on the same ports', async () => {
    await stopCrewPatroni(dir);
    expect(crewPatroniPids(dir)).toEqual([]);
    const again = await startCrewPatroni({ stateDir: dir, take: () => Promise.reject(new Error('a restart takes no new port')) });
    expect(again).toEqual(crew);
    expect(await sql<{ id: string }>(crew.regions.A.postgres.port, 'SELECT id FROM crew_roster')).toEqual([{ id: 'pilot-17' }]);
    await sql(crew.regions.A.postgres.port, "INSERT INTO crew_roster VALUES ('purser-2', 'A')");
    await expect
      .poll(async () => (await sql<{ id: string }>(crew.regions.B.postgres.port, 'SELECT id FROM crew_roster ORDER BY id').catch(() => [])).map((r) => r.id))
      .toEqual(['pilot-17', 'purser-2']);
  });

  it("breaking region A leaves A's REST API and PostgreSQL unreachable, and B's still answering", async () => {
    await breakCrewRegion(dir, 'A');
    expect(await getJson(`${crew.regions.A.restUrl}/cluster`)).toBeUndefined();
    await expect(sql(crew.regions.A.postgres.port, 'SELECT 1')).rejects.toThrow();
    expect((await getJson(`${crew.regions.B.restUrl}/cluster`))?.members?.map((m) => m.role)).toEqual(['standby_leader']);
  });

  it('stopping leaves no crew process running', async () => {
    expect(crewPatroniPids(dir).length).toBeGreaterThan(0);
    await stopCrewPatroni(dir);
    expect(crewPatroniPids(dir)).toEqual([]);
  });
});
