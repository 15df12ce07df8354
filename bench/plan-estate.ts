import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { breakRegion } from '../estate/estate';
import { sampleEstateAwsEnv } from '../estate/flight-status-service';
import { ESTATE_SERVICES } from '../estate/services';
import { startTestEstate, type TestEstate } from '../estate/testing';
import { criticalPath } from '../kit/trust';
import { evacuateRegion } from '../plans/evacuate-region';
import { memberSeconds, runFailoverAlone, runPlan, type PlanRun } from './plan-runs';
import type { BenchContext } from './section';

export type EvacuationMode = 'planned' | 'emergency';

/** One evacuation of region A, by the plan and member by member alone, each on a fresh estate. */
export interface EvacuationFigures {
  mode: EvacuationMode;
  plan: PlanRun;
  /** Each member's work seconds run alone, one after another, in the plan's order. */
  alone: Record<string, number>;
  /** The signatures the runs alone took, all of them. */
  aloneSignatures: number;
  /** The slowest chain by the members' times alone, and its sum. */
  critical: { members: string[]; seconds: number };
}

interface Clients {
  client: Client;
  native: NativeConnection;
  bundlePath: string;
}

/**
 * A fresh airline estate (all five services, traffic in A) with a worker on its own queue, for one measurement; the
 * estate is stopped afterwards whatever happens. In emergency mode region A is broken first, as in July 2024.
 */
async function onFreshEstate<T>(ctx: BenchContext, clients: Clients, mode: EvacuationMode, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  let estate: TestEstate | undefined;
  try {
    estate = await startTestEstate({ services: [...ESTATE_SERVICES], fleetHosts: 2 });
    // flight-status moves through Route 53 on the estate's emulator.
    Object.assign(process.env, sampleEstateAwsEnv(estate.catalog, process.env));
    const taskQueue = `bench-plan-estate-${mode}-${Date.now()}`;
    const worker = await Worker.create({
      connection: clients.native,
      taskQueue,
      workflowBundle: { codePath: clients.bundlePath },
      activities: createActivities({
        rosterPath: ctx.signing.rosterPath,
        notify: { log: () => undefined },
        targetsPath: join(estate.dir, 'lifeboat.targets.json'),
      }),
    });
    if (mode === 'emergency') await breakRegion(estate.dir, 'A');
    return await worker.runUntil(() => fn(taskQueue));
  } finally {
    await estate?.stop();
  }
}

/**
 * Evacuates region A of the airline estate in `mode` twice, on fresh estates: once as the evacuate-region plan under
 * its one decision, once as its members run alone one after another (the same inputs, so the same verify windows),
 * each approved by two leads as its gate opens. The plan's RTO runs from its gate's decision to its last member's end.
 */
export async function measureEvacuation(ctx: BenchContext, clients: Clients, mode: EvacuationMode): Promise<EvacuationFigures> {
  const planInput = { from: 'A', to: 'B', mode };
  ctx.log(`plan: evacuate-region, ${mode}, as one plan`);
  const plan = await onFreshEstate(ctx, clients, mode, (taskQueue) => runPlan(clients.client, taskQueue, evacuateRegion.id, 'A', planInput));
  ctx.log(`plan: evacuate-region ${mode} took ${plan.rtoFromApprovalSeconds.toFixed(1)} s from approval; now its members alone`);
  const { alone, signatures } = await onFreshEstate(ctx, clients, mode, async (taskQueue) => {
    const seconds: Record<string, number> = {};
    let signed = 0;
    // Declared in dependency order, so each member's dependencies have moved before it, as in the plan.
    for (const [name, member] of Object.entries(evacuateRegion.members)) {
      const solo = await runFailoverAlone(clients.client, taskQueue, member.input(planInput) as { service: string });
      seconds[name] = solo.workSeconds;
      signed += solo.signatures;
      ctx.log(`plan: ${name} alone (${mode}): ${solo.workSeconds.toFixed(1)} s of work`);
    }
    return { alone: seconds, signatures: signed };
  });
  const critical = criticalPath(evacuateRegion, (member) => alone[member] ?? 0);
  return { mode, plan, alone, aloneSignatures: signatures, critical: { members: [...critical.members], seconds: critical.seconds } };
}

/** Each member's seconds inside the plan, start to end, by name. */
export const inPlanSeconds = (run: PlanRun): Record<string, number> =>
  Object.fromEntries(Object.entries(run.result.output ?? {}).map(([name, view]) => [name, memberSeconds(view)]));
