import { join } from 'node:path';
import { Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { startTestEstate } from '../estate/testing';
import { approveUpdate, statusQuery, type RunResult, type RunStatus } from '../kit';
import type { HandsOnTask } from '../workflows/vendor-isolation/hands-on-queue';
import { taskSignal } from '../workflows/vendor-isolation/messages';
import { hostLists } from '../cli/task-hosts';
import type { IsolationReport } from '../workflows/vendor-isolation/report';
import type { Benchmark, BenchContext } from './section';
import { createHttpFleet } from '../providers/http/fleet';

/** Fleet sizes run side by side: a small one for the ratio, and the 10,000 hosts the issue asks for. */
const SIZES = [1_000, 10_000];

/** Temporal's default limits for one workflow history. */
const HISTORY_EVENT_LIMIT = 51_200;
const HISTORY_BYTES_LIMIT = 50 * 1024 * 1024;

/** How technicians report repairs: a signed decision per host, or a list per decision (`lifeboat task done --hosts-file`). */
export type ClosedBy = 'host' | 'list';

export interface Measured {
  hosts: number;
  closedBy: ClosedBy;
  affected: number;
  down: number;
  handsOn: number;
  waves: number;
  wallSeconds: number;
  containedAfterSeconds: number;
  p90Seconds: number | null;
  events: number;
  bytes: number;
}

function handsOnOf(status: RunStatus): { open: number; done: number; tasks: HandsOnTask[] } | undefined {
  return status.details.handsOn as { open: number; done: number; tasks: HandsOnTask[] } | undefined;
}

async function poll(handle: WorkflowHandle, predicate: (s: RunStatus) => boolean): Promise<RunStatus> {
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && predicate(status)) return status;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * One `isolate-vendor-module` run on a simulated fleet of `hosts`, after a faulty push with crash rate 0.3: an approver
 * answers the gate at once, and technicians report each hands-on host repaired as soon as the queue opens.
 */
export async function measure(ctx: BenchContext, hosts: number, closedBy: ClosedBy = 'host'): Promise<Measured> {
  ctx.log(`fleet-scale: starting an estate with ${hosts} hosts`);
  const estate = await startTestEstate({ services: ['booking'], loadBalancer: false, fleetHosts: hosts });
  const connection = await Connection.connect({ address: ctx.address });
  const native = await NativeConnection.connect({ address: ctx.address });
  try {
    const fleet = createHttpFleet({ url: estate.catalog.fleet.url });
    await fleet.pushContentUpdate({ version: 'C-00000291', faulty: true, crashRate: 0.3 });
    const taskQueue = `bench-fleet-scale-${hosts}-${Date.now()}`;
    const activities = createActivities({
      rosterPath: ctx.signing.rosterPath,
      notify: { log: () => undefined },
      targetsPath: join(estate.dir, 'lifeboat.targets.json'),
    });
    const worker = await Worker.create({ connection: native, namespace: 'default', taskQueue, workflowBundle: { codePath: ctx.bundlePath }, activities });
    const client = ctx.signing.client(connection);
    return await worker.runUntil(async () => {
      const started = Date.now();
      const handle = await client.workflow.start('isolateVendorModule', {
        taskQueue,
        workflowId: 'isolate-vendor-module/fleet',
        args: [{ input: { badVersion: 'C-00000291', goodVersion: 'C-00000290' }, requestedBy: 'alice' }],
      });
      await poll(handle, (s) => s.state === 'waiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', comment: 'benchmark' }] });
      let queued = await poll(handle, (s) => s.currentStep === 'handsOn' || s.state !== 'running');
      ctx.log(`fleet-scale: ${hosts} hosts: waves done, ${handsOnOf(queued)?.open ?? 0} hands-on repairs to report`);
      // Status lists the open items a page at a time (STATUS_TASKS), so close what it lists, then read it again.
      let signalled = 0;
      for (;;) {
        const open = (handsOnOf(queued)?.tasks ?? []).filter((t) => t.status === 'open');
        if (open.length === 0 || queued.state !== 'running') break;
        if (closedBy === 'host') for (const t of open) await handle.signal(taskSignal, { action: 'done', host: t.host, by: 'erin' });
        else for (const list of hostLists(open.map((t) => t.host))) await handle.signal(taskSignal, { action: 'done', hosts: list.join(','), by: 'erin' });
        signalled += open.length;
        queued = await poll(handle, (s) => s.state !== 'running' || (handsOnOf(s)?.done ?? 0) >= signalled);
      }
      const result = (await handle.result()) as RunResult<IsolationReport>;
      const wallSeconds = (Date.now() - started) / 1000;
      if (result.state !== 'succeeded') throw new Error(`the ${hosts}-host run ended ${result.state}: ${result.outcome}`);
      const described = await handle.describe();
      const bytes = Number(described.raw.workflowExecutionInfo?.historySizeBytes ?? 0);
      const radius = result.details.blastRadius as { affected: number; down: number };
      return {
        hosts,
        closedBy,
        affected: radius.affected,
        down: radius.down,
        handsOn: signalled,
        waves: (result.details.waves as unknown[]).length,
        wallSeconds,
        containedAfterSeconds: result.output!.containedAfterSeconds,
        p90Seconds: result.output!.recovery.p90Seconds,
        events: described.historyLength,
        bytes,
      };
    });
  } finally {
    await connection.close();
    await native.close();
    await estate.stop();
  }
}

/** `isolate-vendor-module` on 1,000 and 10,000 simulated hosts: wall time and history size side by side. */
export const fleetScaleBenchmark: Benchmark = async (ctx) => {
  const runs: Measured[] = [];
  for (const hosts of SIZES) runs.push(await measure(ctx, hosts));
  const big = runs.at(-1)!;
  const listed = await measure(ctx, big.hosts, 'list');
  runs.push(listed);
  const small = runs[0]!;
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  return {
    title: 'isolate-vendor-module at fleet scale (crash rate 0.3, default wave plan)',
    header: [
      'hosts',
      'repairs reported',
      'affected',
      'down',
      'hands-on',
      'waves',
      'wall time',
      'contained after',
      '90% healthy after',
      'history events',
      'history size',
    ],
    rows: runs.map((r) => [
      String(r.hosts),
      r.closedBy === 'host' ? 'a decision per host' : 'lists of hosts',
      String(r.affected),
      String(r.down),
      String(r.handsOn),
      String(r.waves),
      `${r.wallSeconds.toFixed(1)} s`,
      `${r.containedAfterSeconds.toFixed(1)} s`,
      r.p90Seconds === null ? 'not reached' : `${r.p90Seconds.toFixed(1)} s`,
      String(r.events),
      kb(r.bytes),
    ]),
    notes: [
      `${big.hosts / small.hosts}x the hosts: ${(big.wallSeconds / small.wallSeconds).toFixed(1)}x the wall time, ${(big.events / small.events).toFixed(2)}x the history events, ${(big.bytes / small.bytes).toFixed(2)}x the history bytes`,
      `${big.hosts} hosts, repairs reported as lists against one decision per host: ${(listed.events / big.events).toFixed(2)}x the history events, ${(listed.bytes / big.bytes).toFixed(2)}x the bytes, ${(listed.wallSeconds / big.wallSeconds).toFixed(2)}x the wall time (${big.handsOn} and ${listed.handsOn} hands-on hosts)`,
      `${big.hosts} hosts use ${((big.events / HISTORY_EVENT_LIMIT) * 100).toFixed(1)}% of Temporal's ${HISTORY_EVENT_LIMIT}-event limit and ${((big.bytes / HISTORY_BYTES_LIMIT) * 100).toFixed(2)}% of its 50 MiB size limit: ${big.events < HISTORY_EVENT_LIMIT / 10 && big.bytes < HISTORY_BYTES_LIMIT / 10 ? 'well within' : 'CLOSE TO'} the limits`,
    ],
  };
};
