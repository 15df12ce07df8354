import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { archiveStateQuery, EVIDENCE_ARCHIVER_ID, EVIDENCE_ARCHIVER_TYPE, type ArchiverState } from '../../workflows/evidence-archiver';
import { CliError } from '../errors';

/** How long the archiver's worker has to answer the state query. */
const QUERY_DEADLINE_MS = 8_000;

/** What `lifeboat evidence status` reports: the archiver's own state, and from Temporal the retries of the run it is on. */
export interface ArchiverStatus extends Omit<ArchiverState, 'archiving'> {
  workflowId: string;
  archiving?: NonNullable<ArchiverState['archiving']> & { attempts: number; lastError?: string; nextAttemptAt?: string };
  /** True when the run being archived has failed at least once and is waiting to retry: the store is down or refusing. */
  stuck: boolean;
}

/**
 * Reads the archiver's state. The run it is on and since when come from the archiver (a query); how many times
 * archiving it has been tried and the last error come from Temporal's record of the pending activity, since the
 * archiver itself only learns of them when the activity finally succeeds.
 */
export async function readArchiverStatus(client: Client, workflowId = EVIDENCE_ARCHIVER_ID): Promise<ArchiverStatus> {
  const handle = client.workflow.getHandle(workflowId);
  let description: Awaited<ReturnType<typeof handle.describe>>;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(`no evidence archiver runs in this namespace (workflow ${workflowId}): finished runs are not being archived`, {
        code: 'no-archiver',
        suggestion: 'set LIFEBOAT_EVIDENCE_STORE, LIFEBOAT_ARCHIVE_KEY and LIFEBOAT_ARCHIVE_SIGNER on the workers and restart them; each starts the archiver',
      });
    throw err;
  }
  if (description.type !== EVIDENCE_ARCHIVER_TYPE || description.status.name !== 'RUNNING')
    throw new CliError(
      `the workflow ${workflowId} is a ${description.type} (${description.status.name.toLowerCase()}), not a running evidence archiver: finished runs are not being archived`,
      { code: 'no-archiver', suggestion: 'restart a worker with LIFEBOAT_EVIDENCE_STORE set; it starts the archiver and says what holds its ID' },
    );
  let state: ArchiverState;
  try {
    state = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(archiveStateQuery));
  } catch (err) {
    throw new CliError(`the evidence archiver did not answer (${(err as Error).message}): no worker of task queue ${description.taskQueue} is up`, {
      code: 'archiver-not-answering',
      suggestion: 'start a worker (lifeboat worker) on that task queue; archiving resumes where it stopped',
    });
  }
  const pending = (description.raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'archiveClosedRun');
  const { archiving, ...rest } = state;
  if (!archiving) return { ...rest, workflowId, stuck: false };
  const attempts = pending?.attempt ?? 1;
  const lastError = pending?.lastFailure?.message ?? undefined;
  const next = pending?.nextAttemptScheduleTime?.seconds;
  return {
    ...rest,
    workflowId,
    archiving: {
      ...archiving,
      attempts,
      ...(lastError ? { lastError } : {}),
      ...(next ? { nextAttemptAt: new Date(Number(next) * 1000).toISOString() } : {}),
    },
    stuck: attempts > 1 && lastError !== undefined,
  };
}

/** The status as a few lines for a person. */
export function renderArchiverStatus(status: ArchiverStatus): string {
  const lines = [`archiver: ${status.workflowId} on task queue ${status.taskQueue}`, `archived up to: runs closed by ${status.cursor.closedAt}`];
  const last = status.lastArchived;
  lines.push(
    last
      ? `last archived: ${last.workflowId} (run ${last.temporalRunId}, closed ${last.closedAt})${last.archivedAt ? ` at ${last.archivedAt}` : ''} as ${last.key}`
      : 'last archived: none yet',
  );
  const now = status.archiving;
  if (!now) lines.push('archiving: nothing waiting');
  else if (status.stuck)
    lines.push(
      `STUCK: ${now.workflowId} (run ${now.temporalRunId}, closed ${now.closedAt}) has failed to archive ${now.attempts - 1} time(s) since ${now.since}; later runs wait behind it`,
      `last error: ${now.lastError}`,
      ...(now.nextAttemptAt ? [`next attempt: ${now.nextAttemptAt}`] : []),
    );
  else lines.push(`archiving: ${now.workflowId} (run ${now.temporalRunId}, closed ${now.closedAt}), attempt ${now.attempts}`);
  return lines.join('\n');
}
