import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/** Recorded histories that the replay tests run through the current workflow code. */
export const historiesDir = resolve(__dirname, '..', 'replay', 'histories');

/**
 * The workflow ID each history ran under, by history name. A run checks that signed decisions name its workflow ID,
 * so it must replay under the same one; histories missing here predate that and replay under their file name.
 */
export const workflowIdsFile = join(historiesDir, 'workflow-ids.json');

export function recordedWorkflowIds(): Record<string, string> {
  return existsSync(workflowIdsFile) ? (JSON.parse(readFileSync(workflowIdsFile, 'utf8')) as Record<string, string>) : {};
}

/**
 * Saves a finished run's event history as `test/replay/histories/<name>.json` when `LIFEBOAT_RECORD_HISTORIES=1`,
 * and does nothing otherwise. Name it after the runbook's id (`region-failover-planned`), so the replay test can
 * check that every runbook has at least one. Record, commit, and never re-record to make a replay failure pass:
 * a failure means the change would break runs in flight (use `patched()` instead).
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.LIFEBOAT_RECORD_HISTORIES !== '1') return;
  const file = join(historiesDir, `${name}.json`);
  // A recorded history stands for runs in flight made by older code: it is kept, never replaced.
  if (existsSync(file)) return;
  const history = await handle.fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(file, `${historyToJSON(history)}\n`);
  const ids = { ...recordedWorkflowIds(), [name]: handle.workflowId };
  writeFileSync(workflowIdsFile, `${JSON.stringify(Object.fromEntries(Object.entries(ids).sort()), null, 2)}\n`);
}
