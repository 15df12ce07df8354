import { Client } from '@temporalio/client';
import { Runtime, type NativeConnection } from '@temporalio/worker';
import { EVIDENCE_ARCHIVER_ID, EVIDENCE_ARCHIVER_TYPE } from '../workflows/evidence-archiver';

/**
 * Publishes the evidence archiver's health on the worker's Prometheus endpoint, read from Temporal's record of the
 * archiver (describe), so every worker reports the same numbers (aggregate with `max`):
 * - `lifeboat_evidence_archiver_running`: 1 while the archiver workflow runs under its ID, else 0;
 * - `lifeboat_evidence_archive_attempts`: the attempts so far at archiving the run it is on; 0 when it waits for runs;
 * - `lifeboat_evidence_archive_stuck`: 1 when that run has failed to archive and waits to retry (the store is down or
 *   refusing), as `lifeboat evidence status` reports it; alert on it staying 1.
 * Returns a stopper.
 */
export function publishArchiveMetrics(options: {
  connection: NativeConnection;
  namespace: string;
  workflowId?: string;
  intervalMs?: number;
  onError?: (err: unknown) => void;
}): () => void {
  const meter = Runtime.instance().metricMeter;
  const running = meter.createGauge('lifeboat_evidence_archiver_running', 'int', 'archivers', 'Whether the evidence archiver workflow runs (1) or not (0)');
  const attempts = meter.createGauge('lifeboat_evidence_archive_attempts', 'int', 'attempts', 'Attempts at archiving the run the archiver is on; 0 when idle');
  const stuck = meter.createGauge('lifeboat_evidence_archive_stuck', 'int', 'runs', 'Whether archiving a finished run keeps failing (1) or not (0)');
  const client = new Client({ connection: options.connection, namespace: options.namespace });
  const handle = client.workflow.getHandle(options.workflowId ?? EVIDENCE_ARCHIVER_ID);

  async function poll(): Promise<void> {
    try {
      const description = await handle.describe();
      const isArchiver = description.type === EVIDENCE_ARCHIVER_TYPE && description.status.name === 'RUNNING';
      const pending = isArchiver ? (description.raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'archiveClosedRun') : undefined;
      const tries = pending?.attempt ?? 0;
      running.set(isArchiver ? 1 : 0);
      attempts.set(tries);
      stuck.set(tries > 1 && pending?.lastFailure ? 1 : 0);
    } catch (err) {
      // No archiver at all (not found) is a value, not an error: nothing is archived.
      running.set(0);
      attempts.set(0);
      stuck.set(0);
      options.onError?.(err);
    }
  }
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await poll();
    if (!stopped) timer = setTimeout(() => void loop(), options.intervalMs ?? 15_000);
  };
  void loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
