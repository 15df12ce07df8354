import { cpus, loadavg } from 'node:os';
import { approveSignal } from '../kit';
import { replicationLag } from '../cli/orchestrator/replication-lag';
import { decisionStatement } from '../test/helpers/signing-core';
import { startReplicatedClusters, type RegionCluster, type ReplicatedClusters } from '../test/support/replicated-clusters';
import { openBenchRegions, until, workerIdentity, type BenchRegions } from './orchestrator-regions';
import type { Benchmark, BenchContext } from './section';
import { median, ms, quantile } from './stats';

/** The issue's thousand paging checks; lower with LIFEBOAT_BENCH_ORCHESTRATOR_RUNS when a machine cannot fit them. */
const LOAD_RUNS = Number(process.env.LIFEBOAT_BENCH_ORCHESTRATOR_RUNS ?? 1_000);
/** Starts in flight at once during the load, as a busy alert receiver or several operators would send them. */
const LOAD_CONCURRENCY = 20;
/** Every this-many-th run of the load is also timed until region-b holds it. */
const LOAD_PROBE_EVERY = 25;
/** How long the load may take before the bench reports how many runs finished rather than wait on. */
const LOAD_BUDGET_MS = 10 * 60_000;
const STEADY_PROBES = 10;
/** Failovers (and failbacks) timed per long-poll setting. */
const FAILOVER_SAMPLES = 3;
/** Runs started on region-a around its SIGKILL, and after how many acknowledged starts it is killed. */
const KILL_RUNS = 100;
const KILL_AFTER = 50;

/**
 * Temporal Cloud's stated objective for a namespace with High Availability, for comparison. The docs site's failover
 * page says Temporal aims to detect an outage and complete a failover within the RTO its RPO/RTO page states; the stored
 * copy of that page read here gives RPO under 1 minute and RTO under 20 minutes for a cloud
 * region outage with Multi-region or Multi-cloud Replication, for Temporal-initiated failovers in unplanned outages,
 * and not for user-initiated failovers during healthy periods such as DR drills.
 */
const cloudRto = {
  figure: 'RTO under 20 minutes, RPO under 1 minute (Cloud Region outage, Multi-region Replication)',
  sources: ['https://docs.temporal.io/cloud/high-availability/failovers.md', 'https://docs.temporal.io/cloud/rpo-rto'],
};

interface FailoverTimes {
  /** The `temporal operator namespace update --active-cluster` command itself. */
  command: number[];
  /** From the command until a run waiting at its gate, acknowledged on the new active cluster, completes there. */
  toB: number[];
  toA: number[];
  /** Samples that did not complete, each with what went wrong: reported, never dropped silently. */
  failed: string[];
}

interface Load {
  started: number;
  finished: number;
  succeeded: number;
  seconds: number;
  lagMs: number[];
  /** `lifeboat orchestrator status`'s own reading during the load (replication-lag.ts), sampled every 2 s. */
  statusLagMs: number[];
  statusEventsBehind: number[];
}

interface Loss {
  acknowledgedRuns: number;
  acknowledgedEvents: number;
  lostRuns: number;
  lostEvents: number;
  runsBehind: number;
  firstProgressMs: number;
  closedOnB: number;
  heldByB: number;
  runTwice: number;
  notifications: number;
}

/**
 * The orchestrator surviving its own region, on two real Temporal clusters replicating a global namespace
 * (test/support/replicated-clusters.ts): replication lag at rest and under a load of paging checks, how long a
 * failover takes until runs move on the other cluster with the long-poll interval the clusters use (5 s) and with
 * Temporal's default (1 minute), and what a SIGKILL of region-a loses and runs twice.
 */
export const orchestratorBenchmark: Benchmark = async (ctx) => {
  ctx.log('orchestrator: starting region-a and region-b (long poll 5s)...');
  const fast = await startReplicatedClusters('orchestrator-bench');
  let steady!: number[];
  let load!: Load;
  let fastTimes!: FailoverTimes;
  let loss!: Loss | string;
  let loadRunTwice!: number;
  try {
    const regions = await openBenchRegions(ctx, fast, `bench-orchestrator-${Date.now()}`);
    try {
      steady = await steadyLag(ctx, regions);
      load = await loadLag(ctx, regions);
      loadRunTwice = [...regions.notified.values()].filter((n) => n > 1).length;
      fastTimes = await failovers(ctx, regions, '5s');
      loss = await killRegionA(ctx, regions).catch((err: unknown) => {
        ctx.log(`orchestrator: the SIGKILL measurement failed: ${(err as Error).message}`);
        return (err as Error).message;
      });
    } finally {
      await regions.close();
    }
  } finally {
    await fast.stop();
  }
  ctx.log("orchestrator: starting region-a and region-b (Temporal's default long poll, 1m)...");
  const slow = await startReplicatedClusters('orchestrator-bench', { dynamicConfig: { 'matching.longPollExpirationInterval': '1m' } });
  let slowTimes!: FailoverTimes;
  try {
    const regions = await openBenchRegions(ctx, slow, `bench-orchestrator-${Date.now()}`);
    try {
      slowTimes = await failovers(ctx, regions, '1m');
    } finally {
      await regions.close();
    }
  } finally {
    await slow.stop();
  }
  return sections(steady, load, loadRunTwice, fastTimes, slowTimes, loss);
};

/** Time from region-a acknowledging a start until region-b's own copy holds the run. */
async function startReplicated(regions: BenchRegions, team: string): Promise<number> {
  const workflowId = await regions.startPagingCheck('region-a', team, true);
  const acknowledged = performance.now();
  if (!(await until(async () => (await regions.historyLength('region-b', workflowId)) > 0, 60_000, 10)))
    throw new Error(`${workflowId} never reached region-b`);
  return performance.now() - acknowledged;
}

async function steadyLag(ctx: BenchContext, regions: BenchRegions): Promise<number[]> {
  ctx.log(`orchestrator: replication lag at rest, ${STEADY_PROBES} runs one at a time`);
  const lags: number[] = [];
  for (let i = 0; i < STEADY_PROBES; i++) {
    lags.push(await startReplicated(regions, `steady-${i}`));
    await new Promise((r) => setTimeout(r, 200));
  }
  return lags;
}

async function loadLag(ctx: BenchContext, regions: BenchRegions): Promise<Load> {
  ctx.log(`orchestrator: ${LOAD_RUNS} paging checks (isolated drills), ${LOAD_CONCURRENCY} starts in flight, workers in both regions`);
  const a = regions.client('region-a');
  const b = regions.client('region-b');
  const statusLagMs: number[] = [];
  const statusEventsBehind: number[] = [];
  let loading = true;
  const sampler = (async () => {
    while (loading) {
      const lag = await replicationLag(regions.connection('region-a'), regions.connection('region-b'), regions.clusters.namespace).catch(() => undefined);
      if (lag) {
        statusLagMs.push(lag.lagMs);
        statusEventsBehind.push(lag.eventsBehind);
      }
      await new Promise((r) => setTimeout(r, 2_000));
    }
  })();
  const started = performance.now();
  const deadline = Date.now() + LOAD_BUDGET_MS;
  const ids: string[] = [];
  const probes: Promise<number>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: LOAD_CONCURRENCY }, async () => {
      while (next < LOAD_RUNS && Date.now() < deadline) {
        const i = next++;
        if (i % LOAD_PROBE_EVERY === 0) {
          const probe = startReplicated(regions, `load-${i}`);
          probes.push(probe);
          await probe.catch(() => undefined);
          ids.push(`paging-check/load-${i}`);
        } else ids.push(await regions.startPagingCheck('region-a', `load-${i}`, true));
      }
    }),
  );
  let finished = 0;
  let succeeded = 0;
  await Promise.all(
    ids.map(async (id) => {
      const left = deadline - Date.now();
      const result = await Promise.race([
        a.workflow.getHandle(id).result() as Promise<{ state?: string }>,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(0, left))),
      ]).catch(() => undefined);
      if (!result) return;
      finished++;
      if (result.state === 'succeeded') succeeded++;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  loading = false;
  await sampler;
  const lagMs = (await Promise.allSettled(probes)).flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
  return { started: ids.length, finished, succeeded, seconds, lagMs, statusLagMs, statusEventsBehind };
}

/**
 * Planned failovers back and forth: a paging check waits at its gate on the active cluster and has replicated; the
 * namespace is failed over; an on-call engineer's signed acknowledgement goes to the new active cluster (retried for
 * the seconds its namespace cache still names the old one); the time is until the run completes there, which needs the
 * new cluster's worker to pick up its tasks.
 */
async function failovers(ctx: BenchContext, regions: BenchRegions, longPoll: string): Promise<FailoverTimes> {
  const times: FailoverTimes = { command: [], toB: [], toA: [], failed: [] };
  for (let i = 0; i < FAILOVER_SAMPLES; i++) {
    for (const [from, to] of [
      ['region-a', 'region-b'],
      ['region-b', 'region-a'],
    ] as const) {
      ctx.log(`orchestrator: long poll ${longPoll}: failover ${i + 1} of ${FAILOVER_SAMPLES}, ${from} to ${to}`);
      try {
        const { command, progress } = await timedFailover(ctx, regions, from, to);
        times.command.push(command);
        times[to === 'region-b' ? 'toB' : 'toA'].push(progress);
      } catch (err) {
        const cause = (err as { cause?: { message?: string } }).cause?.message;
        times.failed.push(`${from} to ${to}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
        ctx.log(`orchestrator: that sample failed: ${times.failed.at(-1)}`);
        // The next sample starts from whichever cluster is active now.
        await regions.clusters.failover(to).catch(() => undefined);
      }
    }
  }
  return times;
}

async function timedFailover(ctx: BenchContext, regions: BenchRegions, from: RegionCluster, to: RegionCluster): Promise<{ command: number; progress: number }> {
  // Right after the previous failover a cluster's namespace cache may still name the other one: starts are retried.
  const id = await retried(() => regions.startPagingCheck(from, 'sre-oncall', false), 30_000);
  if (!(await until(async () => (await regions.status(from, id)).state === 'waiting-approval', 60_000, 100)))
    throw new Error(`${id} never reached its gate on ${from}`);
  const status = await regions.status(from, id);
  const gate = status.gates.find((g) => g.status === 'open')?.name ?? 'acknowledge';
  const acknowledgement = ctx.signing.keys.sign(decisionStatement(status, 'approve', 'erin', { gate }));
  const length = await regions.historyLength(from, id);
  if (!(await until(async () => (await regions.historyLength(to, id)) >= length, 60_000))) throw new Error(`${id} never replicated to ${to}`);
  // The region being left loses its worker (its cluster stays up), so only the new region's worker can move the run.
  await regions.stopWorker(from);
  try {
    const started = performance.now();
    await regions.clusters.failover(to);
    const command = performance.now() - started;
    const signal = () => regions.client(to).workflow.getHandle(id).signal(approveSignal, acknowledgement);
    if (!(await until(async () => (await signal(), true), 30_000, 250))) throw new Error(`the acknowledgement of ${id} never reached ${to}`);
    if (!(await until(() => regions.closed(to, id), 180_000, 50))) throw new Error(`${id} did not complete on ${to} within 3 minutes`);
    const progress = performance.now() - started;
    const completedBy = (await regions.client(to).workflow.getHandle(id).fetchHistory()).events
      ?.flatMap((e) => e.workflowTaskCompletedEventAttributes?.identity ?? [])
      .at(-1);
    if (completedBy !== workerIdentity(to)) throw new Error(`${id} was completed by ${completedBy ?? 'no worker'}, not ${workerIdentity(to)}`);
    return { command, progress };
  } finally {
    await regions.startWorker(from);
  }
}

/** Calls `call` until it succeeds or `timeoutMs` passes, then throws its last error. */
async function retried<T>(call: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Paging checks start on region-a one after another; after {@link KILL_AFTER} acknowledged starts its server and
 * PostgreSQL are SIGKILLed, and the namespace is failed over to region-b, whose worker finishes what it holds. Lost
 * events are those a client read from region-a (its history lengths, polled all along) that region-b never got; runs
 * twice are notifications the workers sent more than once for the same run and text.
 */
async function killRegionA(ctx: BenchContext, regions: BenchRegions): Promise<Loss> {
  ctx.log(`orchestrator: SIGKILL of region-a after ${KILL_AFTER} of ${KILL_RUNS} starts`);
  const before = new Map(regions.notified);
  const seen = new Map<string, number>();
  let killed = false;
  const watcher = (async () => {
    while (!killed) {
      await Promise.all(
        [...seen.keys()].map(async (id) => {
          const length = await regions.historyLength('region-a', id).catch(() => undefined);
          if (length !== undefined && !killed) seen.set(id, Math.max(seen.get(id) ?? 0, length));
        }),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const kill = (async () => {
    await until(async () => seen.size >= KILL_AFTER, 120_000, 10);
    killed = true;
    await regions.clusters.kill('region-a');
  })();
  for (let i = 0; i < KILL_RUNS && !killed; i++) {
    const id = await regions.startPagingCheck('region-a', `kill-${i}`, true).catch(() => undefined);
    // Acknowledged by region-a: at least its started event was written there.
    if (id && !killed) seen.set(id, Math.max(seen.get(id) ?? 0, 1));
  }
  await kill;
  await watcher;
  await regions.stopWorker('region-a');
  const onB = new Map<string, number>();
  for (const id of seen.keys()) onB.set(id, await regions.historyLength('region-b', id));
  const failoverAt = performance.now();
  await regions.clusters.failover('region-b');
  const held = [...onB].filter(([, n]) => n > 0).map(([id]) => id);
  const open = new Set<string>();
  for (const id of held) if (!(await regions.closed('region-b', id).catch(() => false))) open.add(id);
  let firstProgressMs = NaN;
  await until(
    async () => {
      for (const id of open) {
        if (await regions.closed('region-b', id).catch(() => false)) {
          open.delete(id);
          if (Number.isNaN(firstProgressMs)) firstProgressMs = performance.now() - failoverAt;
        }
      }
      return open.size === 0;
    },
    180_000,
    100,
  );
  const duplicates = [...regions.notified].filter(([key, n]) => key.startsWith('paging-check/kill-') && n > (before.get(key) ?? 0) + 1);
  let lostEvents = 0;
  let runsBehind = 0;
  for (const [id, length] of seen) {
    const missing = Math.max(0, length - (onB.get(id) ?? 0));
    lostEvents += missing;
    if (missing > 0) runsBehind++;
  }
  return {
    acknowledgedRuns: seen.size,
    acknowledgedEvents: [...seen.values()].reduce((s, n) => s + n, 0),
    lostRuns: [...onB.values()].filter((n) => n === 0).length,
    lostEvents,
    runsBehind,
    firstProgressMs,
    closedOnB: held.length - open.size,
    heldByB: held.length,
    runTwice: duplicates.length,
    notifications: [...regions.notified].filter(([key]) => key.startsWith('paging-check/kill-')).length,
  };
}

function sections(steady: number[], load: Load, loadRunTwice: number, fast: FailoverTimes, slow: FailoverTimes, lossOrError: Loss | string) {
  const spread = (values: number[]) => (values.length ? `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})` : 'n/a');
  const seconds = (values: number[]) =>
    values.length ? `${(median(values) / 1000).toFixed(1)} s (${(Math.min(...values) / 1000).toFixed(1)}–${(Math.max(...values) / 1000).toFixed(1)} s)` : 'n/a';
  const ratio = (x: number[], y: number[]) => (x.length && y.length ? `${(median(y) / median(x)).toFixed(1)}x` : '-');
  const lag = {
    title: 'Orchestrator replication: region-a to region-b (time from region-a acknowledging a start until region-b holds the run)',
    header: ['', 'runs timed', 'median (range)', 'p90'],
    rows: [
      ['at rest, one run at a time', String(steady.length), spread(steady), ms(quantile(steady, 0.9))],
      [`during ${load.started} paging checks`, String(load.lagMs.length), spread(load.lagMs), ms(quantile(load.lagMs, 0.9))],
      [
        'during the load, lifeboat orchestrator status (lag of the oldest missing event)',
        String(load.statusLagMs.length),
        spread(load.statusLagMs),
        ms(quantile(load.statusLagMs, 0.9)),
      ],
    ],
    notes: [
      `load: ${load.started} of ${LOAD_RUNS} paging checks started (isolated drills, gates approved by policy, each started as lifeboat run does, with a signed start), ${load.finished} finished (${load.succeeded} succeeded) in ${load.seconds.toFixed(1)} s (${(load.finished / load.seconds).toFixed(1)} runs/s), ${LOAD_CONCURRENCY} starts in flight, a worker in each region`,
      `during the load, orchestrator status counted at most ${Math.max(0, ...load.statusEventsBehind)} events behind on region-b (it compares up to 100 open runs)`,
      `notifications sent twice during the load (no failover): ${loadRunTwice}`,
    ],
  };
  const failover = {
    title: `Failover until runs make progress (medians and ranges of ${FAILOVER_SAMPLES} planned failovers each way)`,
    header: ['', 'longPollExpirationInterval 5s', "1m (Temporal's default)", '1m / 5s'],
    rows: [
      ['namespace update command', spread(fast.command), spread(slow.command), ratio(fast.command, slow.command)],
      ['failover to region-b: command to run completed there', seconds(fast.toB), seconds(slow.toB), ratio(fast.toB, slow.toB)],
      ['failback to region-a: command to run completed there', seconds(fast.toA), seconds(slow.toA), ratio(fast.toA, slow.toA)],
      ['Temporal Cloud, High Availability namespace (stated)', cloudRto.figure, '', ''],
    ],
    notes: [
      "each sample: a paging check waits at its gate on the active cluster and has replicated; the region being left loses its worker (its cluster stays up); the namespace is failed over with temporal operator namespace update --active-cluster (asking the new cluster); an on-call engineer's signed acknowledgement is sent to the new cluster, retried while its namespace cache still names the old one; timed until the run completes there, checked to be by the new region's worker (it takes the workflow task and runs the all-clear)",
      ...[...fast.failed.map((f) => `5s sample failed: ${f}`), ...slow.failed.map((f) => `1m sample failed: ${f}`)],
      'the 5s and 1m clusters are separate pairs started one after the other in this run, otherwise identical',
      `Temporal Cloud's figure is a target for Temporal-initiated failovers in unplanned outages, not a measurement and not for drills in healthy periods; sources: ${cloudRto.sources.join(' and ')} (the second is the RPO and RTO page the failover page links to; its figures were read from a stored copy of it)`,
    ],
  };
  if (typeof lossOrError === 'string') return [lag, failover, { title: 'SIGKILL of region-a', header: ['', ''], rows: [['failed', lossOrError]] }];
  const loss = lossOrError;
  const kill = {
    title: `SIGKILL of region-a (server and PostgreSQL) among ${loss.acknowledgedRuns} paging checks it had acknowledged, then failover to region-b`,
    header: ['', 'count'],
    rows: [
      ['runs region-a acknowledged', String(loss.acknowledgedRuns)],
      ['events region-a was seen to hold (client reads before the kill)', String(loss.acknowledgedEvents)],
      ['events region-b never got', String(loss.lostEvents)],
      ['runs short of events on region-b', String(loss.runsBehind)],
      ['runs region-b never got at all', String(loss.lostRuns)],
      ['runs region-b held / closed there after the failover', `${loss.heldByB} / ${loss.closedOnB}`],
      ['failover command to the first run closing on region-b', Number.isNaN(loss.firstProgressMs) ? 'none' : ms(loss.firstProgressMs)],
      ['notifications (page, all-clear) sent more than once', `${loss.runTwice} of ${loss.notifications}`],
    ],
    notes: [
      "events lost is a lower bound: it counts what a client read from region-a (every run's history length, polled about every 20 ms until the kill), so events written in region-a's last moments between two reads are not seen",
      'a notification sent twice is a step that ran on region-a, whose completion did not replicate, and ran again on region-b (activities are at least once across a failover); a step whose first run was lost with region-a before it was sent is not counted',
      `load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${cpus().length} cores, with two Temporal servers and two PostgreSQL clusters on the same machine`,
    ],
  };
  return [lag, failover, kill];
}
