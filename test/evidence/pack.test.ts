import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { archiveRun } from '../../lib/evidence/archive';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { buildEvidencePack, catalogRecords, renderPackHtml, type EvidencePack } from '../../lib/evidence/pack';
import { catalogRecordFor } from '../../lib/evidence/pack/definition-record';
import { readTrustRoot } from '../../lib/trust-root';
import { plans } from '../../plans';
import { runbooks } from '../../runbooks';
import { archiveSignerIn } from '../helpers/evidence';
import { archivePackRuns, packRunEvidence, type PackArchive } from '../helpers/pack-evidence';

let dir: string;
let base: string;
let keys: PackArchive;
let signer: Awaited<ReturnType<typeof archiveSignerIn>>;

const catalog = catalogRecords(runbooks, plans);
const year = { since: new Date('2026-01-01T00:00:00.000Z'), until: new Date('2026-12-31T23:59:59.999Z') };
const services = ['booking', 'checkin', 'crew', 'flight-status'];
const trustRoot = () => readTrustRoot(inject('testTrustRootPath'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-pack-'));
  signer = await archiveSignerIn(dir);
  base = join(dir, 'archive');
  const store = openEvidenceStore(base);
  keys = await archivePackRuns(async (evidence) => (await archiveRun(store, evidence, signer.signer)).bundle.key, signer.roster);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const packOf = (location: string): Promise<EvidencePack> =>
  buildEvidencePack(openEvidenceStore(location), { ...year, catalog, targets: services, trustRoot: trustRoot() });

/** The first page: everything before the first section that starts a page of its own. */
const firstPage = (html: string) => html.slice(0, html.indexOf('<section class="page"'));

test('every runbook and plan declares its scenarios, and a plan is found under its run id plan/<id>', () => {
  expect(catalogRecordFor(catalog, 'runbook', 'region-failover')?.scenarios).toEqual(['region-loss', 'switchover']);
  expect(catalogRecordFor(catalog, 'plan', 'plan/evacuate-region')).toMatchObject({ id: 'evacuate-region', scenarios: ['region-loss', 'switchover'] });
  expect(catalogRecordFor(catalog, 'runbook', 'paging-check')?.scenarios).toEqual([]);
});

test('the pack lists each test of the period with its scenarios, objectives, RTO and RPO, forecast and verdict; runs outside it are left out', async () => {
  const pack = await packOf(base);
  expect(pack.totals).toEqual({ tests: 6, drills: 4, realRuns: 2, passed: 5, failed: 1 });
  const failover = pack.subjects.find((s) => s.kind === 'runbook' && s.id === 'region-failover')!;
  expect(failover.tests.map((t) => t.finishedAt)).toEqual(['2026-02-10T03:15:00.000Z', '2026-05-10T03:15:00.000Z', '2026-08-01T11:00:00.000Z']);
  expect(failover.tests.some((t) => t.key === keys.beforePeriod)).toBe(false);

  const failed = failover.tests.find((t) => t.key === keys.failedDrill)!;
  expect(failed).toMatchObject({ result: 'fail', rtoSeconds: 1000, rpoSeconds: 20, scenarios: ['region-loss', 'switchover'], definitionFrom: 'bundle' });
  expect(failed.why).toEqual(['RTO 1000 s missed its objective of 900 s']);

  const plan = pack.subjects.find((s) => s.kind === 'plan' && s.id === 'evacuate-region')!.tests[0]!;
  expect(plan).toMatchObject({ result: 'pass', forecast: { medianSeconds: 1300, actualSeconds: 1400, withinRange: true } });
  expect(plan.members?.map((m) => m.target)).toEqual(['booking', 'checkin']);

  // Archived before definitions were recorded: its scenarios come from today's catalog, and the pack says so.
  const manual = pack.subjects.find((s) => s.id === 'manual-booking-mode')!.tests[0]!;
  expect(manual).toMatchObject({ definitionFrom: 'catalog', scenarios: ['vendor-fault'] });
});

test('coverage names the runbooks and plans not tested, the scenario never rehearsed and the services no tested plan covers', async () => {
  const pack = await packOf(base);
  expect(pack.coverage.untested.map((u) => `${u.kind} ${u.id}`)).toEqual([
    'runbook orchestrator-drill',
    'runbook paging-check',
    'runbook region-failback',
    'plan return-home',
  ]);
  expect(pack.coverage.neverRehearsed).toEqual(['cyber']);
  expect(pack.coverage.uncoveredServices).toEqual(['crew', 'flight-status']);
  expect(pack.coverage.services?.find((s) => s.service === 'booking')).toEqual({
    service: 'booking',
    plans: ['evacuate-region'],
    runbooks: ['manual-booking-mode', 'region-failover'],
  });

  const html = renderPackHtml(pack, { madeAt: new Date('2027-01-05T10:00:00.000Z') });
  expect(firstPage(html)).toContain('Integrity: VERIFIED');
  expect(firstPage(html)).toContain('never rehearsed: cyber');
  expect(firstPage(html)).toContain('covered by no tested plan: crew, flight-status');
  expect(firstPage(html)).toContain('4 not tested (orchestrator-drill, paging-check, region-failback, return-home)');
});

test('independence lists every run where the requester, approvers and operators were not distinct, or no person approved', async () => {
  const pack = await packOf(base);
  expect(pack.independence.runs).toHaveLength(6);
  expect(pack.independence.cases.map((c) => [c.key, c.kind, c.person])).toEqual([
    [expect.stringContaining('isolate-vendor-module/fleet/'), 'approved-by-policy', 'nobody'],
    [expect.stringContaining('manual-booking-mode/booking/'), 'requester-approved', 'dave'],
    [keys.realRun, 'requester-operated', 'alice'],
  ]);
  const real = pack.independence.runs.find((r) => r.key === keys.realRun)!;
  expect(real).toMatchObject({ requester: 'alice', distinct: false, decisions: 4 });
  expect(real.operators).toEqual([{ by: 'alice', action: 'retry', on: 'promote' }]);
  expect(pack.independence.runs.find((r) => r.key === keys.planDrill)).toMatchObject({ requester: 'erin', distinct: true });

  const html = renderPackHtml(pack, { madeAt: new Date('2027-01-05T10:00:00.000Z') });
  expect(html).toContain('alice requested the run and also acted as its operator (retry promote)');
  expect(html).toContain('dave requested the run and also voted on gate go-manual');
});

test('findings: those opened in the period, those closed with their proof, and those still open past their deadline', async () => {
  const { findings } = await packOf(base);
  expect(findings.snapshots).toBe(1);
  expect(findings.opened.map((f) => f.id)).toEqual(['F-1', 'F-2']);
  expect(findings.closed.map((f) => [f.id, f.closed?.proof.kind])).toEqual([['F-1', 'passing-drill']]);
  expect(findings.stillOpen.map((f) => [f.id, f.overdue])).toEqual([['F-2', true]]);
});

test('an archive with a changed report fails integrity on the first page, and the test it backs no longer passes', async () => {
  const copy = join(dir, 'tampered');
  cpSync(base, copy, { recursive: true });
  const path = join(copy, keys.planDrill, 'report.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace('"rtoSeconds": 1500', '"rtoSeconds": 1200'));

  const pack = await packOf(copy);
  expect(pack.integrity.ok).toBe(false);
  expect(pack.integrity.failures.map((f) => [f.key, f.check])).toEqual([[keys.planDrill, 'file']]);
  const plan = pack.subjects.find((s) => s.id === 'evacuate-region')!.tests[0]!;
  expect(plan).toMatchObject({ verified: false, result: 'fail' });

  const first = firstPage(renderPackHtml(pack, { madeAt: new Date('2027-01-05T10:00:00.000Z') }));
  expect(first).toContain('Integrity: NOT VERIFIED');
  expect(first).toContain(`${keys.planDrill}: report.json was changed`);
  expect(first).not.toContain('Integrity: VERIFIED');
});

test('a second pack of the same archive is byte-identical apart from the time it was made', async () => {
  const first = renderPackHtml(await packOf(base), { madeAt: new Date('2027-01-05T10:00:00.000Z') });
  const second = renderPackHtml(await packOf(base), { madeAt: new Date('2027-01-06T11:30:00.000Z') });
  expect(second).not.toBe(first);
  expect(second.replace('2027-01-06T11:30:00.000Z', '2027-01-05T10:00:00.000Z')).toBe(first);
});

test('text from the archive is escaped: a name with markup in a report stays text', async () => {
  const hostile = join(dir, 'hostile');
  const store = openEvidenceStore(hostile);
  const evidence = packRunEvidence({
    runbook: 'region-failover',
    target: 'booking',
    finishedAt: '2026-04-01T00:00:00.000Z',
    objectives: { rtoSeconds: 900 },
    scenarios: ['switchover'],
    requestedBy: '<script>alert("x")</script>',
    roster: signer.roster,
    runNumber: 1,
  });
  await archiveRun(store, evidence, signer.signer);
  const html = renderPackHtml(await buildEvidencePack(store, { ...year, catalog }), { madeAt: new Date('2027-01-05T10:00:00.000Z') });
  expect(html).not.toContain('<script');
  expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
  expect(html).toContain('No targets file was read');
});

test('a plan archived without its report fails as a test, and its members.json still counts the services it covered', async () => {
  const store = openEvidenceStore(join(dir, 'no-report'));
  const evidence = packRunEvidence({
    runbook: 'evacuate-region',
    target: 'B',
    finishedAt: '2026-10-01T00:00:00.000Z',
    objectives: { rtoSeconds: 2700, rpoSeconds: 60 },
    scenarios: ['region-loss', 'switchover'],
    members: [{ member: 'crew', runbook: 'region-failover', target: 'crew', state: 'succeeded' }],
    roster: signer.roster,
    runNumber: 1,
  });
  const { 'report.json': _report, ...files } = evidence.files;
  await archiveRun(store, { ...evidence, files: { ...files, 'report-missing.txt': 'No report: a newer run had started.\n' } }, signer.signer);

  const pack = await buildEvidencePack(store, { ...year, catalog, targets: services });
  const plan = pack.subjects.find((s) => s.id === 'evacuate-region')!.tests[0]!;
  expect(plan.result).toBe('fail');
  expect(plan.why).toContain('its bundle holds no readable report.json, so what it achieved cannot be judged from the archive');
  expect(plan.objectives).toEqual([
    { objective: 'rto', targetSeconds: 2700, met: false },
    { objective: 'rpo', targetSeconds: 60, met: false },
  ]);
  expect(pack.coverage.services?.find((s) => s.service === 'crew')?.plans).toEqual(['evacuate-region']);
});
