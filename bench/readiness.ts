import { Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { type ReadinessEvaluation, readinessScheduleId } from '../kit/trust';
import type { ReadinessRequest } from '../workflows/readiness-check';
import type { BenchContext, BenchSection } from './section';
import { median, ms } from './stats';

const EVALUATIONS = 5;
const RUNBOOKS = [
  { runbook: 'paging-check', target: 'sre-oncall' },
  { runbook: 'region-failover', target: 'booking' },
];

/**
 * What a scheduled readiness evaluation costs Temporal: each runbook's readiness runs on a real Schedule, every
 * 2 seconds, until it made a few evaluations; then each evaluation's history is read with describe(). There is no
 * estate, so checks that need one cannot look and count as not ready: the same activities run either way.
 */
export async function readinessBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  const client = ctx.signing.client(connection);
  const taskQueue = `bench-readiness-${Date.now()}`;
  const activities = createActivities({
    rosterPath: ctx.signing.rosterPath,
    notify: { log: () => undefined },
    targetsPath: '/nonexistent/lifeboat.targets.json',
  });
  const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { codePath: ctx.bundlePath }, activities });
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    await worker.runUntil(async () => {
      for (const { runbook, target } of RUNBOOKS) {
        const scheduleId = `${readinessScheduleId(runbook, target)}-${taskQueue}`;
        const request: ReadinessRequest = { runbook, target, schedule: scheduleId, requester: 'alice' };
        ctx.log(`readiness: ${EVALUATIONS} scheduled evaluations of ${runbook} on ${target}`);
        const schedule = await client.schedule.create({
          scheduleId,
          spec: { intervals: [{ every: '2 seconds' }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'readinessCheck',
            taskQueue,
            workflowId: scheduleId,
            args: [request],
            workflowExecutionTimeout: '5 minutes',
          },
          policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
          state: { triggerImmediately: true },
        });
        const query = `TemporalScheduledById = '${scheduleId}' AND ExecutionStatus = 'Completed'`;
        const done: { workflowId: string; runId: string; evaluation: ReadinessEvaluation; tookMs: number }[] = [];
        try {
          const deadline = Date.now() + 120_000;
          while (done.length < EVALUATIONS && Date.now() < deadline) {
            done.length = 0;
            for await (const wf of client.workflow.list({ query })) {
              const evaluation = wf.memo?.readiness as ReadinessEvaluation | undefined;
              if (evaluation)
                done.push({ workflowId: wf.workflowId, runId: wf.runId, evaluation, tookMs: (wf.closeTime?.getTime() ?? NaN) - wf.startTime.getTime() });
            }
            if (done.length < EVALUATIONS) await new Promise((r) => setTimeout(r, 500));
          }
        } finally {
          await schedule.delete();
        }
        const measured = await Promise.all(
          done.slice(0, EVALUATIONS).map(async (d) => {
            const described = await client.workflow.getHandle(d.workflowId, d.runId).describe();
            return {
              events: described.historyLength,
              bytes: Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0),
              tookMs: d.tookMs,
              evaluation: d.evaluation,
            };
          }),
        );
        if (measured.length === 0) throw new Error(`no scheduled readiness evaluation of ${runbook} finished within 2 minutes`);
        const checks = measured[0]!.evaluation.checks;
        const range = (values: number[]) => (Math.min(...values) === Math.max(...values) ? String(values[0]) : `${Math.min(...values)}-${Math.max(...values)}`);
        rows.push([
          `${runbook} on ${target}`,
          String(measured.length),
          String(checks.length),
          range(measured.map((m) => m.events)),
          `${(median(measured.map((m) => m.bytes)) / 1024).toFixed(1)} KiB`,
          ms(median(measured.map((m) => m.tookMs))),
          `${
            checks
              .filter((c) => !c.ready)
              .map((c) => c.name)
              .join(', ') || 'none'
          }`,
        ]);
        const perDay = 96;
        notes.push(
          `${runbook}: every 15 minutes (the default) is ${perDay} evaluations a day, about ${((median(measured.map((m) => m.bytes)) * perDay) / 1024).toFixed(0)} KiB and ${median(measured.map((m) => m.events)) * perDay} events of history, each kept for the namespace's retention`,
        );
      }
    });
  } finally {
    await native.close().catch(() => undefined);
    await connection.close();
  }
  notes.push(
    "events vary with how the parallel checks land in workflow tasks, and a change of readiness adds a notification; without an estate, a check that cannot look is retried once after 1 s, which is most of region-failover's time",
  );
  return {
    title: 'Readiness: what one scheduled evaluation costs (dev server, no estate)',
    header: ['runbook', 'evaluations', 'checks', 'events each', 'bytes each (median)', 'start to close (median)', 'not ready without an estate'],
    rows,
    notes,
  };
}
