import { resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { statusQuery } from '../kit';
import { digestOf, Roster, verifySignedDecision } from '../kit/trust';
import { createExerciseActivities } from '../test/helpers/exercise-activities';
import { readFileSync } from 'node:fs';
import { statementOf } from '../test/helpers/signing-core';
import { approvalLatency, waitFor } from './approval';
import { cliStartBenchmark } from './cli-start';
import type { BenchContext, BenchSection } from './section';
import { median, ms, quantile, timed } from './stats';

const STEPS = 200;
const ROUNDS = 3;
const APPROVALS = 20;

/**
 * The kit's own costs, measured side by side on one dev server: a kit step against the same activity called
 * directly, the time from an approval to the next step, worker start with and without a prebuilt bundle; and, in a
 * table of its own, how fast `lifeboat` starts (bench/cli-start.ts).
 */
export async function kitBenchmark(ctx: BenchContext): Promise<BenchSection[]> {
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  const client = ctx.signing.client(connection);
  const rawClient = new Client({ connection });
  const taskQueue = `bench-kit-${Date.now()}`;
  const activities = {
    ...createActivities({ rosterPath: ctx.signing.rosterPath, notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
    ...createExerciseActivities().activities,
  };
  const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { codePath: ctx.bundlePath }, activities });
  const rows: string[][] = [];
  const notes: string[] = [];
  let cliStart: BenchSection | undefined;
  try {
    await worker.runUntil(async () => {
      // Per-step overhead, alternating the two workflows so noise hits both alike.
      const kit: number[] = [];
      const plain: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        ctx.log(`steps: round ${round + 1}/${ROUNDS}`);
        plain.push(
          (await timed(() => client.workflow.execute('plainSteps', { taskQueue, workflowId: `bench-plain-${taskQueue}-${round}`, args: [STEPS] }))).ms,
        );
        kit.push(
          (
            await timed(() =>
              client.workflow.execute('kitStepsWorkflow', {
                taskQueue,
                workflowId: `kit-steps/bench-${taskQueue}-${round}`,
                args: [{ input: { target: `bench-${taskQueue}-${round}`, count: STEPS }, requestedBy: 'alice' }],
              }),
            )
          ).ms,
        );
      }
      const ratio = median(kit) / median(plain);
      rows.push([`${STEPS} no-op steps, plain workflow`, ms(median(plain)), `${ms(median(plain) / STEPS)} per step`]);
      rows.push([`${STEPS} no-op steps, kit steps`, ms(median(kit)), `${ms(median(kit) / STEPS)} per step`]);
      notes.push(`step ratio kit/plain: ${ratio.toFixed(2)} (target 1.10 or less), median of ${ROUNDS} rounds`);

      // Approval latency: from the approve call (the update the CLI sends) to the start of the next step.
      const latencies: number[] = [];
      for (let i = 0; i < APPROVALS; i++) {
        latencies.push(await approvalLatency(ctx, { signing: client, raw: rawClient }, taskQueue, `bench-${taskQueue}-${i}`));
      }
      rows.push([
        `signed approve -> next step starts, p50 (${APPROVALS} runs)`,
        ms(quantile(latencies, 0.5)),
        'sign, send the update, verify in the workflow; target p50 under 20 ms',
      ]);
      rows.push([`signed approve -> next step starts, p95`, ms(quantile(latencies, 0.95)), 'clock: server time of the step, same machine']);
      notes.push('before signed decisions (an unsigned update, no status query): p50 10 ms, p95 37 ms, as measured in an earlier run');

      // The status query alone, in process: what `lifeboat status` waits on the server for (CLI start, below).
      const runId = `kit-exercise/bench-${taskQueue}-0`;
      const queryRuns: number[] = [];
      for (let i = 0; i < 5; i++) queryRuns.push((await timed(() => client.workflow.getHandle(runId).query(statusQuery))).ms);
      rows.push(['status query alone, in process (median of 5)', ms(median(queryRuns)), 'the part of lifeboat status spent asking the server']);

      // `lifeboat` as a person runs it, compiled and from the sources: --help, status, and an approval.
      let gates = 0;
      cliStart = await cliStartBenchmark(ctx, {
        env: {
          TEMPORAL_ADDRESS: ctx.address,
          LIFEBOAT_TASK_QUEUE: taskQueue,
          LIFEBOAT_KEYS_DIR: ctx.signing.keys.keysDir,
          LIFEBOAT_ROSTER: ctx.signing.rosterPath,
        },
        statusRunId: runId,
        openGate: async () => {
          const target = `bench-cli-${taskQueue}-${gates++}`;
          const handle = await client.workflow.start('kitExercise', {
            taskQueue,
            workflowId: `kit-exercise/${target}`,
            args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
          });
          await waitFor(
            () => handle.query(statusQuery),
            (s) => s.state === 'waiting-approval',
          );
          return handle.workflowId;
        },
      });
    });
  } finally {
    await native.close().catch(() => undefined);
  }

  // Worker start: bundling the workflow code at start against loading a prebuilt bundle.
  const atStart: number[] = [];
  const prebuilt: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ctx.log(`worker start: round ${i + 1}/${ROUNDS}`);
    atStart.push(await workerStart(ctx, { workflowsPath: resolve(__dirname, '..', 'workflows') }));
    prebuilt.push(await workerStart(ctx, { workflowBundle: { codePath: ctx.bundlePath } }));
  }
  const verify = verificationCost(ctx);
  rows.push([
    'verify one signed decision (ed25519), in process',
    `${verify.perDecisionMs.toFixed(2)} ms`,
    `mean of ${verify.count}; runs in the workflow, and again on every replay`,
  ]);
  rows.push(['sign one statement (ed25519), in process', `${verify.signMs.toFixed(2)} ms`, 'what the CLI does with an unencrypted key file']);
  rows.push(['worker start, bundling at start', ms(median(atStart)), `median of ${ROUNDS}`]);
  rows.push(['worker start, prebuilt bundle', ms(median(prebuilt)), 'target under 1.5 s']);
  notes.push(`worker start ratio bundling/prebuilt: ${(median(atStart) / median(prebuilt)).toFixed(1)}x`);
  await connection.close();
  const kit = { title: 'Kit overhead (dev server on this machine)', header: ['measure', 'value', 'note'], rows, notes };
  return cliStart ? [kit, cliStart] : [kit];
}

/** The workflow's signature check alone, as pure code: one decision's cost, which it pays live and on replay. */
function verificationCost(ctx: BenchContext): { perDecisionMs: number; signMs: number; count: number } {
  const roster = Roster.parse(JSON.parse(readFileSync(ctx.signing.rosterPath, 'utf8')));
  const identity = { namespace: 'default', workflowId: 'kit-exercise/bench', runId: 'bench-run', inputDigest: digestOf({ target: 'bench' }) };
  const count = 200;
  const statements = Array.from({ length: count }, () =>
    statementOf({ kind: 'approve', ...identity, by: 'bob', body: { gate: 'approve', comment: 'benchmark' } }),
  );
  const signStarted = performance.now();
  const signed = statements.map((st) => ctx.signing.keys.sign(st));
  const signMs = (performance.now() - signStarted) / count;
  for (const d of signed.slice(0, 20)) verifySignedDecision(['approve'], d, { ...identity, nowMs: Date.now(), roster, used: new Set() });
  const started = performance.now();
  for (const d of signed) {
    const verdict = verifySignedDecision(['approve'], d, { ...identity, nowMs: Date.now(), roster, used: new Set() });
    if (!verdict.ok) throw new Error(`benchmark decision refused: ${verdict.reason}`);
  }
  return { perDecisionMs: (performance.now() - started) / count, signMs, count };
}

/** Time from Worker.create to a worker that polls, then shuts it down. */
async function workerStart(ctx: BenchContext, source: { workflowsPath: string } | { workflowBundle: { codePath: string } }): Promise<number> {
  const native = await NativeConnection.connect({ address: ctx.address });
  try {
    const { value: worker, ms: took } = await timed(() =>
      Worker.create({ connection: native, taskQueue: `bench-start-${Date.now()}`, ...source, activities: createExerciseActivities().activities }),
    );
    await worker.runUntil(new Promise((r) => setTimeout(r, 50)));
    return took;
  } finally {
    await native.close();
  }
}
