import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { archiveRun } from '../../lib/evidence/archive';
import { sealBundle } from '../../lib/evidence/bundle';
import { EvidenceManifest, manifestText, sha256Of } from '../../lib/evidence/manifest';
import { sealManifest } from '../../lib/evidence/seal';
import { openEvidenceStore } from '../../lib/evidence/open-store';
import { EvidenceConflictError } from '../../lib/evidence/store';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { archiveSignerIn, archiveTestRuns, drillEvidence, impostor, type TestArchive, type TestRuns } from '../helpers/evidence';
import { recordRun, recordRuns } from '../helpers/evidence-runs';
import { testTrustRoot } from '../helpers/roster-seal';
import { planServices, switchEstate } from '../helpers/switch-estate';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';
import { createRosterActivities } from '../../activities/roster';
import { approveUpdate, type RunResult, type RunStatus } from '../../kit';
import { generateEd25519KeyPair, signStatement } from '../../lib/ssh-keys';
import { testKeyFile } from '../helpers/signing';

let dir: string;
let base: string;
let archive: TestArchive;
let signer: Awaited<ReturnType<typeof archiveSignerIn>>;
let ctx: TemporalTestContext;
let runs: TestRuns;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-evidence-'));
  signer = await archiveSignerIn(dir);
  // evidence verify checks every decision again from the archived history: the bundles hold real runs' histories.
  ctx = await connectToTestServer('evidence-decisions');
  const recorded = await recordRuns(ctx, { rosterPath: join(dir, 'roster.json'), targets: ['booking', 'loyalty'], planFrom: 'A' });
  runs = { booking: recorded['kit-exercise/booking']!, loyalty: recorded['kit-exercise/loyalty']!, plan: recorded['plan/evacuate-region/A']! };
  base = join(dir, 'archive');
  archive = await archiveTestRuns(openEvidenceStore(base), signer.signer, signer.roster, runs);
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of the archive to tamper with, so each test starts from the same sealed record. */
function copyOfArchive(name: string): string {
  const copy = join(dir, name);
  cpSync(base, copy, { recursive: true });
  return copy;
}

const verifyAll = (store: string) => lifeboatInProcess(['evidence', 'verify', '--all', '--store', store]);

test('a quarter of archived drills verifies through the lifeboat command: every file, seal and chain link', async () => {
  const result = await lifeboat(['evidence', 'verify', '--all', '--store', base]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('checked: 6 bundle(s) in 3 chain(s)');
  expect(result.stdout).toContain('rosters: each checked against the trust root (sealed by its roster admins)');
  expect(result.stdout).toContain('every file, seal and chain link verifies');
  expect(result.stdout).toContain("decisions: each signed decision checked again from its bundle's archived history and roster (no Temporal server)");

  const json = await lifeboatInProcess(['evidence', 'verify', 'kit-exercise/booking', '--store', base, '--json']);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as { ok: boolean; bundles: { key: string }[] };
  expect(report.ok).toBe(true);
  expect(report.bundles.map((b) => b.key)).toEqual(archive.booking.map((b) => b.key));
});

test('each bundle names the one before it for its runbook and target; the first names none', () => {
  const previous = archive.booking.map((b) => b.manifest.previous);
  expect(previous[0]).toBeNull();
  for (let i = 1; i < archive.booking.length; i++) expect(previous[i]).toBe(sha256Of(archive.booking[i - 1]!.files['manifest.json']!));
  expect(archive.other.manifest.previous).toBeNull();
  expect(archive.booking[3]!.key).toBe('kit-exercise/booking/2026-04-10T031500.000Z-kit-exercise%2Fbooking');
});

test('archiving the same run twice stores nothing new; a different bundle under its key is refused, not overwritten', async () => {
  const copy = copyOfArchive('idempotent');
  const store = openEvidenceStore(copy);
  const again = drillEvidence({
    runbook: 'kit-exercise',
    target: 'loyalty',
    finishedAt: '2026-02-11T03:15:00.000Z',
    rtoSeconds: 420,
    roster: signer.roster,
    runNumber: 9,
    recorded: runs.loyalty,
  });
  expect((await archiveRun(store, again, signer.signer)).outcome).toBe('unchanged');

  const better = { ...again, files: { ...again.files, 'report.json': again.files['report.json']!.toString().replace('420', '120') } };
  await expect(archiveRun(store, better, signer.signer)).rejects.toThrow(EvidenceConflictError);
  expect(readFileSync(join(copy, archive.other.key, 'report.json'), 'utf8')).toContain('"rtoSeconds": 420');
  expect((await verifyAll(copy)).code).toBe(0);
});

test('evidence list filters by runbook and time; evidence get copies the newest run out with files matching its manifest', async () => {
  const listed = await lifeboatInProcess([
    'evidence',
    'list',
    '--runbook',
    'kit-exercise',
    '--since',
    '2026-02-01',
    '--until',
    '2026-03-10',
    '--store',
    base,
    '--json',
  ]);
  expect(listed.code).toBe(0);
  const bundles = (JSON.parse(listed.stdout) as { bundles: { key: string }[] }).bundles.map((b) => b.key);
  expect(bundles).toEqual([archive.booking[1]!.key, archive.booking[2]!.key, archive.other.key]);

  const out = join(dir, 'handed-over');
  const got = await lifeboatInProcess(['evidence', 'get', 'kit-exercise/booking', '--out', out, '--store', base]);
  expect(got.code).toBe(0);
  expect(got.stdout).toContain('files and seal verify');
  const newest = archive.booking[3]!;
  expect(readdirSync(out).sort()).toEqual(Object.keys(newest.files).sort());
  for (const [name, digest] of Object.entries(newest.manifest.files)) expect(sha256Of(readFileSync(join(out, name)))).toBe(digest);

  const byTemporalRunId = await lifeboatInProcess(['evidence', 'get', 'run-2-b', '--out', join(dir, 'second'), '--store', base, '--json']);
  expect((JSON.parse(byTemporalRunId.stdout) as { key: string }).key).toBe(archive.booking[1]!.key);
});

test('a changed byte in a history is caught and named, and verify exits 1', async () => {
  const copy = copyOfArchive('history-byte');
  const target = archive.booking[1]!;
  const path = join(copy, target.key, 'history.json');
  const bytes = readFileSync(path);
  bytes[10] = bytes[10]! ^ 0x01;
  writeFileSync(path, bytes);

  const result = await verifyAll(copy);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`NOT OK   ${target.key}`);
  expect(result.stdout).toContain(
    `${target.key}: history.json was changed: the manifest says ${target.manifest.files['history.json']}, the file is ${sha256Of(bytes)}`,
  );
  expect(result.stderr).toContain('1 thing(s)');
});

test('a bundle deleted from the middle of a chain shows as a broken link naming both sides', async () => {
  const copy = copyOfArchive('deleted');
  const [first, deleted, third] = archive.booking as [(typeof archive.booking)[0], (typeof archive.booking)[0], (typeof archive.booking)[0]];
  rmSync(join(copy, deleted.key), { recursive: true });

  const result = await lifeboatInProcess(['evidence', 'verify', '--all', '--store', copy, '--json']);
  expect(result.code).toBe(1);
  const report = JSON.parse(result.stdout) as { findings: { key: string; check: string; expected: string; found: string; message: string }[] };
  expect(report.findings).toHaveLength(1);
  const [broken] = report.findings;
  expect(broken).toMatchObject({
    key: third.key,
    check: 'chain',
    expected: sha256Of(first.files['manifest.json']!),
    found: sha256Of(deleted.files['manifest.json']!),
  });
  expect(broken!.message).toContain(`between ${first.key} and ${third.key}`);
});

test("a chain's newest bundle deleted leaves no link to break, but the plan that names it as a member shows it missing", async () => {
  const copy = copyOfArchive('member-deleted');
  const newest = archive.booking[3]!;
  rmSync(join(copy, newest.key), { recursive: true });

  const result = await lifeboatInProcess(['evidence', 'verify', 'plan/evacuate-region/A', '--store', copy]);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    `[member] ${archive.plan.key}: member kit-exercise/booking's bundle ${sha256Of(newest.files['manifest.json']!)} is not in the archive`,
  );
});

test('a report edited to show a better RTO is caught and named', async () => {
  const copy = copyOfArchive('better-rto');
  const target = archive.booking[2]!;
  const path = join(copy, target.key, 'report.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace('"rtoSeconds": 720', '"rtoSeconds": 300'));

  const result = await verifyAll(copy);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`[file] ${target.key}: report.json was changed: the manifest says ${target.manifest.files['report.json']}`);
});

test('a manifest rewritten to match an edited report and signed by a key the roster does not list is refused', async () => {
  const copy = copyOfArchive('forged-seal');
  const target = archive.booking[3]!;
  const folder = join(copy, target.key);
  const report = readFileSync(join(folder, 'report.json'), 'utf8').replace('"rtoSeconds": 780', '"rtoSeconds": 300');
  writeFileSync(join(folder, 'report.json'), report);
  const forged = EvidenceManifest.parse({ ...target.manifest, files: { ...target.manifest.files, 'report.json': sha256Of(report) } });
  writeFileSync(join(folder, 'manifest.json'), manifestText(forged));
  // mallory signs as the archive signer: the signature is good, the key is not the archive's.
  writeFileSync(join(folder, 'manifest.json.sig'), await signStatement(manifestText(forged), testKeyFile('mallory')));

  const result = await verifyAll(copy);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(
    new RegExp(`\\[seal\\] ${escape(target.key)}: the seal is made with a key \\(SHA256:[^)]+\\) the roster does not list for archive`),
  );
  expect(result.stdout).not.toContain('[file]');
});

test('a seal by a roster person who is in a group (an approver) is refused, and so is one by someone the roster does not list', async () => {
  const store = join(dir, 'approver-sealed');
  const evidence = drillEvidence({
    runbook: 'region-failover',
    target: 'booking',
    finishedAt: '2026-05-10T03:15:00.000Z',
    rtoSeconds: 500,
    roster: signer.roster,
    runNumber: 20,
  });
  const byApprover = await sealBundle(evidence, null, impostor('alice'));
  await openEvidenceStore(store).put(byApprover);
  const unlisted = drillEvidence({
    runbook: 'region-failover',
    target: 'loyalty',
    finishedAt: '2026-05-11T03:15:00.000Z',
    rtoSeconds: 500,
    roster: signer.roster,
    runNumber: 21,
  });
  await openEvidenceStore(store).put(await sealBundle(unlisted, null, impostor('mallory')));

  const result = await verifyAll(store);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`${byApprover.key}: the seal names alice, who is in group sre-oncall: an archive signer may sign, never approve`);
  expect(result.stdout).toContain('the seal names mallory, whom the roster');
});

test('a whole bundle forged with a roster of its own is refused against the trust root, and verify says when it had none', async () => {
  const store = join(dir, 'forged-roster');
  const forger = await generateEd25519KeyPair(join(dir, 'keys'), 'forger');
  const roster = JSON.parse(signer.roster.text) as { people: { id: string; keys: string[] }[] };
  roster.people.find((p) => p.id === 'archive')!.keys = [forger.publicKeyLine];
  const evidence = drillEvidence({
    runbook: 'kit-exercise',
    target: 'booking',
    finishedAt: '2026-06-10T03:15:00.000Z',
    rtoSeconds: 300,
    roster: { text: JSON.stringify(roster), sealText: signer.roster.sealText },
    runNumber: 30,
    recorded: runs.booking,
  });
  const forged = await sealBundle(evidence, null, { id: 'archive', keyFile: forger.privateKeyPath });
  await openEvidenceStore(store).put(forged);

  const anchored = await verifyAll(store);
  expect(anchored.code).toBe(1);
  expect(anchored.stdout).toContain(`[roster] ${forged.key}: the roster ${forged.manifest.rosterDigest} is sealed by 0 of the`);
  expect(anchored.stdout).not.toContain('[seal]');

  const unanchored = await lifeboatInProcess(['evidence', 'verify', '--all', '--store', store], { LIFEBOAT_TRUST_ROOT: undefined });
  expect(unanchored.stdout).toContain(
    "rosters: NOT checked against a trust root (give --trust-root or LIFEBOAT_TRUST_ROOT): each bundle's roster vouches for itself",
  );
  // Without a trust root the forged seal holds, but the run's decisions were checked against the roster it really used.
  expect(unanchored.code).toBe(1);
  expect(unanchored.stdout).not.toContain('[seal]');
  expect(unanchored.stdout).toContain(`[decisions] ${forged.key}: approve-update by bob (event`);
  expect(unanchored.stdout).toContain(`not against the bundle's roster.json (${forged.manifest.rosterDigest}): nothing in the archive vouches for that roster`);
});

/**
 * An insider who holds the archive key (not a person's) edits a run's history and seals the bundle again: files, seal
 * and chain all verify, and only the decisions checked again from the history show it.
 */
async function resealWithArchiveKey(folder: string, manifest: EvidenceManifest, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  const digests = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, sha256Of(text)]));
  const resealed = EvidenceManifest.parse({ ...manifest, files: { ...manifest.files, ...digests } });
  writeFileSync(join(folder, 'manifest.json'), manifestText(resealed));
  writeFileSync(join(folder, 'manifest.json.sig'), await sealManifest(manifestText(resealed), signer.signer));
}

/** The history with `from` replaced by `to` inside every signed statement its payloads carry; fails when none does. */
function editStatements(history: string, from: string, to: string): string {
  let edits = 0;
  const json = JSON.parse(history, (_key, value: unknown) => {
    const payload = value as { metadata?: { encoding?: string }; data?: string } | null;
    if (typeof payload?.data !== 'string' || payload.metadata?.encoding !== Buffer.from('json/plain').toString('base64')) return value;
    const text = Buffer.from(payload.data, 'base64').toString('utf8');
    if (!text.includes('"statement"') || !text.includes(from)) return value;
    edits++;
    return { ...payload, data: Buffer.from(text.split(from).join(to)).toString('base64') };
  }) as unknown;
  expect(edits).toBeGreaterThan(0);
  return `${JSON.stringify(json, null, 2)}\n`;
}

test('a history whose approval was edited, re-sealed with the archive key, is caught by the decision re-check naming the approval', async () => {
  const copy = copyOfArchive('resealed-history');
  const target = archive.other;
  const folder = join(copy, target.key);
  const history = editStatements(readFileSync(join(folder, 'history.json'), 'utf8'), 'recorded for the evidence tests', 'approved after a full review');
  await resealWithArchiveKey(folder, target.manifest, { 'history.json': history });

  const result = await verifyAll(copy);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`NOT OK   ${target.key}`);
  expect(result.stdout).not.toContain('[file]');
  expect(result.stdout).not.toContain('[seal]');
  expect(result.stdout).not.toContain('[chain]');
  expect(result.stdout).toMatch(
    new RegExp(
      `\\[decisions\\] ${escape(target.key)}: the archived history of kit-exercise/loyalty does not verify: approve-update at \\S+ \\(event \\d+\\) does not verify \\(.+\\), yet the run counted it`,
    ),
  );
  expect(result.stdout).toContain(
    `[decisions] ${target.key}: verify.json says kit-exercise/loyalty verified when it was archived, but its archived history does not verify now`,
  );
  expect(result.stderr).toContain('do not verify');
});

test(
  "a plan's members' delegations are checked across their bundles: a plan bundle re-sealed with a vote taken out of its gate names each member",
  { timeout: 180_000 },
  async () => {
    const estate = switchEstate();
    const taskQueue = testTaskQueue();
    const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
    const roster = createRosterActivities({ rosterPath: join(dir, 'roster.json'), trustRoot: testTrustRoot() });
    const { worker } = await createTestWorker(ctx, taskQueue, roster, estate.targetsPath);
    const planId = 'plan/evacuate-region/A';
    const recorded = await worker.runUntil(async () => {
      const plan = await ctx.client.workflow.start('recoveryPlan', {
        taskQueue,
        workflowId: planId,
        args: [{ input: { from: 'A', to: 'B', mode: 'emergency' }, requestedBy: 'alice' }],
      });
      await waitForStatus(plan, (s) => s.state === 'waiting-approval', 60_000);
      for (const by of ['bob', 'carol', 'dave']) await plan.executeUpdate(approveUpdate, { args: [{ by }] });
      expect(((await plan.result()) as RunResult).state).toBe('succeeded');
      const members = await Promise.all(planServices.map((s) => recordRun(ctx, `region-failover/${s}`, env)));
      return { plan: await recordRun(ctx, planId, env), members };
    });
    estate.remove();

    const folder = join(dir, 'plan-delegation');
    const store = openEvidenceStore(folder);
    const memberBundles = [];
    for (const member of recorded.members) {
      const [runbook, target] = member.runId.split('/') as [string, string];
      const evidence = drillEvidence({
        runbook,
        target,
        finishedAt: '2026-07-01T03:00:00.000Z',
        rtoSeconds: 300,
        roster: signer.roster,
        runNumber: 40,
        recorded: member,
      });
      memberBundles.push((await archiveRun(store, { ...evidence, temporalRunIds: [member.temporalRunId] }, signer.signer)).bundle);
    }
    const planEvidence = drillEvidence({
      runbook: 'evacuate-region',
      target: 'A',
      finishedAt: '2026-07-01T03:05:00.000Z',
      rtoSeconds: 600,
      roster: signer.roster,
      runNumber: 41,
      recorded: recorded.plan,
    });
    const planBundle = (
      await archiveRun(
        store,
        {
          ...planEvidence,
          kind: 'plan',
          temporalRunIds: [recorded.plan.temporalRunId],
          members: memberBundles.map((b) => ({ runId: b.manifest.runId, manifestDigest: sha256Of(b.files['manifest.json']!) })),
        },
        signer.signer,
      )
    ).bundle;
    const intact = await verifyAll(folder);
    expect(intact.code, intact.stdout).toBe(0);

    // The insider holds the archive key: dave's approval is taken out of the plan's gate in its result, and re-sealed.
    const planFolder = join(folder, planBundle.key);
    const history = editResult(readFileSync(join(planFolder, 'history.json'), 'utf8'), (status) => {
      const gate = status.gates.find((g) => g.votes.some((v) => v.by === 'dave'))!;
      gate.votes = gate.votes.filter((v) => v.by !== 'dave');
    });
    await resealWithArchiveKey(planFolder, planBundle.manifest, { 'history.json': history });
    const tampered = await verifyAll(folder);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).not.toContain(`NOT OK   ${planBundle.key}`);
    for (const member of memberBundles) {
      expect(tampered.stdout).toContain(`NOT OK   ${member.key}`);
      expect(tampered.stdout).toContain(
        `[decisions] ${member.key}: the delegation of ${member.manifest.runId} from plan run ${planId} (run ${recorded.plan.temporalRunId}) does not hold against the plan's bundle: the approvals it carries`,
      );
    }
  },
);

/** The history with its closing result (the run's final status) changed by `edit`. */
function editResult(history: string, edit: (status: RunStatus) => void): string {
  const json = JSON.parse(history) as { events: { workflowExecutionCompletedEventAttributes?: { result?: { payloads?: { data: string }[] } } }[] };
  const payload = json.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!;
  // A run's result is its final status (RunResult extends RunStatus).
  const result = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as RunStatus;
  edit(result);
  payload.data = Buffer.from(JSON.stringify(result)).toString('base64');
  return `${JSON.stringify(json, null, 2)}\n`;
}

test('evidence verify says how to call it (no archive named, neither a run nor --all, or both: exit 2) and never passes an archive it cannot find', async () => {
  expect((await lifeboatInProcess(['evidence', 'verify', '--all'], { LIFEBOAT_EVIDENCE_STORE: undefined })).code).toBe(2);
  expect((await lifeboatInProcess(['evidence', 'verify', '--store', base])).code).toBe(2);
  expect((await lifeboatInProcess(['evidence', 'verify', 'kit-exercise/booking', '--all', '--store', base])).code).toBe(2);
  expect((await lifeboatInProcess(['evidence', 'list', '--since', 'yesterday', '--store', base])).code).toBe(2);
  const mistyped = await lifeboatInProcess(['evidence', 'verify', '--all', '--store', join(dir, 'no-such-archive')]);
  expect(mistyped.code).toBe(1);
  expect(mistyped.stderr).toContain('there is no evidence archive at');
  const empty = await lifeboatInProcess(['evidence', 'verify', '--all', '--store', dir]);
  expect(empty.code).toBe(1);
  expect(empty.stderr).toContain('holds no evidence bundles, so nothing was verified');
  const fromEnv = await lifeboatInProcess(['evidence', 'verify', '--all'], { LIFEBOAT_EVIDENCE_STORE: base });
  expect(fromEnv.code).toBe(0);
  expect(existsSync(base)).toBe(true);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
