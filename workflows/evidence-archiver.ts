import { continueAsNew, defineQuery, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';

/**
 * The evidence archiver: one long-lived workflow per namespace (workflow ID {@link EVIDENCE_ARCHIVER_ID}) that archives
 * every Lifeboat run of its task queue once it has closed. Temporal runs one workflow per ID at a time, so the bundles
 * of one runbook and target are written by one writer, in the order the runs closed, and no two writers race for the
 * hash chain's `previous`. The runs themselves never wait for it: they end, and it reads them from Temporal afterwards.
 */

/** The archiver's workflow ID: fixed, so a namespace has one. */
export const EVIDENCE_ARCHIVER_ID = 'lifeboat-evidence-archiver';
/** Its workflow type, which `lifeboat worker` checks before it trusts a workflow under that ID to be the archiver. */
export const EVIDENCE_ARCHIVER_TYPE = 'evidenceArchiver';

/**
 * How far the archiver has read: runs closed before `closedAt` are archived, and of those closed exactly at `closedAt`,
 * the Temporal run IDs in `runIds`. (Close times can tie, so a time alone would drop or repeat a run.)
 */
export interface ArchiverCursor {
  closedAt: string;
  runIds: string[];
}

/** A closed run to archive, as visibility lists it. */
export interface ClosedRun {
  workflowId: string;
  /** The Temporal run ID of the run that closed (the last of its carry-over chain). */
  temporalRunId: string;
  workflowType: string;
  closedAt: string;
}

/** What the archive activity did with a run. */
export interface ArchivedRun {
  key: string;
  outcome: 'stored' | 'unchanged';
}

export interface EvidenceArchiverActivities {
  /**
   * The runs of `taskQueue` closed at or after the cursor and not yet archived, oldest close first; at most `limit`.
   * Only runs closed at least `settleSeconds` ago: visibility can show a run's close a moment late, and a run listed
   * after a later one had moved the cursor past it would never be archived.
   */
  listClosedRuns(taskQueue: string, cursor: ArchiverCursor, limit: number, settleSeconds: number): Promise<ClosedRun[]>;
  /** Builds the run's bundle from Temporal and the worker's files, seals it and puts it in the store. */
  archiveClosedRun(run: ClosedRun): Promise<ArchivedRun>;
}

export interface EvidenceArchiverInput {
  /** The task queue whose runs it archives (the worker's), and where its activities run. */
  taskQueue: string;
  cursor: ArchiverCursor;
  /** Seconds between looks for newly closed runs; default 10. */
  pollSeconds?: number;
  /** How long after a run closes before it is listed (see `listClosedRuns`); default 5. */
  settleSeconds?: number;
  /** What the last run of the archiver archived, carried over so status still shows it. */
  lastArchived?: ArchiverState['lastArchived'];
}

/** What `lifeboat evidence status` shows: how far archiving has got, and the run it is working on. */
export interface ArchiverState {
  taskQueue: string;
  cursor: ArchiverCursor;
  lastArchived?: { workflowId: string; temporalRunId: string; closedAt: string; key: string; archivedAt: string };
  /** The run being archived now; while the store is down its activity retries, and later runs wait behind it. */
  archiving?: { workflowId: string; temporalRunId: string; closedAt: string; since: string };
  /** When the archiver last asked Temporal for closed runs. */
  lastLookAt?: string;
}

export const archiveStateQuery = defineQuery<ArchiverState>('archiveState');

/** Look-ups before the archiver carries itself over, which keeps its history short however long it runs. */
const LOOKS_PER_RUN = 200;
const RUNS_PER_LOOK = 50;

const { listClosedRuns } = proxyActivities<EvidenceArchiverActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// A store that is down must not lose a run: the archive activity retries without limit, backing off to every 5 minutes;
// the heartbeat lets a worker that died mid-bundle be noticed within a minute rather than at the 10-minute timeout.
const { archiveClosedRun } = proxyActivities<EvidenceArchiverActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  // No maximumAttempts: unlimited.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function evidenceArchiver(input: EvidenceArchiverInput): Promise<never> {
  const state: ArchiverState = { taskQueue: input.taskQueue, cursor: input.cursor, ...(input.lastArchived ? { lastArchived: input.lastArchived } : {}) };
  setHandler(archiveStateQuery, () => state);
  const pollSeconds = input.pollSeconds ?? 10;
  const settleSeconds = input.settleSeconds ?? 5;
  for (let look = 0; look < LOOKS_PER_RUN; look++) {
    state.lastLookAt = new Date().toISOString();
    const runs = await listClosedRuns(state.taskQueue, state.cursor, RUNS_PER_LOOK, settleSeconds);
    for (const run of runs) {
      state.archiving = { ...run, since: new Date().toISOString() };
      const archived = await archiveClosedRun(run);
      delete state.archiving;
      state.lastArchived = { ...run, key: archived.key, archivedAt: new Date().toISOString() };
      state.cursor = advance(state.cursor, run);
    }
    // A full page means more are waiting: look again at once.
    if (runs.length < RUNS_PER_LOOK) await sleep(pollSeconds * 1000);
    if (workflowInfo().continueAsNewSuggested) break;
  }
  return continueAsNew<typeof evidenceArchiver>({
    taskQueue: state.taskQueue,
    cursor: state.cursor,
    pollSeconds,
    settleSeconds,
    ...(state.lastArchived ? { lastArchived: state.lastArchived } : {}),
  });
}

/** The cursor after `run`: its close time, with the runs closed at that same instant remembered. */
export function advance(cursor: ArchiverCursor, run: ClosedRun): ArchiverCursor {
  if (run.closedAt === cursor.closedAt) return { closedAt: cursor.closedAt, runIds: [...cursor.runIds, run.temporalRunId] };
  return { closedAt: run.closedAt, runIds: [run.temporalRunId] };
}
