import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { approveUpdate, statusQuery, type RunResult, type RunStatus } from '../kit';
import { createExerciseActivities } from '../test/helpers/exercise-activities';
import type { BenchContext, BenchSection } from './section';
import { ms, timed } from './stats';

const SIGNALS = 2_000;
const LARGE = 10;
const UPDATES = 500;
/** Just under the embedded server's payload limit. */
const LARGEST = 500 * 1024;

/**
 * A run waiting at a gate under a flood of forged decisions: what it costs in history, whether it carried itself
 * over, how fast status still answers, and that a real approval then finishes it.
 */
export async function floodBenchmark(ctx: BenchContext): Promise<BenchSection> {
  const connection = await Connection.connect({ address: ctx.address, channelArgs: { 'grpc.max_receive_message_length': 128 * 1024 * 1024 } });
  const native = await NativeConnection.connect({ address: ctx.address });
  const client = ctx.signing.client(connection);
  const taskQueue = `bench-flood-${Date.now()}`;
  const activities = {
    ...createActivities({ rosterPath: ctx.signing.rosterPath, notify: { log: () => undefined }, targetsPath: '/nonexistent/lifeboat.targets.json' }),
    ...createExerciseActivities().activities,
  };
  const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: { codePath: ctx.bundlePath }, activities });
  const rows: string[][] = [];
  try {
    await worker.runUntil(async () => {
      const target = `flood-${taskQueue}`;
      const handle = await client.workflow.start('kitExercise', {
        taskQueue,
        workflowId: `kit-exercise/${target}`,
        args: [{ input: { target, quorum: 1 }, requestedBy: 'alice' }],
      });
      for (;;) {
        const s = await handle.query(statusQuery).catch(() => undefined);
        if (s?.state === 'waiting-approval') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      ctx.log(`flood: ${SIGNALS} forged signals (${LARGE} of ${LARGEST / 1024} KiB) and ${UPDATES} forged updates`);
      const target$ = new Client({ connection }).workflow.getHandle(handle.workflowId);
      const flood = await timed(async () => {
        for (let i = 0; i < SIGNALS; i++)
          await target$.signal('approve', i < LARGE ? { by: 'b'.repeat(LARGEST) } : { statement: `{"by":"bob","i":${i}}`, signature: 'forged' });
        for (let i = 0; i < UPDATES; i++)
          await target$.executeUpdate('approve-update', { args: [{ statement: `{"i":${i}}`, signature: 'forged' }] }).catch(() => undefined);
      });
      let status: RunStatus | undefined;
      for (;;) {
        status = await handle.query(statusQuery);
        if ((status.refused?.count ?? 0) >= SIGNALS && status.state === 'waiting-approval') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const query = await timed(() => handle.query(statusQuery));
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol', comment: 'after the flood' }] });
      const result = (await handle.result()) as RunResult;
      const runs: { events: number; bytes: number }[] = [];
      let runId: string | undefined;
      for (;;) {
        const described = await client.workflow.getHandle(handle.workflowId, runId).describe();
        runs.unshift({ events: described.historyLength, bytes: Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0) });
        const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
        runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
        if (!runId) break;
      }
      const events = runs.reduce((n, r) => n + r.events, 0);
      const bytes = runs.reduce((n, r) => n + r.bytes, 0);
      rows.push([`${SIGNALS} forged signals + ${UPDATES} forged updates, sent`, ms(flood.ms), 'one after another from one client']);
      rows.push(['history events, all runs of the chain', String(events), `largest run ${Math.max(...runs.map((r) => r.events))} (Temporal's limit 51,200)`]);
      rows.push([
        'history bytes, all runs of the chain',
        `${(bytes / 1048576).toFixed(1)} MiB`,
        `largest run ${(Math.max(...runs.map((r) => r.bytes)) / 1048576).toFixed(1)} MiB (limit 50 MiB)`,
      ]);
      rows.push(['continue-as-new (carry-overs)', String(result.carriedOver ?? 0), 'at the gate, when Temporal suggested it']);
      rows.push([
        'status query after the flood',
        ms(query.ms),
        `status is ${(JSON.stringify(status).length / 1024).toFixed(1)} KiB; ${status!.refused?.count} refusals counted, ${status!.audit.filter((a) => a.action.endsWith('-refused')).length} audited`,
      ]);
      rows.push(['votes counted from the flood', String(result.gates[0]!.votes.length - 1), `then a real approval finished the run: ${result.state}`]);
    });
  } finally {
    await native.close().catch(() => undefined);
    await connection.close();
  }
  return { title: 'A flood of forged decisions against a run waiting at a gate (dev server)', header: ['measure', 'value', 'note'], rows };
}
