import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort } from '../../lib/free-port';
import { lifeboat, type CliResult } from '../helpers/cli';
import { freeDevPort, killDevs, startDev, type DevProcess } from '../helpers/lifeboat-dev';

const stateDirs: string[] = [];
const running: DevProcess[] = [];
afterAll(async () => {
  await killDevs(running, stateDirs);
  for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
});

/** `lifeboat dev` without the estate, on ports and a task queue of its own, in a fresh state folder. */
async function startDemo(args: string[] = []): Promise<{ dev: DevProcess; stateDir: string; shell: Record<string, string | undefined> }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'lifeboat-evidence-dev-'));
  stateDirs.push(stateDir);
  const port = await freeDevPort();
  const env = {
    LIFEBOAT_DEV_PORT: String(port),
    LIFEBOAT_TASK_QUEUE: `evidence-dev-${port}`,
    LIFEBOAT_ALERTS_PORT: String(await freePort()),
    LIFEBOAT_CONSOLE_PORT: String(await freePort()),
  };
  const dev = startDev({ stateDir, env: { ...noEvidenceSettings, ...env }, args: ['--no-estate', ...args] });
  running.push(dev);
  // Generous: on a loaded 2-core machine the dev server, the worker and the demo roster's keys can take a while.
  await dev.waitFor('Lifeboat is up.', 240_000);
  // A second terminal beside the demo, as the README's quick start has it: the demo's keys and roster, no test ones.
  const shell = {
    ...noEvidenceSettings,
    ...env,
    LIFEBOAT_STATE_DIR: stateDir,
    TEMPORAL_ADDRESS: undefined,
    TEMPORAL_NAMESPACE: undefined,
    LIFEBOAT_KEYS_DIR: undefined,
    LIFEBOAT_ROSTER: undefined,
    LIFEBOAT_TRUST_ROOT: undefined,
  };
  return { dev, stateDir, shell };
}

/** Nothing in the test's environment names an archive, a signer or its key: the demo must find its own. */
const noEvidenceSettings = { LIFEBOAT_EVIDENCE_STORE: undefined, LIFEBOAT_ARCHIVE_KEY: undefined, LIFEBOAT_ARCHIVE_SIGNER: undefined };

function expectExit(result: CliResult, code: number): void {
  expect(result.code, `exit ${result.code}\n${result.stdout}\n${result.stderr}`).toBe(code);
}

test('npm start archives a finished paging check, and evidence list and verify --all find and pass it with no flags', async () => {
  const { dev, stateDir, shell } = await startDemo();
  const archive = join(stateDir, 'evidence');
  const trustRoot = join(stateDir, 'trust-root.demo.json');
  expect(dev.output()).toContain(`  evidence:     each finished run sealed by archiver into ${archive}`);
  expect(dev.output()).toContain('                npx lifeboat evidence list\n');
  expect(dev.output()).toContain(`                npx lifeboat evidence verify --all --trust-root ${trustRoot}\n`);
  // The archive signer is in the demo roster with a key and in no group, so it can seal and never approve.
  const roster = JSON.parse(readFileSync(join(stateDir, 'roster.demo.json'), 'utf8')) as { people: { id: string; groups: string[]; keys: string[] }[] };
  expect(roster.people.find((p) => p.id === 'archiver')).toMatchObject({ groups: [], keys: [expect.stringMatching(/^ssh-ed25519 /)] });

  // Before any run has ended, the archive is there and empty.
  const empty = await lifeboat(['evidence', 'list'], shell);
  expectExit(empty, 0);
  expect(empty.stdout).toContain(`no bundles in ${archive} match`);

  expectExit(await lifeboat(['run', 'paging-check', '--as', 'alice'], shell), 0);
  expectExit(await lifeboat(['approve', 'paging-check/sre-oncall', '--as', 'erin'], shell), 0);

  // The archiver picks a run up some seconds after it closes; when it does not, what the worker said shows why.
  const listed = async () => JSON.parse((await lifeboat(['evidence', 'list', '--json'], shell)).stdout) as { store: string; bundles: { runId: string }[] };
  try {
    await expect.poll(async () => (await listed()).bundles.map((b) => b.runId), { timeout: 240_000, interval: 1_000 }).toEqual(['paging-check/sre-oncall']);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- lifeboat dev said:\n${dev.output().slice(-6000)}`);
  }
  const list = await lifeboat(['evidence', 'list'], shell);
  expectExit(list, 0);
  expect(list.stdout).toContain(`archive: ${archive}`);
  expect(list.stdout).toMatch(/paging-check\s+sre-oncall\s+paging-check\/sre-oncall/);

  const verified = await lifeboat(['evidence', 'verify', '--all'], shell);
  expectExit(verified, 0);
  expect(verified.stdout).toContain('checked: 1 bundle(s) in 1 chain(s)');
  expect(verified.stdout).toContain('result:  every file, seal and chain link verifies');
  // With the trust root npm start names, each bundle's roster is checked against the demo's roster admins too.
  const anchored = await lifeboat(['evidence', 'verify', '--all', '--trust-root', trustRoot], shell);
  expectExit(anchored, 0);
  expect(anchored.stdout).toContain('rosters: each checked against the trust root (sealed by its roster admins)');

  const status = await lifeboat(['evidence', 'status'], shell);
  expectExit(status, 0);
  expect(status.stdout).toContain('last archived: paging-check/sre-oncall');

  dev.child.kill('SIGINT');
  expect((await dev.exited).code).toBe(0);
  // The archive outlives the demo (reading it needs no Temporal); then the folder it printed is named.
  const after = await lifeboat(['evidence', 'verify', '--all', '--store', archive], shell);
  expectExit(after, 0);
  expect(after.stdout).toContain('result:  every file, seal and chain link verifies');
}, 600_000);

test('npm start --no-evidence archives nothing and says so', async () => {
  const { dev, shell } = await startDemo(['--no-evidence']);
  expect(dev.output()).toContain('  evidence:     not archived (--no-evidence)');
  const status = await lifeboat(['evidence', 'status'], shell);
  expectExit(status, 1);
  expect(status.stderr).toContain('no evidence archiver runs in this namespace');
  dev.child.kill('SIGINT');
  expect((await dev.exited).code).toBe(0);
}, 400_000);
