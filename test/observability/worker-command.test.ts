import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { freePort } from '../../lib/free-port';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

test(
  '`lifeboat worker --metrics-address` serves the SDK metrics and the open runs by runbook and state, then stops on SIGTERM',
  { timeout: 240_000 },
  async () => {
    const taskQueue = testTaskQueue();
    const address = `127.0.0.1:${await freePort()}`;
    const child = spawn(process.execPath, [resolve(__dirname, '../../bin/lifeboat.js'), 'worker', '--metrics-address', address, `--task-queue=${taskQueue}`], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: ctx.address,
        TEMPORAL_NAMESPACE: ctx.namespace,
        LIFEBOAT_ROSTER: inject('testRosterPath'),
        LIFEBOAT_TARGETS: '/nonexistent/catalog.json',
        LIFEBOAT_LOG_LEVEL: 'WARN',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done((exitCode = code))));
    try {
      // Without a prebuilt bundle the worker bundles at start, which takes a while on a busy machine.
      await expect
        .poll(() => (exitCode === undefined ? stderr : `exited (${exitCode}): ${stderr}`), { timeout: 180_000, interval: 500 })
        .toMatch(/^worker polling/m);
      const handle = await ctx.client.workflow.start('pagingCheck', {
        taskQueue,
        // A team no other test pages: a run's workflow ID is its runbook and target, one run per target.
        workflowId: 'paging-check/sre-leads',
        args: [{ input: { team: 'sre-leads' }, requestedBy: 'alice' }],
      });
      await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
      const scrape = async () => (await fetch(`http://${address}/metrics`)).text();
      await expect.poll(scrape, { timeout: 30_000, interval: 500 }).toMatch(/^lifeboat_runs\{runbook="paging-check",state="waiting-approval"\} 1$/m);
      const text = await scrape();
      expect(text).toMatch(/^lifeboat_interventions_open\{runbook="paging-check"\} 0$/m);
      expect(text).toMatch(/^lifeboat_run_transitions_total\{.*state="waiting-approval".*\} 1$/m);
      expect(text).toMatch(/^temporal_workflow_task_execution_latency_count\{/m);
      await handle.terminate('the test is over');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
  },
);
