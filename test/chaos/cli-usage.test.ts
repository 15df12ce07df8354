import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = resolve(__dirname, '../..');

/** `npm run chaos` as a user types it; bad usage is refused before any world starts, so these are quick. */
function chaos(...args: string[]) {
  const out = spawnSync(process.execPath, ['--import', 'tsx', resolve(root, 'chaos/cli.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: out.status, said: `${out.stdout}${out.stderr}` };
}

describe('npm run chaos refuses bad usage with exit 2, naming what to fix', () => {
  test('a seed that is not a whole number', () => {
    const out = chaos('--seed', 'soon');
    expect(out.code).toBe(2);
    expect(out.said).toContain('--seed must be a whole number, not "soon"');
  });

  test('a scenario that does not exist lists the ones that do', () => {
    const out = chaos('--runbook', 'reboot-everything');
    expect(out.code).toBe(2);
    expect(out.said).toMatch(/no chaos scenario "reboot-everything"; there are: .*region-failover.*evacuate-region/);
  });

  test('a runbook passed as a plan, a flag it does not know, and a server kind it does not have', () => {
    expect(chaos('--plan', 'region-failover').said).toContain('region-failover is a runbook: use --runbook region-failover');
    const unknown = chaos('--seeds', '3');
    expect(unknown.code).toBe(2);
    expect(unknown.said).toContain("Unknown option '--seeds'");
    expect(chaos('--server', 'cloud').said).toContain('--server is dev');
  });
});
