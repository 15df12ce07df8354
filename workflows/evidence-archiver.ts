import { continueAsNew, defineQuery, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';

/**
 * The evidence archiver: one long-lived workflow per namespace (workflow ID {@link EVIDENCE_ARCHIVER_ID}) that archives
 * every Lifeboat run of its task queue once it has closed. Temporal runs one workflow per ID at a time, so the bundles
 * of one runbook and target are written by one writer, in the order the runs closed, and no two writers race for the
 * hash chain's `previous`. The runs themselves never wait for it: they end, and it reads them from Temporal afterwards.
 *
 * What it is given is a claim, not proof. Anyone with namespace access can start a workflow of this type under this ID
 * with a cursor far in the future (then nothing would ever be listed), reset it, terminate it, or continue-as-new into
 * it from a workflow of their own. So at each start (a first start, a carry-over, a reset that replays from the start)
 * it asks the evidence store where archiving really got to ({@link EvidenceArchiverActivities.archivedUpTo}) and never
 * goes past that: a cursor behind the store only costs a look at runs already archived, which archiving skips, while
 * a cursor ahead of it would skip runs for good. The queue it lists is the one it runs on, not the one its input names,
 * and its timings are kept within bounds. A terminated archiver is started again by the workers
 * (cli/evidence/archiver-start.ts), and, starting from the store, it archives what closed while it was gone.
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

/** Where the evidence store says archiving got to: the truth the archiver checks any cursor it is given against. */
export interface ArchivedTruth {
  /** Just past the newest bundle: its close time, with the runs closed at that instant; null when the store is empty. */
  cursor: ArchiverCursor | null;
  /** The newest bundle, for status. */
  newest?: { workflowId: string; temporalRunId: string; closedAt: string; key: string };
}

export interface EvidenceArchiverActivities {
  /** Reads the evidence store for where archiving got to (see {@link ArchivedTruth}). */
  archivedUpTo(): Promise<ArchivedTruth>;
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
  /** What the last run of the archiver archived, carried over so status still shows it (checked against the store). */
  lastArchived?: ArchiverState['lastArchived'];
}

/** What `lifeboat evidence status` shows: how far archiving has got, and the run it is working on. */
export interface ArchiverState {
  taskQueue: string;
  cursor: ArchiverCursor;
  /** `archivedAt` is absent when the archiver learnt of the bundle from the store rather than by archiving it. */
  lastArchived?: { workflowId: string; temporalRunId: string; closedAt: string; key: string; archivedAt?: string };
  /** The run being archived now; while the store is down its activity retries, and later runs wait behind it. */
  archiving?: { workflowId: string; temporalRunId: string; closedAt: string; since: string };
  /** When the archiver last asked Temporal for closed runs. */
  lastLookAt?: string;
}

export const archiveStateQuery = defineQuery<ArchiverState>('archiveState');

/** Look-ups before the archiver carries itself over, which keeps its history short however long it runs. */
const LOOKS_PER_RUN = 200;
const RUNS_PER_LOOK = 50;

/** The patch that makes the archiver check its cursor against the store; histories from before it replay without. */
export const CURSOR_FROM_STORE_PATCH = 'archiver-cursor-from-store';

/** Bounds on the timings an input may ask for: a forged one-year poll or settle would stop archiving as surely as a cursor. */
const POLL_SECONDS = { least: 1, most: 60, usual: 10 };
const SETTLE_SECONDS = { least: 1, most: 120, usual: 5 };

const { listClosedRuns, archivedUpTo } = proxyActivities<EvidenceArchiverActivities>({
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
  const fromStore = patched(CURSOR_FROM_STORE_PATCH);
  const runStart = new Date(workflowInfo().runStartTime).toISOString();
  const state: ArchiverState = {
    // The queue it runs on is Temporal's fact; the one its input names is a claim.
    taskQueue: workflowInfo().taskQueue,
    // Until the store answers, no further than this run's start: status never shows a forged cursor as progress.
    cursor: trustedCursor(input.cursor, null, runStart),
    ...(input.lastArchived && !fromStore ? { lastArchived: input.lastArchived } : {}),
  };
  setHandler(archiveStateQuery, () => state);
  const pollSeconds = within(input.pollSeconds, POLL_SECONDS);
  const settleSeconds = within(input.settleSeconds, SETTLE_SECONDS);
  if (fromStore) {
    const truth = await archivedUpTo();
    state.cursor = trustedCursor(input.cursor, truth.cursor, runStart);
    const newest = truth.newest;
    if (newest) {
      const carried = input.lastArchived?.key === newest.key ? input.lastArchived.archivedAt : undefined;
      state.lastArchived = { ...newest, ...(typeof carried === 'string' ? { archivedAt: carried } : {}) };
    }
  }
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

/**
 * The cursor to start from: the one given, unless it is past what the store holds (`archived`) or past this run's own
 * start (no honest cursor is: it only moves over runs that closed and were archived). Of two cursors at the same
 * instant, only the runs both name count as done.
 */
export function trustedCursor(given: unknown, archived: ArchiverCursor | null, runStart: string): ArchiverCursor {
  const start: ArchiverCursor = { closedAt: runStart, runIds: [] };
  const bound = earlier(archived ?? start, start);
  // A cursor that is not one (no time, no run list) is no claim at all: start from the store.
  return isCursor(given) ? earlier(given, bound) : bound;
}

function isCursor(value: unknown): value is ArchiverCursor {
  const cursor = value as Partial<ArchiverCursor> | null | undefined;
  return (
    typeof cursor?.closedAt === 'string' &&
    !Number.isNaN(Date.parse(cursor.closedAt)) &&
    Array.isArray(cursor.runIds) &&
    cursor.runIds.every((id) => typeof id === 'string')
  );
}

function earlier(a: ArchiverCursor, b: ArchiverCursor): ArchiverCursor {
  const at = (c: ArchiverCursor) => Date.parse(c.closedAt);
  if (at(a) !== at(b)) return at(a) < at(b) ? a : b;
  return { closedAt: b.closedAt, runIds: a.runIds.filter((id) => b.runIds.includes(id)) };
}

function within(value: number | undefined, bounds: { least: number; most: number; usual: number }): number {
  if (value === undefined || !Number.isFinite(value)) return bounds.usual;
  return Math.min(bounds.most, Math.max(bounds.least, value));
}

/** The cursor after `run`: its close time, with the runs closed at that same instant remembered. */
export function advance(cursor: ArchiverCursor, run: ClosedRun): ArchiverCursor {
  if (run.closedAt === cursor.closedAt) return { closedAt: cursor.closedAt, runIds: [...cursor.runIds, run.temporalRunId] };
  return { closedAt: run.closedAt, runIds: [run.temporalRunId] };
}
