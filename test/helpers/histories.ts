import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';

/** Recorded histories that the replay tests run through the current workflow code. */
export const historiesDir = resolve(__dirname, '..', 'replay', 'histories');

/**
 * The workflow ID each history ran under, by history name. A run checks that signed decisions name its workflow ID,
 * so it must replay under the same one.
 */
export const workflowIdsFile = join(historiesDir, 'workflow-ids.json');

export function recordedWorkflowIds(): Record<string, string> {
  return existsSync(workflowIdsFile) ? (JSON.parse(readFileSync(workflowIdsFile, 'utf8')) as Record<string, string>) : {};
}

/**
 * Whether this test process records histories (`LIFEBOAT_RECORD_HISTORIES=1`). A run's signed decisions name its
 * namespace, and the SDK's replayer always replays in `default`, so a history replays only if it was recorded there:
 * while recording, runbook suites (test/helpers/runbook-suite.ts) run in `default` instead of their own namespace.
 * Several such files in one process would then share run IDs (`region-failover/booking`), so record one file per
 * `npx vitest run` (each starts a server of its own):
 * `for f in <files>; do LIFEBOAT_RECORD_HISTORIES=1 npx vitest run $f; done`.
 */
export function recordingHistories(): boolean {
  return process.env.LIFEBOAT_RECORD_HISTORIES === '1';
}

/**
 * Saves a finished run's event history as `test/replay/histories/<name>.json` when `LIFEBOAT_RECORD_HISTORIES=1`,
 * and does nothing otherwise. Name it after the runbook's id (`region-failover-planned`), so the replay test can
 * check that every runbook has at least one. Record, commit, and never re-record to make a replay failure pass:
 * a failure means the change would break runs in flight (use `patched()` instead, see docs/production.md). The
 * histories were last recorded afresh for 1.0, whose code replays no run of 0.x.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!recordingHistories()) return;
  const file = join(historiesDir, `${name}.json`);
  // A recorded history stands for runs in flight made by older code: it is kept, never replaced.
  if (existsSync(file)) return;
  const history = await handle.fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(file, `${historyToJSON(history)}\n`);
  const ids = { ...recordedWorkflowIds(), [name]: handle.workflowId };
  writeFileSync(workflowIdsFile, `${JSON.stringify(Object.fromEntries(Object.entries(ids).sort()), null, 2)}\n`);
}

/** A recorded history as the replay tests feed it to the replayer. */
export interface RecordedHistory {
  name: string;
  workflowId: string;
  /** The task queue the run ran on, which it must replay on (see {@link replayRecorded}). */
  taskQueue: string;
  /** Whether a worker whose bundle carries the tracing interceptors recorded it (the `otel-tracing` marker). */
  traced: boolean;
  history: History;
}

/** Every history in test/replay/histories, by name. */
export function loadRecordedHistories(): RecordedHistory[] {
  const ids = recordedWorkflowIds();
  return readdirSync(historiesDir)
    .filter((f) => f.endsWith('.json') && f !== basename(workflowIdsFile))
    .sort()
    .map((file) => {
      const name = file.replace(/\.json$/, '');
      const history = historyFromJSON(JSON.parse(readFileSync(join(historiesDir, file), 'utf8')));
      const events = history.events ?? [];
      const taskQueue = events[0]?.workflowExecutionStartedEventAttributes?.taskQueue?.name ?? '';
      const workflowId = ids[name];
      if (!workflowId || !taskQueue) throw new Error(`${file}: no workflow ID in ${basename(workflowIdsFile)}, or no task queue in its start event`);
      return { name, workflowId, taskQueue, traced: events.some((e) => patchOf(e) === 'otel-tracing'), history };
    });
}

/** The patch a marker event records: core writes its id under `patch_id`, or as JSON `{ id }` under `patch_data`. */
function patchOf(event: NonNullable<History['events']>[number]): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  for (const [key, payloads] of Object.entries(marker.details ?? {})) {
    const data = payloads.payloads?.[0]?.data;
    if (!data) continue;
    const text = new TextDecoder().decode(data);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'string') return parsed;
      if (typeof (parsed as { id?: unknown }).id === 'string') return (parsed as { id: string }).id;
    } catch {
      if (key === 'patch_id') return text;
    }
  }
  return undefined;
}

/**
 * Replays histories through a bundle and returns what failed. The replayer makes up a task queue of its own, but a run
 * compares the task queue of the run it continued from (or of its parent) with its own, as it does on the workers
 * of its task queue, so each history is replayed on the queue it ran on: the SDK takes a `taskQueue` given with the
 * replay options over its own (its type leaves the field out, hence the cast).
 */
export async function replayRecorded(
  options: Omit<ReplayWorkerOptions, 'replayName'>,
  histories: readonly RecordedHistory[],
): Promise<{ replayed: number; failures: string[] }> {
  const failures: string[] = [];
  let replayed = 0;
  for (const taskQueue of [...new Set(histories.map((h) => h.taskQueue))]) {
    const group = histories.filter((h) => h.taskQueue === taskQueue).map(({ workflowId, history }) => ({ workflowId, history }));
    for await (const result of Worker.runReplayHistories({ ...options, replayName: 'lifeboat-replay', taskQueue } as ReplayWorkerOptions, group)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
  }
  return { replayed, failures };
}
