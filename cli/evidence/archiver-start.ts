import { Client, WorkflowExecutionAlreadyStartedError, type ConnectionLike } from '@temporalio/client';
import { EVIDENCE_ARCHIVER_ID, EVIDENCE_ARCHIVER_TYPE, type EvidenceArchiverInput } from '../../workflows/evidence-archiver';

/** Thrown when the archiver's workflow ID is held by something that is not the archiver. */
export class ArchiverImpostorError extends Error {
  override readonly name = 'ArchiverImpostorError';
}

/**
 * Starts the namespace's evidence archiver unless it already runs, and checks that what runs under its ID is the
 * archiver on this task queue. A workflow of another type under that ID (an insider's, which would hold the ID so no
 * archiver can start) is refused loudly: archiving would silently not happen.
 * A new archiver archives runs that close from now on; runs that closed before are left to the namespace's retention.
 */
export async function ensureEvidenceArchiver(opts: {
  connection: ConnectionLike;
  namespace: string;
  taskQueue: string;
  workflowId?: string;
  pollSeconds?: number;
  settleSeconds?: number;
  now?: Date;
}): Promise<{ workflowId: string; runId: string }> {
  const client = new Client({ connection: opts.connection, namespace: opts.namespace });
  const workflowId = opts.workflowId ?? EVIDENCE_ARCHIVER_ID;
  const input: EvidenceArchiverInput = {
    taskQueue: opts.taskQueue,
    cursor: { closedAt: (opts.now ?? new Date()).toISOString(), runIds: [] },
    ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}),
    ...(opts.settleSeconds !== undefined ? { settleSeconds: opts.settleSeconds } : {}),
  };
  try {
    await client.workflow.start(EVIDENCE_ARCHIVER_TYPE, { workflowId, taskQueue: opts.taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
  } catch (err) {
    // Older servers answer a second start this way instead of returning the running one.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const description = await client.workflow.getHandle(workflowId).describe();
  if (description.type !== EVIDENCE_ARCHIVER_TYPE || description.status.name !== 'RUNNING')
    throw new ArchiverImpostorError(
      `the workflow ID ${workflowId} is held by a ${description.type} workflow (${description.status.name.toLowerCase()}) on task queue ${description.taskQueue}, not by the evidence archiver: NO RUN IS BEING ARCHIVED. Find out who started it, then terminate it (temporal workflow terminate --workflow-id ${workflowId}) and restart this worker`,
    );
  if (description.taskQueue !== opts.taskQueue)
    throw new ArchiverImpostorError(
      `the evidence archiver ${workflowId} runs on task queue ${description.taskQueue}, so it archives that queue's runs, not ${opts.taskQueue}'s: runs of ${opts.taskQueue} are NOT archived`,
    );
  return { workflowId, runId: description.runId };
}

/**
 * Keeps the namespace's archiver running while this worker runs: every `intervalMs` it checks what holds the
 * archiver's ID, starts the archiver again when it has ended (an insider terminated it, say; the new one starts from
 * what the store holds, so the runs that closed meanwhile are archived too), and reports an impostor through
 * `onImpostor` each time a new one appears. It does not terminate an impostor: the ID may be held by another fleet's
 * archiver on its own task queue, and two fleets replacing each other's would archive nothing. Returns a stop function.
 */
export function watchEvidenceArchiver(
  opts: Parameters<typeof ensureEvidenceArchiver>[0] & {
    intervalMs: number;
    onImpostor: (err: ArchiverImpostorError) => void;
    onError: (err: unknown) => void;
  },
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let named: string | undefined;
  const check = async () => {
    try {
      await ensureEvidenceArchiver(opts);
      named = undefined;
    } catch (err) {
      if (!(err instanceof ArchiverImpostorError)) opts.onError(err);
      else if (err.message !== named) {
        named = err.message;
        opts.onImpostor(err);
      }
    }
    if (!stopped) timer = setTimeout(() => void check(), opts.intervalMs);
  };
  timer = setTimeout(() => void check(), opts.intervalMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
