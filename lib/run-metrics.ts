import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Runtime, type NativeConnection } from '@temporalio/worker';
import { statusQuery } from '../kit';
import { runbookAttribute, stateAttribute } from '../kit/trust';
import { readinessGauges } from './readiness-metrics';

/** How long a status query for the hands-on gauge may take. */
const QUERY_DEADLINE_MS = 5_000;

/** States a run records when it ends itself. */
const finalStates = new Set(['succeeded', 'failed', 'aborted']);

/** Runbooks whose status carries a hands-on checklist (`details.handsOn.open`). */
const handsOnRunbooks = new Set(['isolate-vendor-module']);

interface Options {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  dataConverter?: DataConverter;
  /** How often visibility is read; default 15 s. */
  intervalMs?: number;
  /** How far back runs Temporal terminated or timed out are counted (`state="terminated"`, `"timed-out"`); default 24 h. */
  endedWithinMs?: number;
  /** Told of a failed poll (the gauges keep their last values). */
  onError?: (err: unknown) => void;
}

/**
 * Publishes what is open now, read from Temporal's visibility rather than counted in the runs: a run's own counters
 * start again with each worker, but a run waiting for an operator since last week must still show on a new worker.
 * Gauges, on the worker's Prometheus endpoint:
 * - `lifeboat_runs{runbook,state}`: open runs on this task queue by runbook and state (the search attributes), and
 *   runs Temporal ended within the last day without the run recording an end (`state="terminated"` or `"timed-out"`):
 *   their undos never ran, so the estate they touched may be half-way;
 * - `lifeboat_interventions_open{runbook}`: those in `needs-intervention`;
 * - `lifeboat_hands_on_hosts_open{runbook}`: hosts still waiting for hands-on repair (a status query per such run).
 * Every worker of a task queue reports the same numbers: aggregate with `max`, not `sum`. Returns a stopper.
 */
export function publishRunMetrics(options: Options): () => Promise<void> {
  const meter = Runtime.instance().metricMeter;
  const runs = meter.createGauge('lifeboat_runs', 'int', 'runs', 'Open runs by runbook and state, and runs Temporal terminated or timed out (from visibility)');
  const interventions = meter.createGauge('lifeboat_interventions_open', 'int', 'runs', 'Runs waiting for an operator to retry, skip or abort');
  const handsOn = meter.createGauge('lifeboat_hands_on_hosts_open', 'int', 'hosts', 'Hosts waiting for hands-on repair in open runs');
  const client = new Client({
    connection: options.connection,
    namespace: options.namespace,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
  /** Each listed run's open hands-on hosts as last read, kept for a poll whose query gets no answer. */
  let lastOpen = new Map<string, number>();
  /**
   * A run's open hands-on hosts, by status query. A query waits for a worker to answer; a run that just ended (its
   * visibility record not yet closed) or whose workers are all gone would hold up every gauge, so the query gets a few
   * seconds, and a run that does not answer in time counts what it last answered.
   */
  const handsOnOpen = async (workflowId: string, runId: string, seenNow: Map<string, number>): Promise<number> => {
    let open = lastOpen.get(runId) ?? 0;
    try {
      const status = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId, runId).query(statusQuery));
      open = (status.details.handsOn as { open?: number } | undefined)?.open ?? 0;
    } catch (err) {
      options.onError?.(err);
    }
    seenNow.set(runId, open);
    return open;
  };
  const readiness = readinessGauges(meter, client, options.taskQueue);
  /** Label sets reported before, so one that empties goes back to zero instead of keeping its last value. */
  const seen = { runs: new Set<string>(), runbooks: new Set<string>() };

  async function poll(): Promise<void> {
    const byState = new Map<string, number>();
    const needingOperator = new Map<string, number>();
    const hosts = new Map<string, number>();
    const openNow = new Map<string, number>();
    const query = `TaskQueue = '${options.taskQueue.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running'`;
    for await (const run of client.workflow.list({ query })) {
      const runbook = run.typedSearchAttributes.get(runbookAttribute);
      const state = run.typedSearchAttributes.get(stateAttribute);
      if (!runbook || !state) continue;
      byState.set(JSON.stringify([runbook, state]), (byState.get(JSON.stringify([runbook, state])) ?? 0) + 1);
      if (state === 'needs-intervention') needingOperator.set(runbook, (needingOperator.get(runbook) ?? 0) + 1);
      if (handsOnRunbooks.has(runbook)) hosts.set(runbook, (hosts.get(runbook) ?? 0) + (await handsOnOpen(run.workflowId, run.runId, openNow)));
    }
    lastOpen = openNow;
    await countEndedByTemporal(byState);
    for (const key of new Set([...seen.runs, ...byState.keys()])) {
      const [runbook, state] = JSON.parse(key) as [string, string];
      runs.set(byState.get(key) ?? 0, { runbook, state });
      seen.runs.add(key);
    }
    for (const key of byState.keys()) seen.runbooks.add((JSON.parse(key) as [string])[0]);
    for (const runbook of seen.runbooks) {
      interventions.set(needingOperator.get(runbook) ?? 0, { runbook });
      if (handsOnRunbooks.has(runbook)) handsOn.set(hosts.get(runbook) ?? 0, { runbook });
    }
  }

  /**
   * Runs Temporal terminated or timed out within `endedWithinMs`, by runbook, into `byState`. One whose last state was
   * already final (it had ended itself) is not counted: only runs that stopped half-way, with no undo run.
   */
  async function countEndedByTemporal(byState: Map<string, number>): Promise<void> {
    const since = new Date(Date.now() - (options.endedWithinMs ?? 24 * 3_600_000)).toISOString();
    const query = `TaskQueue = '${options.taskQueue.replace(/'/g, "\\'")}' AND ExecutionStatus IN ('Terminated', 'TimedOut') AND CloseTime > '${since}'`;
    for await (const run of client.workflow.list({ query })) {
      const runbook = run.typedSearchAttributes.get(runbookAttribute);
      const last = run.typedSearchAttributes.get(stateAttribute);
      if (!runbook || (last && finalStates.has(last))) continue;
      const key = JSON.stringify([runbook, run.status.name === 'TERMINATED' ? 'terminated' : 'timed-out']);
      byState.set(key, (byState.get(key) ?? 0) + 1);
    }
  }

  let stopped = false;
  let busy = false;
  let current: Promise<void> = Promise.resolve();
  // A poll slower than the interval is not overlapped by the next.
  const tick = () => {
    if (stopped || busy) return;
    busy = true;
    // The readiness gauges are read apart from the runs, so a failure of one leaves the other current; the readiness
    // ages are set even when Temporal cannot be read, so a stale evaluation shows as one.
    const readinessNow = readiness
      .refresh()
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => readiness.publishAges());
    current = Promise.all([poll().catch((err: unknown) => options.onError?.(err)), readinessNow])
      .then(() => undefined)
      .finally(() => {
        busy = false;
      });
  };
  tick();
  const timer = setInterval(tick, options.intervalMs ?? 15_000);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await current;
  };
}
