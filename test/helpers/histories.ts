import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

/** Recorded histories that the replay tests run through the current workflow code. */
export const historiesDir = resolve(__dirname, '..', 'replay', 'histories');

/**
 * Saves a finished run's event history as `test/replay/histories/<name>.json` when `LIFEBOAT_RECORD_HISTORIES=1`,
 * and does nothing otherwise. Name it after the runbook's id (`region-failover-planned`), so the replay test can
 * check that every runbook has at least one. Record, commit, and never re-record to make a replay failure pass:
 * a failure means the change would break runs in flight (use `patched()` instead).
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.LIFEBOAT_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  mkdirSync(historiesDir, { recursive: true });
  writeFileSync(join(historiesDir, `${name}.json`), `${historyToJSON(history)}\n`);
}
