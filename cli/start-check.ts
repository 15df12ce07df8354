import type { Client } from '@temporalio/client';
import { statusQuery, type RunStatus } from '../kit';
import { runHandle } from './runs';

/** How long `lifeboat run` waits for a worker to check a new run's start (loading the roster, claiming the start). */
export const START_CHECK_WAIT_MS = 20_000;

/** The longest one status query may wait, so that a slow answer still leaves time to ask again. */
const QUERY_DEADLINE_MS = 5_000;

/** The pause between queries while the start is being checked. */
const POLL_INTERVAL_MS = 250;

/**
 * What a worker said of a new run's start: `accepted` once the run answers its status query (a run registers it only
 * after every start check passed), `refused` when the run failed them (it then answers as failed, with a
 * `start-refused` audit entry and the reason), and `unchecked` when no worker answered in time.
 */
export type StartCheck = { outcome: 'accepted'; status: RunStatus } | { outcome: 'refused'; reason: string; status: RunStatus } | { outcome: 'unchecked' };

/**
 * Asks the run for its status until a worker has checked its start, or `waitMs` has passed. Until then the query
 * fails (no handler yet, the first workflow task not done, no worker polling), which only means "ask again".
 */
export async function awaitStartCheck(client: Client, runId: string, waitMs = START_CHECK_WAIT_MS): Promise<StartCheck> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return { outcome: 'unchecked' };
    const status = await client
      .withDeadline(Date.now() + Math.min(left, QUERY_DEADLINE_MS), () => runHandle(client, runId).query(statusQuery))
      .catch(() => undefined);
    if (isStatus(status)) {
      const refusal = status.audit.find((entry) => entry.action === 'start-refused');
      if (status.state === 'failed' && refusal) return { outcome: 'refused', reason: refusal.detail ?? status.outcome ?? 'no reason given', status };
      return { outcome: 'accepted', status };
    }
    await new Promise((done) => setTimeout(done, Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now()))));
  }
}

function isStatus(value: unknown): value is RunStatus {
  const status = value as Partial<RunStatus> | null | undefined;
  return typeof status === 'object' && status !== null && typeof status.state === 'string' && Array.isArray(status.audit);
}
