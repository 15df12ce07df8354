import type { Client } from '@temporalio/client';
import { findingsOf } from '../lib/findings/read-findings';
import type { ProbeOutcome } from './readiness-estate';

/**
 * The findings readiness probe: not ready while an audit finding of this runbook and target is open past its deadline,
 * naming each such finding. Read from the findings workflow (which restored its findings from the sealed archive when
 * it started); with no findings workflow there are no findings.
 */
export async function findingsWithinDeadline(client: Client, taskQueue: string, runbook: string, target: string): Promise<ProbeOutcome> {
  const view = await findingsOf(client, taskQueue, runbook, target);
  const open = (view?.findings ?? []).filter((f) => f.state === 'open');
  const overdue = open.filter((f) => Date.parse(f.deadline) <= Date.now());
  if (overdue.length === 0)
    return {
      ready: true,
      reason: open.length === 0 ? 'no open findings' : `${open.length} open finding(s), none past its deadline (${open.map((f) => f.id).join(', ')})`,
    };
  const named = overdue.slice(0, 3).map((f) => `${f.id} (${f.reason}: ${f.what.slice(0, 120)}) open since ${f.openedAt}, deadline ${f.deadline}`);
  return { ready: false, reason: `${overdue.length} finding(s) open past the deadline: ${named.join('; ')}${overdue.length > 3 ? '; …' : ''}` };
}
