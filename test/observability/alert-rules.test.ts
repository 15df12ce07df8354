import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { findOnPath } from '../../dev/executables';

const rulesDir = resolve(__dirname, '../../docs/alert-rules');

/** Runs promtool (Debian's `prometheus` package; `npm run setup` installs it as root) and returns what it printed. */
async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  const binary = findOnPath('promtool');
  if (!binary) throw new Error('promtool is not installed: apt-get install prometheus (Debian), or npm run setup as root');
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, args, { cwd: rulesDir });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

test('the shipped alert rules pass promtool check rules', async () => {
  const checked = await promtool(['check', 'rules', 'lifeboat.rules.yml']);
  expect(checked.out).toContain('SUCCESS');
  expect(checked.code, checked.out).toBe(0);
});

test('the rules fire as documented: a region without a worker pages, and a stale or not-ready readiness evaluation opens a ticket', async () => {
  // lifeboat.rules.test.yml holds the cases: one region's workers down or gone, a target without a region label,
  // readiness not ready while one worker still shows an older "ready", and an evaluation older than two intervals.
  const tested = await promtool(['test', 'rules', 'lifeboat.rules.test.yml']);
  expect(tested.code, tested.out).toBe(0);
  expect(tested.out).toContain('SUCCESS');
});
