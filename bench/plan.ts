import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { evacuateRegion } from '../plans/evacuate-region';
import { bundleWithBenchPlans } from './plan-bundle';
import { inPlanSeconds, measureEvacuation, type EvacuationFigures, type EvacuationMode } from './plan-estate';
import { measureSyntheticPlan, medianRto, type SyntheticFigures } from './plan-synthetic';
import type { Benchmark, BenchSection } from './section';
import { memberSeconds, startLagsMs } from './plan-runs';
import { median } from './stats';
import { SYNTHETIC_DEPTH } from './synthetic-plan';

/** `npm run bench -- plan --quick`: the planned evacuation only, and a synthetic plan of 10 services instead of 50. */
const quick = process.argv.includes('--quick');
const SYNTHETIC = { size: quick ? 10 : 50, delayMs: 200, planRuns: 6 };
const MODES: EvacuationMode[] = quick ? ['planned'] : ['planned', 'emergency'];

const s = (seconds: number) => seconds.toFixed(1);
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/**
 * Recovery plans (issue 23), measured side by side in one run: the airline's evacuation as one plan against its members
 * run alone (its critical path, and all of them one after another), a synthetic plan of many services against its
 * critical path with its history sizes and the worker's memory, the signatures each way, and the plan's RTO forecast
 * against the RTO each run then took. The plans run from a bundle of their own (bench/plan-bundle.ts), whose catalog
 * also holds the synthetic plans.
 */
export const planBenchmark: Benchmark = async (ctx) => {
  const code = await bundleWithBenchPlans(ctx.log);
  const bundlePath = join(ctx.bundlePath, '..', 'plan-workflows.js');
  writeFileSync(bundlePath, code);
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  // The forecast finds members' past runs by their Lifeboat search attributes.
  await ensureSearchAttributes(native, 'default');
  const clients = { client: ctx.signing.client(connection), native, bundlePath };
  let synthetic: SyntheticFigures;
  const evacuations: EvacuationFigures[] = [];
  try {
    // The synthetic plan first, so the worker's memory is read before the estates' runs add to this process's heap.
    synthetic = await measureSyntheticPlan(ctx, clients, SYNTHETIC);
    for (const mode of MODES) evacuations.push(await measureEvacuation(ctx, clients, mode));
  } finally {
    await connection.close();
    await native.close();
  }
  return [
    evacuationSection(evacuations),
    membersSection(evacuations),
    syntheticSection(synthetic),
    signaturesSection(evacuations, synthetic),
    forecastSection(synthetic),
  ];
};

function evacuationSection(evacuations: EvacuationFigures[]): BenchSection {
  const sumAlone = (e: EvacuationFigures) => Object.values(e.alone).reduce((n, x) => n + x, 0);
  return {
    title: 'Recovery plans: evacuating region A of the airline estate as one plan, against its members run alone (fresh estates)',
    header: [
      'evacuation',
      'plan RTO, approval → last member (s)',
      'critical path alone (s)',
      'plan / critical path',
      'members one after another (s)',
      'plan / one after another',
    ],
    rows: evacuations.map((e) => [
      e.mode,
      s(e.plan.rtoFromApprovalSeconds),
      s(e.critical.seconds),
      ratio(e.plan.rtoFromApprovalSeconds, e.critical.seconds),
      s(sumAlone(e)),
      ratio(e.plan.rtoFromApprovalSeconds, sumAlone(e)),
    ]),
    notes: [
      ...evacuations.map((e) => {
        const r = e.plan.rtoFromApprovalSeconds / e.critical.seconds;
        return `${e.mode}: critical path ${e.critical.members.join(' → ')} (each member's work alone, its wait for approvers left out); the plan takes ${r.toFixed(2)}x it: ${r <= 1.1 ? 'within' : 'OVER'} the aim of at most 1.10x`;
      }),
      'each member alone is a plain region-failover with the input the plan gives it (the same verify window), approved by two leads as its gate opens',
    ],
  };
}

function membersSection(evacuations: EvacuationFigures[]): BenchSection {
  const names = Object.keys(evacuateRegion.members);
  return {
    title: "Recovery plans: each member's time inside the plan (start → end) and alone (work)",
    header: ['member', 'after', ...evacuations.flatMap((e) => [`${e.mode}: in plan (s)`, `${e.mode}: alone (s)`])],
    rows: names.map((name) => [
      name,
      evacuateRegion.members[name]!.after?.join(', ') ?? '-',
      ...evacuations.flatMap((e) => [s(inPlanSeconds(e.plan)[name] ?? NaN), s(e.alone[name] ?? NaN)]),
    ]),
    notes: [
      "in plan: the member run from its start by the plan to its end, its gates standing on the plan's approval; crew runs beside booking and check-in",
      ...evacuations.map((e) => {
        const lags = startLagsMs(e.plan.result.output ?? {});
        return `${e.mode}: a member started ${median(lags).toFixed(0)} ms (median; max ${Math.max(...lags).toFixed(0)} ms) after the last member it waits for ended`;
      }),
    ],
  };
}

function syntheticSection(f: SyntheticFigures): BenchSection {
  const chain = f.chainAlone.reduce((n, c) => n + c.seconds, 0);
  const rto = medianRto(f);
  const wall = median(f.runs.map((r) => r.wallSeconds));
  const views = f.runs.flatMap((r) => Object.values(r.run.result.output ?? {}));
  const lags = f.runs.flatMap((r) => startLagsMs(r.run.result.output ?? {}));
  return {
    title: `Recovery plans: a synthetic plan of ${f.size} stateless command-provider services, ${SYNTHETIC_DEPTH} levels deep (each operation sleeps ${f.delayMs} ms; median of ${f.runs.length} runs)`,
    header: [
      'plan RTO, approval → last member (s)',
      'wall time, start → result (s)',
      'critical path alone (s)',
      'RTO / critical path',
      'history events: plan',
      'history events: largest member',
      'worker RSS MiB: before → peak',
    ],
    rows: [
      [
        s(rto),
        s(wall),
        s(chain),
        ratio(rto, chain),
        String(f.planEvents),
        `${f.largestMember.events} (${f.largestMember.member})`,
        `${f.rssMiB.before} → ${f.rssMiB.peak}`,
      ],
    ],
    notes: [
      `critical path: one member per level (${f.chainAlone.map((c) => `${c.member} ${s(c.seconds)} s`).join(', ')}), each failed over alone, its wait for approvers left out`,
      `the plan's ${f.size} members: ${f.size / SYNTHETIC_DEPTH} at a time, each after two of the level before; history events from the last run`,
      `inside the plan a member took ${s(median(views.map(memberSeconds)))} s from its start to its end (median over all runs; ${s(median(f.chainAlone.map((c) => c.seconds)))} s alone), ${f.size / SYNTHETIC_DEPTH} at once on this machine; ` +
        `a member started ${median(lags).toFixed(0)} ms (median; max ${Math.max(...lags).toFixed(0)} ms) after the last member it waits for ended`,
      'worker RSS is this process (worker, clients and bench) before the worker was created and at its peak during the runs, sampled every 100 ms',
    ],
  };
}

function signaturesSection(evacuations: EvacuationFigures[], f: SyntheticFigures): BenchSection {
  const members = Object.keys(evacuateRegion.members).length;
  return {
    title: 'Recovery plans: signatures needed, as the runs counted them (votes on gates that did not stand on a plan approval)',
    header: ['recovery', 'runs', 'signatures'],
    rows: [
      ...evacuations.flatMap((e) => [
        [`evacuate-region, ${e.mode}, as a plan`, `1 plan + ${members} members`, String(e.plan.signatures)],
        [`evacuate-region, ${e.mode}, member by member`, `${members} failovers`, String(e.aloneSignatures)],
      ]),
      [`synthetic-${f.size}, as a plan`, `1 plan + ${f.size} members`, String(median(f.runs.map((r) => r.run.signatures)))],
    ],
    notes: [
      `loyalty moves with booking (one database cluster), so the estate's five services are ${members} failovers; alone, each needs its gate's two SRE leads`,
    ],
  };
}

function forecastSection(f: SyntheticFigures): BenchSection {
  const forecasted = f.runs.map((r, i) => ({ ...r, index: i + 1 })).filter((r) => r.forecast);
  const errors = forecasted.map((r) => (r.forecast!.median - r.run.rtoFromApprovalSeconds) / r.run.rtoFromApprovalSeconds);
  const inRange = forecasted.filter((r) => r.run.rtoFromApprovalSeconds >= r.forecast!.min && r.run.rtoFromApprovalSeconds <= r.forecast!.max).length;
  const meanAbs = errors.reduce((n, e) => n + Math.abs(e), 0) / errors.length;
  return {
    title: `Recovery plans: the RTO forecast (forecastPlan, as the worker's forecastPlanRto makes it) against the RTO each synthetic-${f.size} run then took`,
    header: ['run', 'forecast median (s)', 'forecast range (s)', 'member runs it is based on', 'actual, approval → last member (s)', 'error'],
    rows: forecasted.map((r, i) => [
      String(r.index),
      s(r.forecast!.median),
      `${s(r.forecast!.min)}–${s(r.forecast!.max)}`,
      String(r.forecast!.basedOn),
      s(r.run.rtoFromApprovalSeconds),
      `${errors[i]! >= 0 ? '+' : ''}${(errors[i]! * 100).toFixed(1)}%`,
    ]),
    notes: [
      `mean absolute error ${(meanAbs * 100).toFixed(1)}% over ${forecasted.length} runs; the actual RTO fell within the forecast's range in ${inRange} of them`,
      "run 1 has no forecast: only the critical path's members had run before it (alone); each forecast is made just before its run, from the runs before",
    ],
  };
}
