import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { archiveRun } from '../../lib/evidence/archive';
import type { EvidenceBundle, RunEvidence } from '../../lib/evidence/bundle';
import { MANIFEST_FILE, ROSTER_FILE, sha256Of } from '../../lib/evidence/manifest';
import { ROSTER_SEAL_FILE } from '../../lib/evidence/roster-anchor';
import { sealPathFor } from '../../lib/roster-seal-file';
import type { ArchiveSigner } from '../../lib/evidence/seal';
import type { EvidenceStore } from '../../lib/evidence/store';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import type { RecordedRun } from './evidence-runs';
import { sealTestRoster } from './roster-seal';
import { testKeyFile } from './signing';

/** The archive signer the tests' worker would hold: a roster person in no group. */
export const archiveSignerId = 'archive';

/** The roster a bundle carries: its text (`roster.json`) and its roster admins' seal (`roster.seal.json`). */
export interface RosterFiles {
  text: string;
  sealText: string;
}

/**
 * The test roster with an archive signer added (its own new key, in no group), written to `dir/roster.json` and sealed
 * by the test roster admins, as a deployment's admins would seal the roster that adds its workers' archive signer.
 */
export async function archiveSignerIn(dir: string): Promise<{ signer: ArchiveSigner; roster: RosterFiles }> {
  const { privateKeyPath, publicKeyLine } = await generateEd25519KeyPair(join(dir, 'keys'), archiveSignerId);
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as { people: { id: string; name: string; groups: string[]; keys: string[] }[] };
  roster.people.push({ id: archiveSignerId, name: 'Lifeboat evidence archive', groups: [], keys: [publicKeyLine] });
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, `${JSON.stringify(roster, null, 2)}\n`);
  await sealTestRoster(rosterPath);
  return {
    signer: { id: archiveSignerId, keyFile: privateKeyPath },
    roster: { text: readFileSync(rosterPath, 'utf8'), sealText: readFileSync(sealPathFor(rosterPath), 'utf8') },
  };
}

/** A signer who is not the archive's: `who`'s test key, claiming to be `claims`. */
export function impostor(who: string, claims: string = who): ArchiveSigner {
  return { id: claims, keyFile: testKeyFile(who) };
}

/**
 * What one finished drill of `runbook` on `target` leaves: a report with its RTO, a verify result, a history, the
 * roster. Given a `recorded` run (of the same run ID), its real history and verify result; otherwise stand-ins, which
 * pass every check of files, seals and chains but not `evidence verify`'s re-check of the decisions.
 */
export function drillEvidence(opts: {
  runbook: string;
  target: string;
  finishedAt: string;
  rtoSeconds: number;
  roster: RosterFiles;
  runNumber: number;
  recorded?: RecordedRun;
}): RunEvidence {
  const runId = opts.recorded?.runId ?? `${opts.runbook}/${opts.target}`;
  const startedAt = new Date(Date.parse(opts.finishedAt) - opts.rtoSeconds * 1000).toISOString();
  const report = { runId, state: 'succeeded', drill: true, objectives: { rtoSeconds: 900 }, achieved: { rtoSeconds: opts.rtoSeconds } };
  return {
    runId,
    temporalRunIds: [`run-${opts.runNumber}-a`, `run-${opts.runNumber}-b`],
    kind: 'runbook',
    runbook: opts.runbook,
    target: opts.target,
    drill: true,
    state: 'succeeded',
    startedAt,
    finishedAt: opts.finishedAt,
    files: {
      'report.html': `<html><body><h1>${runId}</h1><p>RTO ${opts.rtoSeconds} s</p></body></html>\n`,
      'report.json': `${JSON.stringify(report, null, 2)}\n`,
      'verify.json': opts.recorded?.verify ?? `${JSON.stringify({ runId, ok: true, decisions: [] }, null, 2)}\n`,
      'history.json':
        opts.recorded?.history ??
        `${JSON.stringify({ events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', runNumber: opts.runNumber }] })}\n`,
      [ROSTER_FILE]: opts.roster.text,
      [ROSTER_SEAL_FILE]: opts.roster.sealText,
    },
    targetsDigest: `sha256:${'0'.repeat(64)}`,
  };
}

/** The keys the standard test archive holds, in the order the runs finished. */
export interface TestArchive {
  booking: EvidenceBundle[];
  other: EvidenceBundle;
  plan: EvidenceBundle;
}

/** Real runs to archive in place of stand-ins: two runbook runs on their targets, and a plan. */
export interface TestRuns {
  booking: RecordedRun;
  loyalty: RecordedRun;
  plan: RecordedRun;
}

/** The runbook and target a recorded run's workflow ID names (`kit-exercise/booking`), or the stand-in's. */
function runbookTarget(recorded: RecordedRun | undefined, runbook: string, target: string): { runbook: string; target: string; recorded?: RecordedRun } {
  if (!recorded) return { runbook, target };
  const cut = recorded.runId.indexOf('/');
  return { runbook: recorded.runId.slice(0, cut), target: recorded.runId.slice(cut + 1), recorded };
}

/**
 * Archives what a quarter of drills leaves: four drills of a runbook on booking (a chain of four), one on loyalty, and
 * a plan whose manifest names the newest booking drill as its member. With `runs`, each bundle holds a real run's
 * history (the four booking drills the same one); without, region-failover's stand-ins.
 */
export async function archiveTestRuns(store: EvidenceStore, signer: ArchiveSigner, roster: RosterFiles, runs?: TestRuns): Promise<TestArchive> {
  const booking: EvidenceBundle[] = [];
  const days = ['2026-01-10', '2026-02-10', '2026-03-10', '2026-04-10'];
  for (const [i, day] of days.entries()) {
    const evidence = drillEvidence({
      ...runbookTarget(runs?.booking, 'region-failover', 'booking'),
      finishedAt: `${day}T03:15:00.000Z`,
      rtoSeconds: 600 + i * 60,
      roster,
      runNumber: i + 1,
    });
    booking.push((await archiveRun(store, evidence, signer)).bundle);
  }
  const loyalty = drillEvidence({
    ...runbookTarget(runs?.loyalty, 'region-failover', 'loyalty'),
    finishedAt: '2026-02-11T03:15:00.000Z',
    rtoSeconds: 420,
    roster,
    runNumber: 9,
  });
  const other = (await archiveRun(store, loyalty, signer)).bundle;
  const planEvidence: RunEvidence = {
    ...drillEvidence({
      runbook: 'evacuate-region',
      target: runs?.plan.runId.split('/').at(-1) ?? 'A',
      finishedAt: '2026-04-10T03:20:00.000Z',
      rtoSeconds: 1200,
      roster,
      runNumber: 10,
      ...(runs ? { recorded: runs.plan } : {}),
    }),
    runId: runs?.plan.runId ?? 'plan/evacuate-region/A',
    kind: 'plan',
    members: [{ runId: booking[3]!.manifest.runId, manifestDigest: digestOfBundle(booking[3]!) }],
  };
  const plan = (await archiveRun(store, planEvidence, signer)).bundle;
  return { booking, other, plan };
}

/** A bundle's manifest digest, as the next bundle and a plan name it. */
export function digestOfBundle(bundle: EvidenceBundle): string {
  return sha256Of(bundle.files[MANIFEST_FILE]!);
}
