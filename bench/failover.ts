import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { breakRegion } from '../estate/estate';
import { countLostBookings, startLoad, writeCounters } from '../estate/load';
import { estateLayout } from '../estate/state-dir';
import type { TestEstate } from '../estate/testing';
import { runYardstick } from '../dev/estate/yardstick';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { approveUpdate, statusQuery, type RunResult } from '../kit';
import type { SwitchResult } from '../workflows/region-switch-facts';
import { until, withEstate } from './estate-run';
import type { Benchmark, BenchContext, BenchSection } from './section';

/** One failover as the load saw it and as the run measured it. */
interface Sample {
  downtimeMs: number;
  /** From approval to verified traffic in the target region; null for the manual yardstick, which has no approval. */
  rtoFromApprovalSeconds: number | null;
  lost: number;
  acknowledged: number;
}

const WARMUP = 40;
const RECOVERY = 20;
const RATE = 25;

/**
 * The runbook under the same load as the yardstick: the gate approved by two leads as soon as it opens (the mechanics,
 * not a person's reaction time), the verify window at zero so the RTO ends at the first verified booking through the load balancer.
 */
async function runbookFailover(
  ctx: BenchContext,
  client: Client,
  native: NativeConnection,
  estate: TestEstate,
  mode: 'planned' | 'emergency',
): Promise<Sample> {
  const taskQueue = `bench-failover-${mode}-${Date.now()}`;
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: { codePath: ctx.bundlePath },
    activities: createActivities({
      rosterPath: ctx.signing.rosterPath,
      notify: { log: () => undefined },
      targetsPath: join(estate.dir, 'lifeboat.targets.json'),
    }),
  });
  const layout = estateLayout(estate.dir);
  const load = startLoad({ url: estate.catalog.loadBalancer!.clientUrl, ratePerSecond: RATE, countersFile: layout.loadCounters, ackedFile: layout.loadAcked });
  try {
    return await worker.runUntil(async () => {
      await until('warm-up bookings', () => load.counters().successes >= WARMUP);
      if (mode === 'emergency') await breakRegion(estate.dir, 'A');
      // A real run (a live drill would also fail back), approved by two leads the moment the gate opens.
      const handle = await client.workflow.start('regionFailover', {
        taskQueue,
        workflowId: `region-failover/booking`,
        args: [{ input: { service: 'booking', mode, verifyWindowSeconds: 0, detectedAt: new Date().toISOString() }, requestedBy: 'alice' }],
      });
      while ((await handle.query(statusQuery).catch(() => undefined))?.state !== 'waiting-approval') await new Promise((r) => setTimeout(r, 20));
      for (const by of ['bob', 'carol']) await handle.executeUpdate(approveUpdate, { args: [{ by }] });
      const result = (await handle.result()) as RunResult<SwitchResult>;
      if (result.state !== 'succeeded') throw new Error(`${mode} failover ended ${result.state}: ${result.outcome}`);
      const atSwitch = load.counters().successes;
      await until('bookings after the failover', () => load.counters().successes >= atSwitch + RECOVERY);
      const counters = await load.stop();
      const lost = await countLostBookings(estate.catalog.loadBalancer!.clientUrl, load.acknowledgedKeys());
      writeCounters(layout.loadCounters, { ...counters, lost });
      return {
        downtimeMs: counters.downtimeMs,
        rtoFromApprovalSeconds: result.output!.rto.fromApprovalSeconds,
        lost: lost.lost,
        acknowledged: counters.successes,
      };
    });
  } finally {
    await load.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Downtime seen by `estate load` and RTO from approval to verified traffic, for a planned and an emergency failover
 * run by the runbook, side by side with the manual yardstick (the same promote and switch by hand through the
 * adapters). Each round uses fresh estates; medians are shown. `BENCH_FAILOVER_ROUNDS` sets the rounds (default 3).
 */
export const failoverBenchmark: Benchmark = async (ctx) => {
  const rounds = Number(process.env.BENCH_FAILOVER_ROUNDS ?? 3);
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  await ensureSearchAttributes(native, 'default');
  const client = ctx.signing.client(connection);
  const samples: Record<'manual' | 'planned' | 'emergency', Sample[]> = { manual: [], planned: [], emergency: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      const y = await withEstate((estate) =>
        runYardstick({ catalog: estate.catalog, warmupBookings: WARMUP, recoveryBookings: RECOVERY, ratePerSecond: RATE }),
      );
      samples.manual.push({ downtimeMs: y.downtimeMs, rtoFromApprovalSeconds: null, lost: y.lost, acknowledged: y.acknowledged });
      for (const mode of ['planned', 'emergency'] as const) {
        samples[mode].push(await withEstate((estate) => runbookFailover(ctx, client, native, estate, mode)));
      }
      ctx.log(
        `failover round ${round}/${rounds}: manual ${samples.manual.at(-1)!.downtimeMs} ms, planned ${samples.planned.at(-1)!.downtimeMs} ms, emergency ${samples.emergency.at(-1)!.downtimeMs} ms of downtime`,
      );
    }
  } finally {
    await connection.close();
    await native.close();
  }
  const manualDowntime = median(samples.manual.map((s) => s.downtimeMs));
  const row = (label: string, s: Sample[]): string[] => {
    const downtime = median(s.map((x) => x.downtimeMs));
    const rto = s[0]!.rtoFromApprovalSeconds === null ? '-' : median(s.map((x) => x.rtoFromApprovalSeconds!)).toFixed(2);
    return [
      label,
      String(downtime),
      rto,
      String(s.reduce((n, x) => n + x.lost, 0)),
      String(s.reduce((n, x) => n + x.acknowledged, 0)),
      (downtime / manualDowntime).toFixed(3),
    ];
  };
  const emergencyRatio = median(samples.emergency.map((s) => s.downtimeMs)) / manualDowntime;
  const plannedLost = samples.planned.reduce((n, x) => n + x.lost, 0);
  const section: BenchSection = {
    title: `Region failover: downtime and RTO, runbook vs. the manual yardstick (median of ${rounds} round(s), ${RATE} bookings/s)`,
    header: ['failover', 'downtime seen by load (ms)', 'RTO approval→verified (s)', 'lost bookings', 'acknowledged', 'downtime / manual'],
    rows: [
      row('manual yardstick (emergency, by hand)', samples.manual),
      row('runbook, planned', samples.planned),
      row('runbook, emergency', samples.emergency),
    ],
    notes: [
      `emergency runbook downtime is ${emergencyRatio.toFixed(3)}x the manual yardstick's: ${emergencyRatio <= 1.05 ? 'within' : 'OVER'} the target of adding under 5%`,
      `planned failover RPO: ${plannedLost} acknowledged bookings lost over ${rounds} round(s): ${plannedLost === 0 ? 'meets' : 'MISSES'} the target of RPO 0`,
    ],
  };
  return section;
};
