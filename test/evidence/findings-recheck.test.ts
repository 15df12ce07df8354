import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { archiveFindings } from '../../cli/findings/sealed-findings';
import { EvidenceManifest, manifestText, sha256Of } from '../../lib/evidence/manifest';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { sealManifest } from '../../lib/evidence/seal';
import { FindingsBook } from '../../lib/findings/book';
import type { ArchivedClose } from '../../lib/findings/messages';
import { findingsIdentityDigest, findingsWorkflowId } from '../../lib/findings/names';
import type { FindingsSnapshot } from '../../lib/findings/record';
import { lifeboatInProcess } from '../helpers/cli';
import { sealTestRoster } from '../helpers/roster-seal';
import { signAs, statementOf } from '../helpers/signing';
import { findingsArchive } from '../findings/harness';

/**
 * `lifeboat evidence verify` checks each findings bundle's signed closes again from the archive alone. The archive key
 * seals what a bundle holds; an insider who holds it can re-seal an edited findings.json or closes.json, but cannot sign
 * as an operator, so a finding marked closed without a close that verifies is named.
 */

const workflowId = findingsWorkflowId('kit-exercise', 'booking');
let archive: Awaited<ReturnType<typeof findingsArchive>>;
/** The newest findings bundle's folder and manifest: F-1 closed by bob's signed risk acceptance, F-2 still open. */
let newest: { key: string; folder: string; manifest: EvidenceManifest };

beforeAll(async () => {
  archive = await findingsArchive();
  const settings = archive.settings({});
  const book = new FindingsBook('kit-exercise', 'booking');
  const start = Date.now() - 60_000;
  for (const id of ['F-1', 'F-2'])
    book.open(
      id,
      { reason: 'drill-failed', what: 'the drill ended aborted', run: { runId: 'kit-exercise/booking', temporalRunId: `r-${id}` } },
      new Date(start).toISOString(),
      30 * 86_400,
    );
  await archiveFindings(settings, book.snapshot(new Date(start + 1_000).toISOString()), workflowId, 'run-1');

  const closedAt = new Date().toISOString();
  const comment = 'standby disk resized, see change 4711';
  const decision = signAs(
    statementOf({
      kind: 'resolve',
      namespace: 'default',
      workflowId,
      runId: 'first-run',
      inputDigest: findingsIdentityDigest('kit-exercise', 'booking'),
      by: 'bob',
      body: { action: 'close-finding', finding: 'F-1', comment, proof: 'accept-risk' },
    }),
  );
  book.close('F-1', { by: 'bob', at: closedAt, comment, proof: { kind: 'risk-accepted', by: 'bob', group: 'sre-leads', at: closedAt, comment } });
  const { key } = await archiveFindings(settings, book.snapshot(new Date(Date.now() + 1_000).toISOString()), workflowId, 'run-1', { finding: 'F-1', decision });
  const folder = join(archive.dir, 'archive', key);
  newest = { key, folder, manifest: EvidenceManifest.parse(JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'))) };
});

/** A copy of the archive's newest findings bundle with `files` replaced and its manifest sealed again with the real archive key. */
async function resealed(name: string, edit: (files: { findings: FindingsSnapshot; closes: ArchivedClose[] }) => void): Promise<string> {
  const copy = join(archive.dir, name);
  cpSync(join(archive.dir, 'archive'), copy, { recursive: true });
  const folder = join(copy, newest.key);
  const files = {
    findings: JSON.parse(readFileSync(join(folder, 'findings.json'), 'utf8')) as FindingsSnapshot,
    closes: JSON.parse(readFileSync(join(folder, 'closes.json'), 'utf8')) as ArchivedClose[],
  };
  edit(files);
  const texts = { 'findings.json': `${JSON.stringify(files.findings, null, 2)}\n`, 'closes.json': `${JSON.stringify(files.closes, null, 2)}\n` };
  for (const [file, text] of Object.entries(texts)) writeFileSync(join(folder, file), text);
  const digests = Object.fromEntries(Object.entries(texts).map(([file, text]) => [file, sha256Of(text)]));
  const manifest = EvidenceManifest.parse({ ...newest.manifest, files: { ...newest.manifest.files, ...digests } });
  writeFileSync(join(folder, 'manifest.json'), manifestText(manifest));
  writeFileSync(join(folder, 'manifest.json.sig'), await sealManifest(manifestText(manifest), archive.settings({}).signer));
  return copy;
}

const verifyAll = (store: string) => lifeboatInProcess(['evidence', 'verify', '--all', '--store', store]);

test("an intact findings archive verifies, each close checked again against the bundle's roster", async () => {
  expect(JSON.parse(readFileSync(join(newest.folder, 'closes.json'), 'utf8'))).toHaveLength(1);
  const result = await verifyAll(join(archive.dir, 'archive'));
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});

test('a findings.json edited to mark an open finding closed, re-sealed with the archive key, is caught naming the finding', async () => {
  const copy = await resealed('marked-closed', ({ findings }) => {
    const f2 = findings.findings.find((f) => f.id === 'F-2')!;
    const at = new Date().toISOString();
    Object.assign(f2, {
      state: 'closed',
      closed: { by: 'bob', at, comment: 'fixed', proof: { kind: 'risk-accepted', by: 'bob', group: 'sre-leads', at, comment: 'fixed' } },
    });
  });
  const result = await verifyAll(copy);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('[decisions]');
  expect(result.stdout).toContain('findings.json says F-2 is closed by bob, but closes.json holds no signed close of it');
  expect(result.stdout).not.toContain('F-1');
});

test('a closes.json entry whose statement was altered is caught: its signature no longer verifies', async () => {
  const copy = await resealed('altered-statement', ({ closes }) => {
    closes[0]!.decision.statement = closes[0]!.decision.statement.replace('standby disk resized', 'standby disk replaced');
  });
  const result = await verifyAll(copy);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/\[decisions\] .*the close of F-1 \(by bob\) does not verify: bad signature/);
});

test('a close stays verified after its signer leaves the roster: it is checked against the roster of the bundle that first holds it', async () => {
  const copy = join(archive.dir, 'roster-changed');
  cpSync(join(archive.dir, 'archive'), copy, { recursive: true });
  // bob, who closed F-1, leaves; the roster admins seal the roster without him, and the next change of the findings carries his close.
  const roster = JSON.parse(readFileSync(join(archive.dir, 'roster.json'), 'utf8')) as { people: { id: string }[] };
  roster.people = roster.people.filter((p) => p.id !== 'bob');
  const rosterPath = join(archive.dir, 'roster-without-bob.json');
  writeFileSync(rosterPath, `${JSON.stringify(roster, null, 2)}\n`);
  await sealTestRoster(rosterPath);
  const snapshot = JSON.parse(readFileSync(join(newest.folder, 'findings.json'), 'utf8')) as FindingsSnapshot;
  const book = new FindingsBook('kit-exercise', 'booking', snapshot.findings);
  book.open('F-3', { reason: 'not-ready', what: 'not ready for a day' }, new Date().toISOString(), 30 * 86_400);
  const settings = { ...archive.settings({}), store: openEvidenceStore(copy), rosterPath };
  const { key } = await archiveFindings(settings, book.snapshot(new Date(Date.now() + 2_000).toISOString()), workflowId, 'run-1');
  expect(JSON.parse(readFileSync(join(copy, key, 'closes.json'), 'utf8'))).toHaveLength(1);

  const result = await verifyAll(copy);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
});
