import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createFleetServer } from '../../estate/fleet/server';
import { createHttpFleet } from '../../providers/http/fleet';
import { interveneUpdate, approveUpdate, runIdFor, type RunResult, type RunStatus } from '../../kit';
import { HostScope, scopeLabel } from '../../runbooks/isolate-vendor-module';
import { taskSignal } from '../../workflows/vendor-isolation/messages';
import { freePort } from '../../lib/free-port';
import { publishRunMetrics } from '../../lib/run-metrics';
import { installRuntime } from '../../lib/telemetry';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
let metricsUrl: string;
beforeAll(async () => {
  // The runtime is the process's: install it with the endpoint before the helpers install a quiet one.
  const address = `127.0.0.1:${await freePort()}`;
  installRuntime({ metricsAddress: address }, { LIFEBOAT_LOG_LEVEL: 'WARN' });
  metricsUrl = `http://${address}/metrics`;
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

/** The samples of one metric on this task queue, as `{labels} value` lines without the labels every sample has. */
async function samples(name: string, taskQueue: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    // The SDK's metrics label the task queue `task_queue`; those made in workflows (the kit's) `taskQueue`.
    if ((labels.task_queue ?? labels.taskQueue ?? taskQueue) !== taskQueue) continue;
    const own = Object.entries(labels)
      .filter(([k]) => !['service_name', 'namespace', 'task_queue', 'taskQueue', 'workflow_type', 'workflowType'].includes(k))
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    found.set(own, Number(match[3]));
  }
  return found;
}

test('the metrics endpoint shows a run by state while it waits, then its step failures, retries, intervention and gate wait', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  const stop = publishRunMetrics({ connection: ctx.nativeConnection, namespace: ctx.namespace, taskQueue, intervalMs: 200 });
  try {
    await worker.runUntil(async () => {
      // Two failures use up the flaky step's two attempts, so it stops for an operator.
      const handle = await ctx.client.workflow.start('kitExercise', {
        taskQueue,
        workflowId: `kit-exercise/metrics-${taskQueue}`,
        args: [{ input: { target: `metrics-${taskQueue}`, flakyFailures: 2 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'needs-intervention');
      await expect.poll(() => samples('lifeboat_runs', taskQueue), { timeout: 20_000 }).toContainEqual(['runbook=kit-exercise,state=needs-intervention', 1]);
      expect(await samples('lifeboat_interventions_open', taskQueue)).toEqual(new Map([['runbook=kit-exercise', 1]]));

      await handle.executeUpdate(interveneUpdate, { args: [{ action: 'retry', by: 'alice', reason: 'fixed it' }] });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      await expect.poll(() => samples('lifeboat_runs', taskQueue), { timeout: 20_000 }).toContainEqual(['runbook=kit-exercise,state=waiting-approval', 1]);
      // A state the run left goes back to zero rather than keeping its last value.
      expect((await samples('lifeboat_runs', taskQueue)).get('runbook=kit-exercise,state=needs-intervention')).toBe(0);
      expect(await samples('lifeboat_interventions_open', taskQueue)).toEqual(new Map([['runbook=kit-exercise', 0]]));

      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
      expect(((await handle.result()) as RunResult).state).toBe('succeeded');
    });

    await expect.poll(() => samples('lifeboat_runs', taskQueue), { timeout: 20_000 }).toContainEqual(['runbook=kit-exercise,state=waiting-approval', 0]);
    const transitions = await samples('lifeboat_run_transitions_total', taskQueue);
    expect(transitions).toEqual(
      new Map([
        ['runbook=kit-exercise,state=running', 3],
        ['runbook=kit-exercise,state=needs-intervention', 1],
        ['runbook=kit-exercise,state=waiting-approval', 1],
        ['runbook=kit-exercise,state=succeeded', 1],
      ]),
    );
    expect(await samples('lifeboat_step_failures_total', taskQueue)).toEqual(new Map([['runbook=kit-exercise,step=flaky', 2]]));
    expect(await samples('lifeboat_step_retries_total', taskQueue)).toEqual(
      new Map([
        ['by=kit,runbook=kit-exercise,step=flaky', 1],
        ['by=operator,runbook=kit-exercise,step=flaky', 1],
      ]),
    );
    expect(await samples('lifeboat_interventions_total', taskQueue)).toEqual(new Map([['runbook=kit-exercise,step=flaky', 1]]));
    expect(await samples('lifeboat_gate_wait_seconds_count', taskQueue)).toEqual(new Map([['gate=approve,outcome=approved,runbook=kit-exercise', 1]]));
    const waited = [...(await samples('lifeboat_gate_wait_seconds_sum', taskQueue)).values()][0]!;
    expect(waited).toBeGreaterThan(0);
    expect(waited).toBeLessThan(60);
    // The SDK's own metrics share the endpoint.
    expect(
      (await samples('temporal_workflow_completed', taskQueue)).size + (await samples('temporal_workflow_completed_total', taskQueue)).size,
    ).toBeGreaterThan(0);
  } finally {
    await stop();
  }
});

test('a run terminated with Temporal half-way counts as terminated in lifeboat_runs, no longer as the state it was left in', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue);
  const stop = publishRunMetrics({ connection: ctx.nativeConnection, namespace: ctx.namespace, taskQueue, intervalMs: 200 });
  try {
    await worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('kitExercise', {
        taskQueue,
        workflowId: `kit-exercise/terminated-${taskQueue}`,
        args: [{ input: { target: `terminated-${taskQueue}`, flakyFailures: 2 }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'needs-intervention');
      await expect.poll(() => samples('lifeboat_runs', taskQueue), { timeout: 20_000 }).toContainEqual(['runbook=kit-exercise,state=needs-intervention', 1]);
      await handle.terminate('operator gave up');
      await expect.poll(() => samples('lifeboat_runs', taskQueue), { timeout: 20_000 }).toContainEqual(['runbook=kit-exercise,state=terminated', 1]);
      expect((await samples('lifeboat_runs', taskQueue)).get('runbook=kit-exercise,state=needs-intervention')).toBe(0);
    });
  } finally {
    await stop();
  }
});

test('a scheduled readiness evaluation counts in lifeboat_readiness_evaluations_total by result; one run by hand does not', async () => {
  const taskQueue = testTaskQueue();
  const { worker } = await createTestWorker(ctx, taskQueue, {}, undefined, { factsWorker: true });
  await worker.runUntil(async () => {
    const evaluate = (target: string, schedule?: string) =>
      ctx.client.workflow.execute('readinessCheck', {
        taskQueue,
        workflowId: `readiness-metrics/${target}`,
        args: [{ runbook: 'paging-check', target, ...(schedule ? { schedule } : {}) }],
      }) as Promise<{ ready: boolean; checks: { ready: boolean }[] }>;
    await evaluate(`by-hand-${taskQueue}`);
    // No estate is up for this worker, so checks that look at it fail.
    const evaluation = await evaluate(`scheduled-${taskQueue}`, `readiness/paging-check/scheduled-${taskQueue}`);
    expect(evaluation.ready).toBe(false);
    const series = `runbook=paging-check,target=scheduled-${taskQueue}`;
    // The readiness gauges come from the schedule's latest evaluation in Temporal (test/observability/readiness-gauges.test.ts).
    await expect.poll(() => samples('lifeboat_readiness_evaluations_total', taskQueue)).toEqual(new Map([[`ready=false,${series}`, 1]]));
  });
});

test('the hands-on gauge counts the hosts an isolate-vendor-module run still waits on, keeps its count while no worker answers, and drops to zero as people close them', async () => {
  const taskQueue = testTaskQueue();
  const started = createFleetServer(40);
  await new Promise<void>((r) => started.server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(started.server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-metrics-'));
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: {}, fleet: { provider: 'http', url } }));
  // Every host crashes; the sample's BitLocker hosts cannot be fixed remotely and wait for a person.
  await createHttpFleet({ url }).pushContentUpdate({ version: 'C-00000291', faulty: true, crashRate: 1 });
  const unanswered: unknown[] = [];
  const stop = publishRunMetrics({
    connection: ctx.nativeConnection,
    namespace: ctx.namespace,
    taskQueue,
    intervalMs: 200,
    onError: (e) => unanswered.push(e),
  });
  const scope = { tags: ['bitlocker'] };
  const gauge = () => samples('lifeboat_hands_on_hosts_open', taskQueue);
  const counting = (hosts: number) => new Map([['runbook=isolate-vendor-module', hosts]]);
  try {
    const first = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    const { handle, open } = await first.worker.runUntil(async () => {
      const handle = await ctx.client.workflow.start('isolateVendorModule', {
        taskQueue,
        // One run per scope: a scope no other test uses in this namespace.
        workflowId: runIdFor('isolate-vendor-module', scopeLabel(HostScope.parse(scope))),
        args: [
          {
            input: {
              scope,
              badVersion: 'C-00000291',
              goodVersion: 'C-00000290',
              waves: { canary: 2, sizes: ['100%'], concurrency: 5 },
              handsOnDeadline: '10 minutes',
            },
            requestedBy: 'alice',
          },
        ],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
      const waiting = await waitForStatus(handle, (s) => s.currentStep === 'handsOn' && ((s.details.handsOn as { open?: number } | undefined)?.open ?? 0) > 0);
      const open = (waiting.details.handsOn as { tasks: { host: string }[] }).tasks.map((t) => t.host);
      await expect.poll(gauge, { timeout: 20_000 }).toEqual(counting(open.length));
      await handle.signal(taskSignal, { action: 'waive', host: open[0]!, by: 'erin', reason: 'kiosk retired' });
      await expect.poll(gauge, { timeout: 20_000 }).toEqual(counting(open.length - 1));
      return { handle, open };
    });

    // The worker is gone and the run still waits: its status query goes unanswered, and the gauge keeps the last count.
    await expect.poll(() => unanswered.length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await gauge()).toEqual(counting(open.length - 1));

    const second = await createTestWorker(ctx, taskQueue, {}, targetsPath);
    await second.worker.runUntil(async () => {
      for (const host of open.slice(1)) await handle.signal(taskSignal, { action: 'waive', host, by: 'erin', reason: 'site closed' });
      expect(((await handle.result()) as RunResult<unknown> & { state: RunStatus['state'] }).state).toBe('succeeded');
      await expect.poll(gauge, { timeout: 20_000 }).toEqual(counting(0));
    });
  } finally {
    await stop();
    await started.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
