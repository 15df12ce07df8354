import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { estatePids } from '../../estate/estate';
import type { EstateStatus } from '../../dev/estate/status';
import { estateAdapters } from '../../dev/estate/adapters';
import { loadCatalog } from '../../estate/catalog';

const run = promisify(execFile);
const repo = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-estate-cli-'));

/** Runs `dev/estate/cli.ts` the way `npm run estate -- <args>` does. */
async function estate(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(repo, 'dev/estate/cli.ts'), ...args], {
      cwd: repo,
      env: { ...process.env, LIFEBOAT_ESTATE_DIR: dir },
      timeout: 120_000,
    });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: `${e.stdout ?? ''}${e.stderr ?? ''}`, code: e.code ?? 1 };
  }
}

afterAll(async () => {
  if (estatePids(dir).length) await estate('down');
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run estate -- up / status / down', () => {
  it('up brings the estate up; status shows both regions healthy and lag under a second; down leaves no process', async () => {
    const up = await estate('up', '--services', 'booking', '--hosts', '12');
    expect(up.code, up.stdout).toBe(0);
    const catalog = loadCatalog(join(dir, 'catalog.json'));
    expect(catalog.loadBalancer).not.toBeNull();
    expect(catalog.fleet.hosts).toBe(12);

    const table = await estate('status');
    expect(table.code, table.stdout).toBe(0);
    expect(table.stdout).toMatch(/^booking\s+A\s+ok, normal, primary\s+ok, normal, standby\s+\d+ B, \d+\.\d{3} s$/m);
    expect(table.stdout).toContain('overall:         healthy');

    const json = await estate('status', '--json');
    const status = JSON.parse(json.stdout) as EstateStatus;
    expect(status.healthy).toBe(true);
    expect(status.services.map((s) => s.service)).toEqual(['booking']);
    const booking = status.services[0]!;
    expect(booking.regions.A).toMatchObject({ reachable: true, status: 'ok' });
    expect(booking.regions.B).toMatchObject({ reachable: true, status: 'ok' });
    expect(booking.replication?.lagSeconds).not.toBeNull();
    expect(booking.replication!.lagSeconds!).toBeLessThan(1);
    expect(booking.active).toBe('A');
    expect(status.fleet).toMatchObject({ total: 12, healthy: 12 });

    const bad = await estate('bad-vendor-update', '--crash-rate', '1');
    expect(bad.stdout).toMatch(/12 crashed/);
    expect(JSON.parse((await estate('status', '--json')).stdout).fleet).toMatchObject({ crashed: 12 });

    expect(estatePids(dir).length).toBeGreaterThanOrEqual(6);
    const down = await estate('down');
    expect(down.code, down.stdout).toBe(0);
    expect(down.stdout).toContain('no process left');
    expect(estatePids(dir)).toEqual([]);
  });

  it('down keeps the region clients were switched to, and the next up sends them there again', async () => {
    expect((await estate('up', '--services', 'booking')).code).toBe(0);
    const catalog = loadCatalog(join(dir, 'catalog.json'));
    await estateAdapters(catalog).setActiveBackend({ region: 'B' });
    expect((await estate('down')).code).toBe(0);
    expect((await estate('up', '--services', 'booking')).code).toBe(0);
    expect((JSON.parse((await estate('status', '--json')).stdout) as EstateStatus).services[0]!.active).toBe('B');
    expect((await estate('down')).code).toBe(0);
  });

  it('status without an estate says how to start one', async () => {
    rmSync(join(dir, 'catalog.json'), { force: true });
    const r = await estate('status');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('npm run estate -- up');
  });
});
