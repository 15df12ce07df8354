import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { forecastPlan } from '../lib/plan-forecast';
import { runFailoverAlone, runPlan, type PlanRun } from './plan-runs';
import type { BenchContext } from './section';
import { median } from './stats';
import { memberOf, SYNTHETIC_DEPTH, syntheticPlan, syntheticServices } from './synthetic-plan';

const fixture = resolve(__dirname, '..', 'test', 'fixtures', 'command-estate.mjs');

/** What the synthetic plan measured. */
export interface SyntheticFigures {
  size: number;
  delayMs: number;
  /** Each plan run, in order; the first has no forecast (its members had no history yet, but for the chain alone). */
  runs: { run: PlanRun; wallSeconds: number; forecast?: { median: number; min: number; max: number; basedOn: number } }[];
  /** The chain of one member per level, each failed over alone: its members' work seconds. */
  chainAlone: { member: string; seconds: number }[];
  planEvents: number;
  largestMember: { member: string; events: number };
  rssMiB: { before: number; peak: number };
}

/** A stateless service per name behind the delayed command switch, each over its own state file, traffic in A. */
function syntheticEstate(dir: string, services: string[], delayMs: number): { targetsPath: string; reset(): void } {
  const stateOf = (service: string) => join(dir, `${service}.json`);
  const command = (service: string) => ({
    provider: 'command',
    command: ['/usr/bin/env', `COMMAND_ESTATE_STATE=${stateOf(service)}`, `COMMAND_ESTATE_DELAY_MS=${delayMs}`, process.execPath, fixture],
  });
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(
    targetsPath,
    JSON.stringify({
      version: 1,
      services: Object.fromEntries(services.map((s) => [s, { regions: ['A', 'B'], traffic: command(s), serviceMode: command(s), stateless: true }])),
    }),
  );
  const reset = () => {
    for (const s of services)
      writeFileSync(stateOf(s), JSON.stringify({ active: 'A', regions: { A: { serving: 'ready', mode: 'normal' }, B: { serving: 'ready', mode: 'normal' } } }));
  };
  reset();
  return { targetsPath, reset };
}

const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

/**
 * The synthetic plan of `size` services, each operation of its switches sleeping `delayMs`: one chain of it (a member
 * per level) failed over alone, then `planRuns` runs of the whole plan, each after a forecast of its RTO from the runs
 * before it. The worker runs in this process, so its memory is this process's resident set, sampled every 100 ms.
 */
export async function measureSyntheticPlan(
  ctx: BenchContext,
  clients: { client: Client; native: NativeConnection; bundlePath: string },
  opts: { size: number; delayMs: number; planRuns: number },
): Promise<SyntheticFigures> {
  const plan = syntheticPlan(opts.size);
  const services = syntheticServices(opts.size);
  const width = opts.size / SYNTHETIC_DEPTH;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-synthetic-'));
  const estate = syntheticEstate(dir, services, opts.delayMs);
  const taskQueue = `bench-plan-synthetic-${Date.now()}`;
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
  const worker = await Worker.create({
    connection: clients.native,
    taskQueue,
    workflowBundle: { codePath: clients.bundlePath },
    activities: createActivities({ rosterPath: ctx.signing.rosterPath, notify: { log: () => undefined }, targetsPath: estate.targetsPath }),
  });
  const input = { from: 'A', to: 'B' };
  try {
    return await worker.runUntil(async () => {
      // The critical path, measured: the first column's member of each level, one after another, each alone.
      const chainAlone: SyntheticFigures['chainAlone'] = [];
      for (let level = 0; level < SYNTHETIC_DEPTH; level++) {
        const service = services[level * width]!;
        const solo = await runFailoverAlone(clients.client, taskQueue, { service, source: 'A', target: 'B', mode: 'planned', verifyWindowSeconds: 0 });
        chainAlone.push({ member: memberOf(service), seconds: solo.workSeconds });
      }
      ctx.log(`synthetic ${opts.size}: the chain alone took ${chainAlone.reduce((n, c) => n + c.seconds, 0).toFixed(1)} s of work`);
      const runs: SyntheticFigures['runs'] = [];
      for (let i = 0; i < opts.planRuns; i++) {
        estate.reset();
        const report = i === 0 ? undefined : await forecastPlan(clients.client, plan, input);
        const f = report?.forecast.forecast;
        const started = Date.now();
        const run = await runPlan(clients.client, taskQueue, plan.id, 'A', input);
        const wallSeconds = (Date.now() - started) / 1000;
        runs.push({
          run,
          wallSeconds,
          ...(f
            ? {
                forecast: { median: f.median.seconds, min: f.min.seconds, max: f.max.seconds, basedOn: report!.members.reduce((n, m) => n + m.runs.length, 0) },
              }
            : {}),
        });
        ctx.log(
          `synthetic ${opts.size}, run ${i + 1}/${opts.planRuns}: ${run.rtoFromApprovalSeconds.toFixed(1)} s from approval${f ? `, forecast ${f.median.seconds.toFixed(1)} s` : ''}`,
        );
      }
      // History sizes of the last run: the plan's and its largest member's, as Temporal stores them.
      const last = runs.at(-1)!.run;
      const planEvents = (await clients.client.workflow.getHandle(last.result.runId, last.result.trust?.temporalRunId).fetchHistory()).events?.length ?? 0;
      let largestMember = { member: '', events: 0 };
      for (const [member, view] of Object.entries(last.result.output ?? {})) {
        const events = (await clients.client.workflow.getHandle(view.runId, view.temporalRunId).fetchHistory()).events?.length ?? 0;
        if (events > largestMember.events) largestMember = { member, events };
      }
      return { size: opts.size, delayMs: opts.delayMs, runs, chainAlone, planEvents, largestMember, rssMiB: { before: mib(rssBefore), peak: mib(rssPeak) } };
    });
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of the plan runs' RTO from approval, for the table. */
export const medianRto = (figures: SyntheticFigures): number => median(figures.runs.map((r) => r.run.rtoFromApprovalSeconds));
