import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { buildEvidencePack, catalogRecords, renderPackHtml, type EvidencePack } from '../../lib/evidence/pack';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { sealPathFor } from '../../lib/roster-seal-file';
import { lifeboat } from '../helpers/cli';
import { sealTestRoster, testTrustRoot } from '../helpers/roster-seal';
import { writeEvidenceYear, yearRosterIn, type SimulatedYear } from '../support/evidence-year';

/**
 * The evidence pack over a simulated year of sealed drills and real runs (test/support/evidence-year.ts): what an
 * examiner checks first is whether the pack names what was never tested and every run whose people were not
 * distinct, and says the archive's seals and chains hold.
 */

let dir: string;
let base: string;
let year: SimulatedYear;
let pack: EvidencePack;
const period = { since: new Date('2026-01-01T00:00:00.000Z'), until: new Date('2026-12-31T23:59:59.999Z') };
const catalog = catalogRecords(runbooks, plans);
const services = ['booking', 'checkin', 'flight-status', 'loyalty'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-pack-year-'));
  // The roster the year's recorded runs loaded, sealed by the test roster admins as a deployment's admins seal theirs.
  const { signer, roster } = yearRosterIn(dir);
  await sealTestRoster(join(dir, 'roster.json'));
  const sealText = readFileSync(sealPathFor(join(dir, 'roster.json')), 'utf8');
  base = join(dir, 'archive');
  // The findings bundles' roster (the closers' keys added) is sealed by the same admins.
  const seal = async (text: string) => {
    const path = join(dir, 'findings-roster.json');
    writeFileSync(path, text);
    await sealTestRoster(path);
    return readFileSync(sealPathFor(path), 'utf8');
  };
  year = await writeEvidenceYear(openEvidenceStore(base), { seed: 2026, runs: 150, signer, roster: { ...roster, sealText, seal } });
  pack = await buildEvidencePack(openEvidenceStore(base), { ...period, catalog, targets: services, trustRoot: testTrustRoot() });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the simulated year holds what the pack must find: untested runbooks, a scenario never rehearsed, failing drills, a waiver', () => {
  expect(year.bundles).toBe(150);
  // The year tests these; every other runbook and plan of the catalog, however many it grows to, is untested.
  expect(year.tested).toEqual(['evacuate-region', 'isolate-vendor-module', 'region-failback', 'region-failover']);
  expect(year.untested).toEqual(expect.arrayContaining(['manual-booking-mode', 'paging-check', 'return-home']));
  expect([...year.tested, ...year.untested].sort()).toEqual([...Object.keys(runbooks), ...Object.keys(plans)].sort());
  expect(year.scenariosNeverRehearsed).toEqual(['cyber']);
  expect(year.failingDrills.length).toBeGreaterThan(5);
  expect(new Set(year.violations.map((v) => v.kind))).toEqual(new Set(['approved-by-policy', 'approver-operated', 'requester-operated']));
});

test('integrity: every seal and chain of the year verifies against the trust root, and the pack says so', () => {
  expect(pack.integrity).toMatchObject({ ok: true, bundles: 150 + year.findingsBundles, rostersAnchored: true, failures: [] });
  expect(pack.totals.tests).toBe(150);
});

test('coverage names the runbooks and plan never tested, the scenario never rehearsed and the services no tested plan covers', () => {
  const kindOf = (id: string) => (id in plans ? 'plan' : 'runbook');
  expect(pack.coverage.untested.map((u) => `${u.kind} ${u.id}`).sort()).toEqual(year.untested.map((id) => `${kindOf(id)} ${id}`).sort());
  expect(pack.coverage.untested.map((u) => `${u.kind} ${u.id}`)).toEqual(expect.arrayContaining(['plan return-home', 'runbook manual-booking-mode']));
  expect(pack.coverage.neverRehearsed).toEqual(['cyber']);
  // The evacuation plan ran its members on booking and checkin only; loyalty was failed over on its own.
  expect(pack.coverage.uncoveredServices).toEqual(['flight-status', 'loyalty']);
  expect(pack.coverage.services?.find((s) => s.service === 'loyalty')?.runbooks).toEqual(['region-failover']);
});

test('independence lists exactly the runs whose people were not distinct, with who and how, and no others', () => {
  const listed = pack.independence.cases.map((c) => `${c.key} ${c.kind} ${c.person}`).sort();
  const expected = year.violations.map((v) => `${v.key} ${v.kind} ${v.person}`).sort();
  expect(listed).toEqual(expected);
  const distinct = pack.independence.runs.filter((r) => r.distinct).length;
  expect(distinct).toBe(150 - new Set(year.violations.map((v) => v.key)).size);
});

test('every failing drill of the year is a failed test in the pack, with the reason it failed', () => {
  const tests = new Map(pack.subjects.flatMap((s) => s.tests).map((t) => [t.key, t]));
  for (const key of year.failingDrills) {
    const found = tests.get(key);
    expect(found, key).toBeDefined();
    expect(found!.result, key).toBe('fail');
    expect(found!.why.length, key).toBeGreaterThan(0);
  }
  expect(pack.totals.failed).toBeGreaterThanOrEqual(year.failingDrills.length);
});

test('findings: each failing drill opened one, the pack lists those closed with their proof and those still open', () => {
  const ids = (findings: { id: string }[]) => findings.map((f) => f.id).sort();
  expect(year.findings).toHaveLength(year.failingDrills.filter((key) => !key.startsWith('plan%2F')).length);
  expect(ids(pack.findings.opened)).toEqual(ids(year.findings));
  const closed = year.findings.filter((f) => f.state === 'closed');
  expect(new Set(closed.map((f) => f.closed!.proof.kind))).toEqual(new Set(['passing-drill', 'risk-accepted']));
  expect(ids(pack.findings.closed)).toEqual(ids(closed));
  for (const shown of pack.findings.closed) expect(shown.closed?.proof).toEqual(year.findings.find((f) => f.id === shown.id)!.closed!.proof);
  const open = year.findings.filter((f) => f.state === 'open');
  expect(open.length).toBeGreaterThan(0);
  expect(ids(pack.findings.stillOpen)).toEqual(ids(open));
  // Open since before December: past their 30 days when the year ends.
  for (const shown of pack.findings.stillOpen) expect(shown.overdue).toBe(Date.parse(shown.deadline) < period.until.getTime());
});

test('the HTML pack states integrity first and names the gaps; made again from the same archive it differs only in when', async () => {
  const madeAt = new Date('2027-01-05T09:00:00.000Z');
  const html = renderPackHtml(pack, { madeAt });
  const verdict = html.indexOf('VERIFIED');
  expect(verdict).toBeGreaterThan(0);
  expect(verdict).toBeLessThan(html.indexOf('1. Tests by runbook and plan'));
  for (const untested of year.untested) expect(html).toContain(untested);
  expect(html).toContain('never rehearsed: cyber');
  const cases = html.slice(html.indexOf('Cases where the people were not distinct'), html.indexOf('Every run'));
  expect(cases).toContain(`(${year.violations.length})`);
  for (const violation of year.violations) expect(cases).toContain(violation.key);

  const again = await buildEvidencePack(openEvidenceStore(base), { ...period, catalog, targets: services, trustRoot: testTrustRoot() });
  const later = new Date('2027-01-06T10:30:00.000Z');
  const withoutWhen = (text: string, when: Date) => text.split(when.toISOString()).join('MADE-AT');
  expect(withoutWhen(renderPackHtml(again, { madeAt: later }), later)).toBe(withoutWhen(html, madeAt));
});

test('through the real CLI, evidence verify --all re-checks every decision from the archived histories, and evidence pack exits 0 VERIFIED', async () => {
  const verified = await lifeboat(['evidence', 'verify', '--all', '--store', base]);
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  expect(verified.stdout).toContain('decisions: each signed decision checked again');
  expect(verified.stdout).toContain(`checked: ${150 + year.findingsBundles} bundle(s)`);
  // One line per bundle, each `ok`: none is named as a bundle whose decisions cannot be checked again.
  expect(verified.stdout.match(/^ {2}ok {2,}\S/gm)).toHaveLength(150 + year.findingsBundles);

  const out = join(dir, 'pack.html');
  const packed = await lifeboat(['evidence', 'pack', '--since', '2026-01-01', '--until', '2026-12-31', '--format', 'html', '--out', out, '--store', base]);
  expect(packed.code, packed.stdout + packed.stderr).toBe(0);
  expect(packed.stdout).toContain('integrity: every file, seal and chain link verifies');
  expect(packed.stdout).toContain('tests:     150 ');
  expect(readFileSync(out, 'utf8')).toContain('VERIFIED');
});

test("a report edited after sealing to show a better RTO fails the pack's integrity, naming the bundle", async () => {
  const copy = join(dir, 'edited');
  cpSync(base, copy, { recursive: true });
  const folder = join(copy, 'region-failover', 'booking');
  const bundle = join(folder, readdirSync(folder).sort()[3]!);
  writeFileSync(join(bundle, 'report.json'), '{"rtoSeconds": 1}\n');

  const edited = await buildEvidencePack(openEvidenceStore(copy), { ...period, catalog, trustRoot: testTrustRoot() });
  expect(edited.integrity.ok).toBe(false);
  expect(edited.integrity.failures.map((f) => f.check)).toContain('file');
  expect(edited.integrity.failures.map((f) => f.message).join('\n')).toContain('report.json was changed');
});
