import { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { createActivities } from '../activities';
import { startClusterServer } from '../test/support/cluster-server';
import type { RunResult } from '../kit';
import { measure as measureFleet, type Measured } from './fleet-scale';
import type { Benchmark, BenchContext } from './section';

/** Sizes for a 2-core machine; raise them with LIFEBOAT_BENCH_HOSTS=100000 LIFEBOAT_BENCH_RUNS=1000. */
const HOSTS = Number(process.env.LIFEBOAT_BENCH_HOSTS ?? 20_000);
const RUNS = Number(process.env.LIFEBOAT_BENCH_RUNS ?? 200);
/** Histories read back per measurement to count workflow tasks and sticky-cache misses. */
const SAMPLED = 50;

const HISTORY_EVENT_LIMIT = 51_200;
const HISTORY_BYTES_LIMIT = 50 * 1024 * 1024;

interface Concurrent {
  runsPerSecond: number;
  rssPerRunKiB: number;
  maxCachedWorkflows: number;
  peakCached: number;
  tasksPerRun: number;
  /** Workflow tasks after a run's first that went to the normal queue: the worker no longer had the run cached. */
  cacheMissesPerRun: number;
}

/**
 * `runs` isolated paging-check drills whose gates the drill policy approves, started at once on `workers` workers of
 * this process, until all finish: throughput, resident memory per run, and what the histories show of the sticky cache.
 */
async function concurrentRuns(ctx: BenchContext, address: string, runs: number, workers: number): Promise<Concurrent> {
  const connection = await Connection.connect({ address });
  const natives = await Promise.all(Array.from({ length: workers }, () => NativeConnection.connect({ address })));
  const taskQueue = `bench-scale-${workers}w-${Date.now()}`;
  const activities = createActivities({
    rosterPath: ctx.signing.rosterPath,
    notify: { log: () => undefined },
    targetsPath: '/nonexistent/lifeboat.targets.json',
  });
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const pool = await Promise.all(
    natives.map((native) => Worker.create({ connection: native, taskQueue, workflowBundle: { codePath: ctx.bundlePath }, activities })),
  );
  const running = pool.map((w) => w.run());
  let peakRss = rssBefore;
  let peakCached = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    peakCached = Math.max(
      peakCached,
      pool.reduce((n, w) => n + w.getStatus().numCachedWorkflows, 0),
    );
  }, 100);
  try {
    const client = ctx.signing.client(connection);
    const started = performance.now();
    const handles = await Promise.all(
      Array.from({ length: runs }, (_, i) =>
        client.workflow.start('pagingCheck', {
          taskQueue,
          workflowId: `paging-check/${taskQueue}-${i}`,
          args: [{ input: { team: `${taskQueue}-${i}` }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
        }),
      ),
    );
    const results = (await Promise.all(handles.map((h) => h.result()))) as RunResult[];
    const seconds = (performance.now() - started) / 1000;
    const failed = results.filter((r) => r.state !== 'succeeded');
    if (failed.length) throw new Error(`${failed.length} of ${runs} paging-check drills ended ${failed[0]!.state}`);
    let tasks = 0;
    let misses = 0;
    const sample = handles.filter((_, i) => i % Math.max(1, Math.floor(runs / SAMPLED)) === 0).slice(0, SAMPLED);
    for (const h of sample) {
      const scheduled = ((await h.fetchHistory()).events ?? []).filter((e) => e.workflowTaskScheduledEventAttributes);
      tasks += scheduled.length;
      misses += scheduled
        .slice(1)
        .filter((e) => e.workflowTaskScheduledEventAttributes!.taskQueue?.kind !== temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY).length;
    }
    return {
      runsPerSecond: runs / seconds,
      rssPerRunKiB: Math.max(0, peakRss - rssBefore) / 1024 / runs,
      maxCachedWorkflows: pool.reduce((n, w) => n + w.options.maxCachedWorkflows, 0),
      peakCached,
      tasksPerRun: tasks / sample.length,
      cacheMissesPerRun: misses / sample.length,
    };
  } finally {
    clearInterval(sampler);
    for (const w of pool) w.shutdown();
    await Promise.all(running);
    await Promise.all(natives.map((n) => n.close()));
    await connection.close();
  }
}

interface ServerFigures {
  fleet: Measured;
  /** The same fleet run with the repairs reported as lists (`lifeboat task done --hosts-file`). */
  lists: Measured;
  one: Concurrent;
  two: Concurrent;
}

async function onServer(ctx: BenchContext, name: string, address: string): Promise<ServerFigures> {
  const at = { ...ctx, address };
  ctx.log(`scale: ${name}: isolate-vendor-module on ${HOSTS} hosts`);
  const fleet = await measureFleet(at, HOSTS);
  ctx.log(`scale: ${name}: the same, repairs reported as lists`);
  const lists = await measureFleet(at, HOSTS, 'list');
  ctx.log(`scale: ${name}: ${RUNS} concurrent paging-check drills on one worker`);
  const one = await concurrentRuns(at, address, RUNS, 1);
  ctx.log(`scale: ${name}: ${RUNS} concurrent paging-check drills on two workers`);
  const two = await concurrentRuns(at, address, RUNS, 2);
  return { fleet, lists, one, two };
}

/**
 * The scale targets of issue 15 on the dev server and on the real server (PostgreSQL) side by side: one
 * isolate-vendor-module run on a large fleet, then many cheap runs at once on one worker and on two.
 */
export const scaleBenchmark: Benchmark = async (ctx) => {
  ctx.log('scale: starting the real Temporal server on PostgreSQL...');
  const cluster = await startClusterServer();
  let dev: ServerFigures;
  let real: ServerFigures;
  try {
    dev = await onServer(ctx, 'dev server', ctx.address);
    real = await onServer(ctx, 'real server', cluster.address);
  } finally {
    await cluster.stop();
  }
  const s = (v: number) => `${v.toFixed(1)} s`;
  const pct = (v: number, limit: number) => `${((v / limit) * 100).toFixed(2)}%`;
  const rows: [string, (f: ServerFigures) => number, (v: number) => string][] = [
    ['fleet run: hosts', (f) => f.fleet.hosts, String],
    ['fleet run: affected hosts', (f) => f.fleet.affected, String],
    ['fleet run: hands-on repairs signed', (f) => f.fleet.handsOn, String],
    ['fleet run: wall time', (f) => f.fleet.wallSeconds, s],
    ['fleet run: contained after', (f) => f.fleet.containedAfterSeconds, s],
    ['fleet run: history events', (f) => f.fleet.events, String],
    ['fleet run: % of 51,200-event limit', (f) => f.fleet.events, (v) => pct(v, HISTORY_EVENT_LIMIT)],
    ['fleet run: history size', (f) => f.fleet.bytes, (v) => `${(v / 1024).toFixed(0)} KiB`],
    ['fleet run: % of 50 MiB size limit', (f) => f.fleet.bytes, (v) => pct(v, HISTORY_BYTES_LIMIT)],
    ['fleet run, repairs as lists: hands-on repairs', (f) => f.lists.handsOn, String],
    ['fleet run, repairs as lists: wall time', (f) => f.lists.wallSeconds, s],
    ['fleet run, repairs as lists: history events', (f) => f.lists.events, String],
    ['fleet run, repairs as lists: % of 51,200-event limit', (f) => f.lists.events, (v) => pct(v, HISTORY_EVENT_LIMIT)],
    ['fleet run, repairs as lists: history size', (f) => f.lists.bytes, (v) => `${(v / 1024).toFixed(0)} KiB`],
    ['lists / one decision per host: events', (f) => f.lists.events / f.fleet.events, (v) => `${v.toFixed(2)}x`],
    ['lists / one decision per host: wall time', (f) => f.lists.wallSeconds / f.fleet.wallSeconds, (v) => `${v.toFixed(2)}x`],
    ...(
      [
        ['1 worker', (f: ServerFigures) => f.one],
        ['2 workers', (f: ServerFigures) => f.two],
      ] as const
    ).flatMap(([label, of]): [string, (f: ServerFigures) => number, (v: number) => string][] => [
      [`${RUNS} drills, ${label}: throughput`, (f) => of(f).runsPerSecond, (v) => `${v.toFixed(1)} runs/s`],
      [`${RUNS} drills, ${label}: RSS growth per run`, (f) => of(f).rssPerRunKiB, (v) => `${v.toFixed(0)} KiB`],
      [`${RUNS} drills, ${label}: maxCachedWorkflows (all workers)`, (f) => of(f).maxCachedWorkflows, String],
      [`${RUNS} drills, ${label}: peak cached runs`, (f) => of(f).peakCached, String],
      [`${RUNS} drills, ${label}: workflow tasks per run`, (f) => of(f).tasksPerRun, (v) => v.toFixed(1)],
      [`${RUNS} drills, ${label}: sticky-cache misses per run`, (f) => of(f).cacheMissesPerRun, (v) => v.toFixed(2)],
    ]),
  ];
  return {
    title: `Scale: isolate-vendor-module on ${HOSTS} hosts, ${RUNS} concurrent paging-check drills (dev server vs real server on PostgreSQL)`,
    header: ['measure', 'dev server', 'real server', 'real / dev'],
    rows: rows.map(([label, get, show]) => [label, show(get(dev)), show(get(real)), get(dev) ? `${(get(real) / get(dev)).toFixed(2)}x` : '-']),
    notes: [
      'fleet run: crash rate 0.3, default wave plan; an approver signs the gate at once and a technician signs each hands-on repair in turn (sequential signals dominate the wall time); then the same with the repairs reported as lists of about 150 hosts a signed decision',
      `drills: isolated paging-check drills approved by the drill policy, all started at once; RSS growth is the bench process's peak over its level with the workers started and idle, divided by the runs (workers share the process); a sticky-cache miss is a workflow task after the first scheduled on the normal queue (the worker had evicted the run), read from ${SAMPLED} sampled histories`,
      'scale up with LIFEBOAT_BENCH_HOSTS and LIFEBOAT_BENCH_RUNS',
    ],
  };
};
