import { Context, type Context as ActivityContext } from '@temporalio/activity';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { NativeConnection, Worker, type ActivityExecuteInput } from '@temporalio/worker';
import { createActivities } from '../activities';
import { activityGuard } from '../lib/activity-guard';
import { createExerciseActivities } from '../test/helpers/exercise-activities';
import { SCHEDULED_BY_RUN_HEADER } from '../kit/trust';
import type { BenchContext, BenchSection } from './section';
import { median, ms, quantile } from './stats';

/** Steps per run for the per-step cost; rounds of it, alternating guarded and unguarded. */
const STEPS = 50;
const STEP_ROUNDS = 4;
/** One-step runs for the start cost, each round starting every kind of run once. */
const START_ROUNDS = 10;

/** When the `noop` activity of one workflow ID ran: first and last call, by this process's clock. */
interface StepClock {
  first?: number;
  last?: number;
  calls: number;
}

/**
 * What issue 19's lifecycle checks cost, measured side by side on one dev server: the worker's activity guard per
 * step (two workers in this process, one with the guard, one without), and the time a signed kit run takes from its
 * start to its first step (roster, signed start, claim) against a plain workflow that checks nothing.
 */
export async function lifecycleBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  const client = ctx.signing.client(connection);
  const stamp = Date.now();
  const queues = { guarded: `bench-lifecycle-guarded-${stamp}`, bare: `bench-lifecycle-bare-${stamp}` };
  const clocks = new Map<string, StepClock>();
  const activities = {
    ...createActivities({ rosterPath: ctx.signing.rosterPath, notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
    ...createExerciseActivities().activities,
    // The no-op step, stamped on arrival: after the guard (when there is one) has let it through.
    async noop(): Promise<void> {
      const at = performance.now();
      const clock = clocks.get(Context.current().info.workflowExecution?.workflowId ?? '');
      if (!clock) return;
      clock.first ??= at;
      clock.last = at;
      clock.calls++;
    },
  };
  const common = { connection: native, workflowBundle: { codePath: ctx.bundlePath }, activities };
  const guarded = await Worker.create({ ...common, taskQueue: queues.guarded, interceptors: { activity: [activityGuard()] } });
  const bare = await Worker.create({ ...common, taskQueue: queues.bare });
  const run = new Runs(client, clocks, stamp);

  const perStep = { plain: { bare: [] as number[], guarded: [] as number[] }, kit: { bare: [] as number[], guarded: [] as number[] } };
  const start = { plainBare: [] as number[], plainGuarded: [] as number[], kitBare: [] as number[], kitGuarded: [] as number[] };
  try {
    await guarded.runUntil(() =>
      bare.runUntil(async () => {
        // Warm both workers (bundle load, first connection use) so neither pays it inside a measurement.
        await run.plain(queues.bare, 1);
        await run.plain(queues.guarded, 1);
        await run.kit(queues.bare, 1);
        await run.kit(queues.guarded, 1);
        for (let round = 0; round < STEP_ROUNDS; round++) {
          ctx.log(`lifecycle steps: round ${round + 1}/${STEP_ROUNDS}`);
          // Alternate which worker goes first, so drift within a round does not favour one.
          const order = round % 2 === 0 ? (['bare', 'guarded'] as const) : (['guarded', 'bare'] as const);
          for (const which of order) perStep.plain[which].push(stepCost(await run.plain(queues[which], STEPS)));
          for (const which of order) perStep.kit[which].push(stepCost(await run.kit(queues[which], STEPS)));
        }
        for (let round = 0; round < START_ROUNDS; round++) {
          if (round % 5 === 0) ctx.log(`lifecycle start: round ${round + 1}/${START_ROUNDS}`);
          const kinds = [
            async () => start.plainBare.push(await run.firstStep('plain', queues.bare)),
            async () => start.plainGuarded.push(await run.firstStep('plain', queues.guarded)),
            async () => start.kitBare.push(await run.firstStep('kit', queues.bare)),
            async () => start.kitGuarded.push(await run.firstStep('kit', queues.guarded)),
          ];
          if (round % 2 === 1) kinds.reverse();
          for (const kind of kinds) await kind();
        }
      }),
    );
  } finally {
    await native.close().catch(() => undefined);
    await connection.close();
  }

  const ratio = (a: number[], b: number[], q = 0.5) => `${(quantile(b, q) / quantile(a, q)).toFixed(2)}x`;
  const fine = (values: number[]) => `${median(values).toFixed(2)} ms`;
  const inProcess = await guardWork();
  const rows = [
    [
      `per step, plainSteps (${STEPS} no-op activities)`,
      fine(perStep.plain.bare),
      fine(perStep.plain.guarded),
      ratio(perStep.plain.bare, perStep.plain.guarded),
    ],
    [`per step, kitStepsWorkflow (${STEPS} kit steps)`, fine(perStep.kit.bare), fine(perStep.kit.guarded), ratio(perStep.kit.bare, perStep.kit.guarded)],
    ['start -> first step, plainSteps: guard alone', ms(median(start.plainBare)), ms(median(start.plainGuarded)), ratio(start.plainBare, start.plainGuarded)],
    [
      'start -> first step, signed kit run vs plainSteps: start checks, no guard',
      ms(median(start.plainBare)),
      ms(median(start.kitBare)),
      ratio(start.plainBare, start.kitBare),
    ],
    [
      'start -> first step, signed kit run vs plainSteps: all checks',
      ms(median(start.plainBare)),
      ms(median(start.kitGuarded)),
      ratio(start.plainBare, start.kitGuarded),
    ],
    ['  same, p95', ms(quantile(start.plainBare, 0.95)), ms(quantile(start.kitGuarded, 0.95)), ratio(start.plainBare, start.kitGuarded, 0.95)],
    [
      `guard's own work per activity, in process (run facts cached, mean of ${inProcess.count})`,
      `${(inProcess.bareMs * 1000).toFixed(1)} us`,
      `${(inProcess.guardedMs * 1000).toFixed(1)} us`,
      `+${((inProcess.guardedMs - inProcess.bareMs) * 1000).toFixed(1)} us`,
    ],
  ];
  const notes = [
    `per step: time between the first and the last no-op step of one run, over ${STEPS - 1} steps, median of ${STEP_ROUNDS} rounds; ` +
      'the guarded worker has interceptors.activity [activityGuard()], the other none; same process, same bundle (with the lifecycle interceptors, so each activity carries the scheduling run ID the guard checks)',
    'the guard asks Temporal about a run once (describe, cached for a minute) at its first activity, then checks the header only, so the per-step figure is its steady cost and the start rows carry the describe; ' +
      "a step's time is almost all the server's round trips, so the guard's steady cost shows in the in-process row (its interceptor called on a faked activity context, against calling the activity directly)",
    `start -> first step: from client.workflow.start to the first no-op step's arrival in the activity, one-step runs, median of ${START_ROUNDS}; ` +
      'baseline is plainSteps on the unguarded worker (no checks at all)',
    'before its first step a signed kit run adds, in order: the activity loadRoster (reads the roster and checks its seal), the start statement verified in the workflow, ' +
      'and the activity claimStart (starts a lifeboatStartClaim workflow under the statement nonce, which runs on the same worker); a child run would also call describeRun for its parent (not measured here)',
  ];
  return {
    title: 'Lifecycle checks (issue 19), dev server on this machine',
    header: ['measure', 'baseline', 'with checks', 'ratio'],
    rows,
    notes,
  };
}

/**
 * The guard's own work on one activity once it knows the run (header decoded, facts compared), against calling the
 * activity without it: the part of the per-step figure that is this process's CPU rather than the server's round trip.
 */
async function guardWork(): Promise<{ bareMs: number; guardedMs: number; count: number }> {
  const count = 20_000;
  const runId = 'bench-run-id';
  const info = {
    activityType: 'noop',
    taskQueue: 'bench-q',
    workflowType: 'kitStepsWorkflow',
    workflowNamespace: 'default',
    isLocal: false,
    workflowExecution: { workflowId: 'kit-steps/bench', runId },
  };
  // One describe, answered at once; every call after it is served from the guard's cache, as a run's steps are.
  const described = { taskQueue: info.taskQueue, type: info.workflowType };
  const ctx = { info, client: { workflow: { getHandle: () => ({ describe: async () => described }) } } } as unknown as ActivityContext;
  const input = { args: [], headers: { [SCHEDULED_BY_RUN_HEADER]: defaultPayloadConverter.toPayload(runId) } } as unknown as ActivityExecuteInput;
  const next = async () => undefined;
  const guard = activityGuard()(ctx).inbound!;
  const execute = (i: ActivityExecuteInput, n: typeof next) => guard.execute!(i, n);
  const loop = async (call: () => Promise<unknown>) => {
    for (let i = 0; i < 2000; i++) await call();
    const started = performance.now();
    for (let i = 0; i < count; i++) await call();
    return (performance.now() - started) / count;
  };
  const bareMs = await loop(() => next());
  const guardedMs = await loop(() => execute(input, next));
  return { count, bareMs, guardedMs };
}

/** The steady cost of one step: the spread between a run's first and last step over the steps in between. */
function stepCost(clock: StepClock): number {
  if (clock.first === undefined || clock.last === undefined || clock.calls < 2) throw new Error(`a benchmark run made ${clock.calls} step(s)`);
  return (clock.last - clock.first) / (clock.calls - 1);
}

/** Starts the two kinds of run the section compares, each under a fresh workflow ID whose steps are clocked. */
class Runs {
  private count = 0;
  constructor(
    private readonly client: Client,
    private readonly clocks: Map<string, StepClock>,
    private readonly stamp: number,
  ) {}

  /** plainSteps: the no-op activity called directly, no signed start, no checks. */
  plain(taskQueue: string, steps: number): Promise<StepClock> {
    const workflowId = `bench-lifecycle-plain-${this.stamp}-${this.count++}`;
    return this.complete(workflowId, () => this.client.workflow.start('plainSteps', { taskQueue, workflowId, args: [steps] }));
  }

  /** kitStepsWorkflow: a signed kit run (roster, signed start, claim) around the same activity. */
  kit(taskQueue: string, steps: number): Promise<StepClock> {
    const target = `bench-lifecycle-${this.stamp}-${this.count++}`;
    return this.complete(`kit-steps/${target}`, () =>
      this.client.workflow.start('kitStepsWorkflow', {
        taskQueue,
        workflowId: `kit-steps/${target}`,
        args: [{ input: { target, count: steps }, requestedBy: 'alice' }],
      }),
    );
  }

  /** Milliseconds from the start call to the arrival of a one-step run's step; the run is then left to finish. */
  async firstStep(kind: 'plain' | 'kit', taskQueue: string): Promise<number> {
    const started = performance.now();
    const clock = await (kind === 'plain' ? this.plain(taskQueue, 1) : this.kit(taskQueue, 1));
    return clock.first! - started;
  }

  private async complete(workflowId: string, start: () => Promise<{ result(): Promise<unknown> }>): Promise<StepClock> {
    const clock: StepClock = { calls: 0 };
    this.clocks.set(workflowId, clock);
    try {
      const handle = await start();
      await handle.result();
      return clock;
    } finally {
      this.clocks.delete(workflowId);
    }
  }
}
