import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** How many runs of a chain verify follows back; a run continues as new only under a flood or after days. */
const MAX_CHAIN = 50;

/**
 * The histories of a run and of every run it continued from (continue-as-new), oldest first. A decision counted
 * before a run carried itself over lives in an earlier run's history, so verify reads them all.
 */
export async function fetchHistoryChain(client: Client, workflowId: string): Promise<History[]> {
  const chain: History[] = [];
  let runId: string | undefined;
  for (let i = 0; i < MAX_CHAIN; i++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    chain.unshift(history);
    const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) break;
    runId = previous;
  }
  return chain;
}

/**
 * One history made of a chain: the first run's start, then every later event of every run, renumbered so event
 * ids (and the references between them) stay unique. Later runs' starts and the continue-as-new ends are dropped:
 * they carry state, not decisions.
 */
export function joinHistoryChain(chain: History[]): History {
  if (chain.length <= 1) return chain[0] ?? { events: [] };
  const events: HistoryEvent[] = [];
  let offset = 0;
  chain.forEach((history, index) => {
    const own = history.events ?? [];
    for (const event of own) {
      if (index > 0 && event.workflowExecutionStartedEventAttributes) continue;
      if (index < chain.length - 1 && event.workflowExecutionContinuedAsNewEventAttributes) continue;
      events.push(renumbered(event, offset));
    }
    offset += own.length;
  });
  return { events };
}

function renumbered(event: HistoryEvent, offset: number): HistoryEvent {
  if (offset === 0) return event;
  // Ids are protobuf Longs; the reader only turns them into numbers, so plain numbers serve.
  const copy = { ...event, eventId: Number(event.eventId ?? 0) + offset } as unknown as HistoryEvent;
  const done = event.activityTaskCompletedEventAttributes;
  if (done) copy.activityTaskCompletedEventAttributes = { ...done, scheduledEventId: Number(done.scheduledEventId ?? 0) + offset } as unknown as typeof done;
  return copy;
}

/**
 * The histories of one chain named by its first run, oldest first, following each continue-as-new forward: a plan's
 * member is the run the plan started, which a later run under the same workflow ID (another plan's, a run by hand)
 * must not stand in for.
 */
export async function fetchHistoryChainFrom(client: Client, workflowId: string, firstRunId: string): Promise<{ chain: History[]; lastRunId: string }> {
  const chain: History[] = [];
  let lastRunId = firstRunId;
  for (let runId: string | undefined = firstRunId, i = 0; runId && i < MAX_CHAIN; i++) {
    const history: History = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    chain.push(history);
    lastRunId = runId;
    const events: HistoryEvent[] = history.events ?? [];
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId || undefined;
  }
  return { chain, lastRunId };
}
