import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArchiveSigner } from '../../lib/evidence/seal';

/**
 * The real runs the simulated evidence year puts in its bundles (recorded by evidence-year-record.test.ts): for each
 * subject of the year and each requester, one run's history as `temporal workflow show -o json` writes it, the roster
 * those runs loaded (which lists the year's archive signer) and that signer's private key. A bundle's history.json is
 * then a real history whose signed decisions `lifeboat evidence verify` checks again against the bundle's roster.json.
 */

export const recordedRunsDir = resolve(__dirname, '..', 'fixtures', 'evidence-year');

/** One recorded run, as runs.json lists it. */
export interface RecordedYearRun {
  /** Its history's file under `histories/`. */
  file: string;
  /** The workflow ID it ran under: the run ID a bundle's manifest names (`region-failover/booking`). */
  workflowId: string;
  requestedBy: string;
  /** The namespace its signed decisions name, which the bundle's verify.json records. */
  namespace: string;
  temporalRunId: string;
}

/** The recorded runs with their histories' text, the roster they loaded, and the signer that roster lists for the archive. */
export interface RecordedYear {
  runs: (RecordedYearRun & { history: string })[];
  rosterText: string;
  /** Picks the run of `workflowId` its requester made, else any run of it; throws when none was recorded. */
  runFor(workflowId: string, requestedBy: string): RecordedYearRun & { history: string };
}

let loaded: RecordedYear | undefined;

/** The recorded runs, read once per process. */
export function recordedYear(): RecordedYear {
  if (loaded) return loaded;
  const listed = JSON.parse(readFileSync(join(recordedRunsDir, 'runs.json'), 'utf8')) as RecordedYearRun[];
  // Indented as the archiver writes a history (and as `temporal workflow show -o json` prints it).
  const runs = listed.map((run) => ({
    ...run,
    history: `${JSON.stringify(JSON.parse(readFileSync(join(recordedRunsDir, 'histories', run.file), 'utf8')), null, 2)}\n`,
  }));
  loaded = {
    runs,
    rosterText: readFileSync(join(recordedRunsDir, 'roster.json'), 'utf8'),
    runFor(workflowId, requestedBy) {
      const found = runs.find((r) => r.workflowId === workflowId && r.requestedBy === requestedBy) ?? runs.find((r) => r.workflowId === workflowId);
      if (!found) throw new Error(`no run of ${workflowId} is recorded under ${recordedRunsDir}: record them again (evidence-year-record.test.ts)`);
      return found;
    },
  };
  return loaded;
}

/**
 * The archive signer the recorded roster lists, its key copied into `dir` with the owner-only mode ssh-keygen insists
 * on (git keeps no file modes). The key signs test archives only: it is in no group, so no gate counts it.
 */
export function recordedArchiveSigner(dir: string): ArchiveSigner {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'archive');
  copyFileSync(join(recordedRunsDir, 'archive-key'), keyFile);
  chmodSync(keyFile, 0o600);
  return { id: 'archive', keyFile };
}
