import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { EvidenceBundle } from '../../lib/evidence/bundle';
import { archiveRun } from '../../lib/evidence/archive';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { lifeboatInProcess } from '../helpers/cli';
import { archiveSignerIn, drillEvidence } from '../helpers/evidence';
import { recordRuns } from '../helpers/evidence-runs';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

let dir: string;
let base: string;
let targets: string;
let ctx: TemporalTestContext;
let drills: EvidenceBundle[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-pack-cli-'));
  const signer = await archiveSignerIn(dir);
  // The pack checks every decision again from the archived histories, as evidence verify does: the bundles hold a real run's.
  ctx = await connectToTestServer('evidence-pack');
  const recorded = await recordRuns(ctx, { rosterPath: join(dir, 'roster.json'), targets: ['pack-booking'] });
  const run = recorded['kit-exercise/pack-booking']!;
  base = join(dir, 'archive');
  const store = openEvidenceStore(base);
  drills = [];
  for (const [i, day] of ['2026-02-10', '2026-05-10', '2026-08-10'].entries()) {
    const evidence = drillEvidence({
      runbook: 'kit-exercise',
      target: 'pack-booking',
      finishedAt: `${day}T03:15:00.000Z`,
      rtoSeconds: 600 + i * 60,
      roster: signer.roster,
      runNumber: i + 1,
      recorded: run,
    });
    drills.push((await archiveRun(store, evidence, signer.signer)).bundle);
  }
  targets = join(dir, 'lifeboat.targets.json');
  const service = { regions: ['A', 'B'] };
  writeFileSync(targets, JSON.stringify({ version: 1, services: { booking: service, checkin: service } }));
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pack = (store: string, out: string, ...more: string[]) =>
  lifeboatInProcess([
    'evidence',
    'pack',
    '--since',
    '2026-01-01',
    '--until',
    '2026-12-31',
    '--format',
    'html',
    '--out',
    out,
    '--store',
    store,
    '--targets',
    targets,
    ...more,
  ]);

test('evidence pack writes the year as one HTML file, with every seal, chain and decision checked, and sums it up', async () => {
  const out = join(dir, 'pack.html');
  const result = await pack(base, out);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('tests:     3 (3 drill(s), 0 real run(s)): 3 passed, 0 failed');
  expect(result.stdout).toContain('never rehearsed: region-loss, vendor-fault, switchover, cyber');
  expect(result.stdout).toContain('integrity: every file, seal and chain link verifies');
  const html = readFileSync(out, 'utf8');
  expect(html).toContain('Integrity: VERIFIED');
  expect(html).toContain('The check included every signed decision, verified again from the archived histories.');
  expect(html).toContain('Each bundle\u2019s roster was checked against the workers\u2019 trust root.');
  expect(html).toContain('covered by no tested plan: booking, checkin');
});

test('an archive with a bundle deleted from a chain still gets its pack, with the failure on its first page, and the command exits 1', async () => {
  const copy = join(dir, 'tampered');
  cpSync(base, copy, { recursive: true });
  rmSync(join(copy, drills[1]!.key), { recursive: true });
  const out = join(dir, 'tampered.html');

  const result = await pack(copy, out);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('the pack is written, but 1 thing(s)');
  expect(result.stderr).toContain('broken chain of kit-exercise on pack-booking');
  const html = readFileSync(out, 'utf8');
  const firstPage = html.slice(0, html.indexOf('<section class="page"'));
  expect(firstPage).toContain('Integrity: NOT VERIFIED');
  expect(firstPage).toContain(`broken chain of kit-exercise on pack-booking between ${drills[0]!.key} and ${drills[2]!.key}`);
});

test('bad usage exits 2 naming the flag, and writes nothing', async () => {
  const out = join(dir, 'never.html');
  const cases: [string[], string][] = [
    [['--until', '2026-12-31', '--out', out, '--store', base], '--since'],
    [['--since', '2026-01-01', '--out', out, '--store', base], '--until'],
    [['--since', '2026-13-45', '--until', '2026-12-31', '--out', out, '--store', base], '--since'],
    [['--since', '2026-12-31', '--until', '2026-01-01', '--out', out, '--store', base], '--until'],
    [['--since', '2026-01-01', '--until', '2026-12-31', '--format', 'docx', '--out', out, '--store', base], '--format'],
    [['--since', '2026-01-01', '--until', '2026-12-31', '--store', base], '--out'],
    [['--since', '2026-01-01', '--until', '2026-12-31', '--out', out, '--store', base, '--targets', join(dir, 'missing.json')], '--targets'],
  ];
  for (const [flags, named] of cases) {
    const result = await lifeboatInProcess(['evidence', 'pack', ...flags]);
    expect({ flags, code: result.code }).toEqual({ flags, code: 2 });
    expect(result.stderr).toContain(named);
  }
  const extra = await lifeboatInProcess([
    'evidence',
    'pack',
    'region-failover/booking',
    '--since',
    '2026-01-01',
    '--until',
    '2026-12-31',
    '--out',
    out,
    '--store',
    base,
  ]);
  expect(extra.code).toBe(2);
  expect(extra.stderr).toContain('unexpected "region-failover/booking"');
  expect(existsSync(out)).toBe(false);
});
