import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { archiveRun } from '../../lib/evidence/archive';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { lifeboatInProcess } from '../helpers/cli';
import { archiveSignerIn } from '../helpers/evidence';
import { archivePackRuns, type PackArchive } from '../helpers/pack-evidence';

let dir: string;
let base: string;
let targets: string;
let keys: PackArchive;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-pack-cli-'));
  const signer = await archiveSignerIn(dir);
  base = join(dir, 'archive');
  const store = openEvidenceStore(base);
  keys = await archivePackRuns(async (evidence) => (await archiveRun(store, evidence, signer.signer)).bundle.key, signer.roster);
  targets = join(dir, 'lifeboat.targets.json');
  const service = { regions: ['A', 'B'] };
  writeFileSync(targets, JSON.stringify({ version: 1, services: { booking: service, checkin: service, crew: service } }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

test('evidence pack writes the year as one HTML file and sums it up: tests, what was not tested, independence, integrity', async () => {
  const out = join(dir, 'pack.html');
  const result = await pack(base, out);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('tests:     6 (4 drill(s), 2 real run(s)): 5 passed, 1 failed');
  expect(result.stdout).toContain('untested:  paging-check, region-failback, return-home');
  expect(result.stdout).toContain('never rehearsed: cyber');
  expect(result.stdout).toContain('integrity: every file, seal and chain link verifies');
  const html = readFileSync(out, 'utf8');
  expect(html).toContain('Integrity: VERIFIED');
  expect(html).toContain('Each bundle\u2019s roster was checked against the workers\u2019 trust root.');
  expect(html).toContain('covered by no tested plan: crew');
});

test('an archive that does not verify still gets its pack, with the failure on its first page, and the command exits 1', async () => {
  const copy = join(dir, 'tampered');
  cpSync(base, copy, { recursive: true });
  rmSync(join(copy, keys.failedDrill), { recursive: true });
  const out = join(dir, 'tampered.html');

  const result = await pack(copy, out);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('the pack is written, but 1 thing(s)');
  expect(result.stderr).toContain('broken chain of region-failover on booking');
  const html = readFileSync(out, 'utf8');
  const firstPage = html.slice(0, html.indexOf('<section class="page"'));
  expect(firstPage).toContain('Integrity: NOT VERIFIED');
  expect(firstPage).toContain('broken chain of region-failover on booking');
  expect(firstPage).toContain(keys.realRun);
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
