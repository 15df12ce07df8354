import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../estate/catalog';
import { estatePids } from '../../estate/estate';
import { canListen, catalogPorts, ESTATE_PORT_COUNT, parseEstatePorts, takeEstatePort } from '../../estate/ports';
import { freeRange, listeningPorts } from '../helpers/listening-ports';

const run = promisify(execFile);
const repo = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-estate-ports-'));

/** Runs `dev/estate/cli.ts` as `npm run estate -- <args>` does, with `LIFEBOAT_ESTATE_PORTS` set to `ports` (or unset). */
async function estate(ports: string | undefined, ...args: string[]): Promise<{ out: string; code: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LIFEBOAT_ESTATE_DIR: dir };
  delete env.LIFEBOAT_ESTATE_PORTS;
  if (ports !== undefined) env.LIFEBOAT_ESTATE_PORTS = ports;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(repo, 'dev/estate/cli.ts'), ...args], { cwd: repo, env, timeout: 150_000 });
    return { out: `${stdout}${stderr}`, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { out: `${e.stdout ?? ''}${e.stderr ?? ''}`, code: e.code ?? 1 };
  }
}

afterAll(async () => {
  if (estatePids(dir).length) await estate(undefined, 'down');
  rmSync(dir, { recursive: true, force: true });
});

describe('LIFEBOAT_ESTATE_PORTS: parsing', () => {
  it('unset or blank means the OS assigns ports; FROM-TO is a range, both ends included', () => {
    expect(parseEstatePorts(undefined)).toBeUndefined();
    expect(parseEstatePorts('  ')).toBeUndefined();
    expect(parseEstatePorts('41000-41019')).toEqual({ from: 41000, to: 41019 });
    expect(parseEstatePorts(' 41000 - 41006 ')).toEqual({ from: 41000, to: 41006 });
  });

  it.each(['41000', '41000:41019', 'abc', '41000-', '-41019', '41000-70000', '80-100', '41019-41000', '41000-41019,42000-42019'])(
    'refuses %j, naming the variable, the value and the fix',
    (value) => {
      expect(() => parseEstatePorts(value)).toThrow(`LIFEBOAT_ESTATE_PORTS=${JSON.stringify(value)}`);
      expect(() => parseEstatePorts(value)).toThrow(/FROM-TO .*at least 7 ports/);
    },
  );

  it('refuses a range too small for the estate, saying how many ports it needs and the smallest range that fits', () => {
    expect(ESTATE_PORT_COUNT).toBe(7);
    expect(() => parseEstatePorts('41000-41003')).toThrow(
      /LIFEBOAT_ESTATE_PORTS="41000-41003" holds 4 ports; the estate needs 7 .*widen it to at least 41000-41006/,
    );
    expect(() => parseEstatePorts('41000-41000')).toThrow(/holds 1 port; the estate needs 7/);
    expect(parseEstatePorts('41000-41006')).toEqual({ from: 41000, to: 41006 });
  });
});

describe('LIFEBOAT_ESTATE_PORTS: picking', () => {
  it('takes the lowest free port of the range, skipping one another process holds and one already taken', async () => {
    const range = await freeRange(ESTATE_PORT_COUNT);
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(range.from + 1, '127.0.0.1', r));
    try {
      const taken = new Set<number>();
      expect(await takeEstatePort(taken, range)).toBe(range.from);
      expect(await takeEstatePort(taken, range)).toBe(range.from + 2);
      for (let i = 3; i < ESTATE_PORT_COUNT; i++) await takeEstatePort(taken, range);
      await expect(takeEstatePort(taken, range)).rejects.toThrow(`no free port left in LIFEBOAT_ESTATE_PORTS=${range.from}-${range.to}`);
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });
});

describe('npm run estate -- up with LIFEBOAT_ESTATE_PORTS', () => {
  it('a malformed value or a too-small range is refused before anything starts', async () => {
    const bad = await estate('41000:41019', 'up');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('LIFEBOAT_ESTATE_PORTS="41000:41019" is not a port range');
    const small = await estate('41000-41002', 'up');
    expect(small.code).toBe(1);
    expect(small.out).toMatch(/LIFEBOAT_ESTATE_PORTS="41000-41002" holds 3 ports; the estate needs 7/);
    expect(estatePids(dir)).toEqual([]);
  });

  it('every port the estate listens on is inside the range; down leaves no process', async () => {
    const range = await freeRange(12);
    const up = await estate(`${range.from}-${range.to}`, 'up', '--hosts', '6');
    expect(up.code, up.out).toBe(0);

    const pids = estatePids(dir);
    expect(pids.length).toBeGreaterThanOrEqual(6); // two postmasters, two booking services, the fleet API, HAProxy
    const listening = [...new Set(pids.flatMap(listeningPorts))].sort((a, b) => a - b);
    expect(listening).toHaveLength(ESTATE_PORT_COUNT);
    for (const port of listening) expect(port, `port ${port} outside ${range.from}-${range.to}`).toBeGreaterThanOrEqual(range.from);
    for (const port of listening) expect(port, `port ${port} outside ${range.from}-${range.to}`).toBeLessThanOrEqual(range.to);

    // The catalog the runbooks read names the same ports.
    const catalog = loadCatalog(join(dir, 'catalog.json'));
    const regions = catalog.services.booking.regions;
    const named = [
      regions.A.postgres.port,
      regions.B.postgres.port,
      Number(new URL(regions.A.url).port),
      Number(new URL(regions.B.url).port),
      Number(new URL(catalog.fleet.url).port),
      Number(new URL(catalog.loadBalancer!.clientUrl).port),
      catalog.loadBalancer!.runtimeApi.port,
    ].sort((a, b) => a - b);
    expect(named).toEqual(listening);
    // What a drill keeps clear of when it takes a port in the range.
    expect([...catalogPorts(catalog)].sort((a, b) => a - b)).toEqual(listening);

    const down = await estate(undefined, 'down');
    expect(down.code, down.out).toBe(0);
    expect(estatePids(dir)).toEqual([]);

    // Its data keeps those ports: a different range is refused with the way out, and nothing starts.
    const moved = await estate(`${range.to + 1}-${range.to + 20}`, 'up');
    expect(moved.code).toBe(1);
    expect(moved.out).toMatch(/was set up on ports outside LIFEBOAT_ESTATE_PORTS=.*npm run estate -- reset/);
    expect(estatePids(dir)).toEqual([]);
  });
});
