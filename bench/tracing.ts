import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createTracing, type Tracing } from '../lib/telemetry';
import { workflowInterceptorModules } from '../lib/workflow-bundle';
import { createExerciseActivities } from '../test/helpers/exercise-activities';
import { type Received, startReceiver } from '../test/helpers/http-receiver';
import { approvalLatency } from './approval';
import type { BenchContext, BenchSection } from './section';
import { median, ms, quantile, timed } from './stats';

const STEPS = 200;
const ROUNDS = 3;
/** Approvals per variant in each round, so the approvals alternate with the rest. */
const APPROVALS_PER_ROUND = 7;
const SETTLE_MS = 1200;

/** The three worker set-ups compared; only the bundle and the tracing options differ. */
interface Variant {
  key: 'a' | 'b' | 'c';
  label: string;
  traced: boolean;
  /** Options for one worker's life; undefined: a worker without tracing options at all. */
  tracing?: () => Tracing;
}

interface Measured {
  steps: number[];
  /** This process's CPU time (worker, workflow threads, exporter, client) over the timed run and the settle after it. */
  cpu: number[];
  approvals: number[];
  spans: number[];
}

/**
 * What tracing costs a run, side by side on one dev server: the same kit workflow on a bundle without the tracing
 * interceptors, on the product's bundle with no OTLP endpoint (every user's default: spans made, then dropped by the
 * sink), and on the product's bundle exporting to a local OTLP/HTTP receiver that counts what it gets.
 */
export async function tracingBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bench-tracing-'));
  const receiver = await startReceiver();
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  try {
    ctx.log('bundling the test workflows with the tracing interceptors...');
    const tracedBundlePath = join(dir, 'workflows-traced.js');
    const { code } = await bundleWorkflowCode({
      workflowsPath: resolve(__dirname, '..', 'test', 'workflows'),
      workflowInterceptorModules,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => ctx.log(m) },
    });
    writeFileSync(tracedBundlePath, code);

    const endpoint = receiver.url.replace(/\/hook$/, '');
    const variants: Variant[] = [
      { key: 'a', label: '(a) bundle without the tracing interceptors', traced: false },
      {
        key: 'b',
        label: "(b) product's bundle, no OTLP endpoint (default)",
        traced: true,
        tracing: () => createTracing({ serviceName: 'lifeboat-bench' }),
      },
      {
        key: 'c',
        label: "(c) product's bundle, OTLP to a local receiver",
        traced: true,
        tracing: () => createTracing({ otlpEndpoint: endpoint, serviceName: 'lifeboat-bench' }),
      },
    ];
    const measured = new Map(variants.map((v) => [v.key, { steps: [], cpu: [], approvals: [], spans: [] } as Measured]));
    const clients = { signing: ctx.signing.client(connection), raw: new Client({ connection }) };
    const activities = {
      ...createActivities({ rosterPath: ctx.signing.rosterPath, notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
      ...createExerciseActivities().activities,
    };
    const stamp = Date.now();

    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with the next variant, so none always runs first or last.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        ctx.log(`round ${round + 1}/${ROUNDS}: ${variant.label}`);
        const taskQueue = `bench-tracing-${stamp}-${variant.key}-${round}`;
        const tracing = variant.tracing?.();
        const worker = await Worker.create({
          connection: native,
          taskQueue,
          workflowBundle: { codePath: variant.traced ? tracedBundlePath : ctx.bundlePath },
          activities,
          ...tracing?.options,
        });
        const receivedBefore = spanCount(receiver.received);
        const figures = measured.get(variant.key)!;
        await worker.runUntil(async () => {
          const run = (target: string, count: number) =>
            clients.signing.workflow.execute('kitStepsWorkflow', {
              taskQueue,
              workflowId: `kit-steps/${target}`,
              args: [{ input: { target, count }, requestedBy: 'alice' }],
            });
          // A short run first, so the worker's first workflow task is not in the timing.
          await run(`${taskQueue}-warm`, 5);
          const cpuBefore = process.cpuUsage();
          figures.steps.push((await timed(() => run(taskQueue, STEPS))).ms);
          // The exporter sends a batch every second; the settle lets (c) pay for the run's last one, and all alike.
          await new Promise((r) => setTimeout(r, SETTLE_MS));
          const cpu = process.cpuUsage(cpuBefore);
          figures.cpu.push((cpu.user + cpu.system) / 1000);
          for (let i = 0; i < APPROVALS_PER_ROUND; i++) {
            figures.approvals.push(await approvalLatency(ctx, clients, taskQueue, `${taskQueue}-${i}`));
          }
        });
        await tracing?.shutdown();
        // createTracing registers its provider, context manager and propagator for the process; undo that, so the
        // next variant runs as a worker that never traced.
        trace.disable();
        context.disable();
        propagation.disable();
        figures.spans.push(spanCount(receiver.received) - receivedBefore);
      }
    }

    const a = measured.get('a')!;
    const b = measured.get('b')!;
    const c = measured.get('c')!;
    const exported = c.spans.reduce((sum, n) => sum + n, 0);
    if (c.spans.some((n) => n === 0)) {
      throw new Error(
        `tracing benchmark: the local OTLP receiver got no spans in some rounds of variant (c) (per round: ${c.spans.join(', ')}), ` +
          'so its timing measures no export at all; check createTracing (lib/telemetry.ts) and the workflowInterceptorModules of the bundle',
      );
    }
    if (a.spans.some((n) => n > 0) || b.spans.some((n) => n > 0)) {
      throw new Error('tracing benchmark: spans reached the receiver from a variant without an OTLP endpoint; the variants are not what they say');
    }
    const runsPerRound = 2 + APPROVALS_PER_ROUND;
    const rows = variants.map((v) => {
      const m = measured.get(v.key)!;
      return [
        v.label,
        ms(median(m.steps)),
        ms(median(m.steps) / STEPS),
        ms(median(m.cpu) / STEPS),
        ms(quantile(m.approvals, 0.5)),
        ms(quantile(m.approvals, 0.95)),
        `${m.spans.reduce((sum, n) => sum + n, 0)}`,
      ];
    });
    const notes = [
      `per-step ratio (b)/(a): ${(median(b.steps) / median(a.steps)).toFixed(3)}, (c)/(a): ${(median(c.steps) / median(a.steps)).toFixed(3)}; ` +
        `median of ${ROUNDS} rounds, variants alternated (each round starts with the next one); by round (a) ${a.steps.map(ms).join(', ')}, ` +
        `(b) ${b.steps.map(ms).join(', ')}, (c) ${c.steps.map(ms).join(', ')}`,
      `worker CPU ratio (b)/(a): ${(median(b.cpu) / median(a.cpu)).toFixed(3)}, (c)/(a): ${(median(c.cpu) / median(a.cpu)).toFixed(3)}; ` +
        `this process's CPU time over the timed run and ${SETTLE_MS} ms after it (the exporter sends every second); ` +
        `by round (a) ${a.cpu.map(ms).join(', ')}, (b) ${b.cpu.map(ms).join(', ')}, (c) ${c.cpu.map(ms).join(', ')}`,
      `approval p50 (b)/(a): ${(quantile(b.approvals, 0.5) / quantile(a.approvals, 0.5)).toFixed(2)}, (c)/(a): ${(quantile(c.approvals, 0.5) / quantile(a.approvals, 0.5)).toFixed(2)}; ` +
        `${APPROVALS_PER_ROUND * ROUNDS} signed approvals per variant`,
      `spans received in (c): ${exported} from ${ROUNDS * runsPerRound} runs (${c.spans.join(' + ')} by round; ${spanKinds(receiver.received)}); none from (a) or (b)`,
      `steps per round in each variant: ${STEPS} timed (plus a warm-up run of 5); a fresh worker per variant and round`,
    ];
    return {
      title: 'Tracing overhead (dev server on this machine)',
      header: ['worker set-up', `${STEPS} no-op kit steps (median)`, 'per step', 'worker CPU per step', 'approve -> next step p50', 'p95', 'spans received'],
      rows,
      notes,
    };
  } finally {
    await native.close().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface OtlpTraces {
  resourceSpans?: { scopeSpans?: { spans?: { name?: string }[] }[] }[];
}

/** The spans the receiver has been sent on the OTLP/HTTP traces path. */
function spansIn(received: Received[]): { name?: string }[] {
  return received
    .filter((r) => r.path === '/v1/traces')
    .flatMap((r) => (r.body as OtlpTraces).resourceSpans ?? [])
    .flatMap((rs) => rs.scopeSpans ?? [])
    .flatMap((ss) => ss.spans ?? []);
}

const spanCount = (received: Received[]): number => spansIn(received).length;

/** How many spans of each kind (the name before its colon: RunWorkflow, StartActivity, gate...), most first. */
function spanKinds(received: Received[]): string {
  const kinds = new Map<string, number>();
  for (const span of spansIn(received)) {
    const kind = (span.name ?? '?').split(':')[0]!;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds]
    .sort((x, y) => y[1] - x[1])
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}
