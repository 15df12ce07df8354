import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import webpack from 'webpack';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { findTestServer, installHint } from '../../dev/temporal-binaries';
import { startTestEstate, type TestEstate } from '../../estate/testing';
import type { IsolationReport } from '../../workflows/vendor-isolation/report';
import type { HandsOnTask } from '../../workflows/vendor-isolation/hands-on-queue';
import { runIdFor, type RunResult, type RunStatus } from '../../kit';
import { HostScope, scopeLabel } from '../../runbooks/isolate-vendor-module';
import { createHttpFleet } from '../../providers/http/fleet';
import { lifeboatInProcess, temporalCli } from '../helpers/cli';
import { decisionStatement, signAs, signingInterceptor } from '../helpers/signing';
import { createTestWorker, installQuietRuntime, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

// The hands-on deadline on the time-skipping server: the run waits on a deadline of minutes, as a real one would,
// and the test jumps over it instead of sleeping through it. Only the Temporal side is the test server's; the fleet
// is the sample estate's, as in isolate-vendor-module.test.ts. The test server has no custom search attributes, so
// this bundle swaps the kit's publisher for a no-op.

const BAD = 'C-00000291';
const GOOD = 'C-00000290';
/** Long enough to need skipping, short enough that a decision the CLI signs now (valid 5 minutes) is still valid past it. */
const DEADLINE = '2 minutes';

let env: TestWorkflowEnvironment;
let ctx: TemporalTestContext;
let bundle: WorkflowBundleWithSourceMap;
let estate: TestEstate;
let fleet: ReturnType<typeof createHttpFleet>;

beforeAll(async () => {
  installQuietRuntime();
  const server = findTestServer();
  if (!server) throw new Error(`the Temporal time-skipping test server was not found; ${installHint}`);
  const noop = resolve(__dirname, '../helpers/publish-search-attributes.noop.ts');
  [env, bundle, estate] = await Promise.all([
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server.path } } }),
    bundleWorkflowCode({
      workflowsPath: resolve(__dirname, '../workflows'),
      webpackConfigHook: (config) => ({
        ...config,
        plugins: [...(config.plugins ?? []), new webpack.NormalModuleReplacementPlugin(/^\.\/publish-search-attributes$/, noop)],
      }),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) },
    }),
    startTestEstate({ loadBalancer: false, fleetHosts: 36 }),
  ]);
  fleet = createHttpFleet({ url: estate.catalog.fleet.url });
  // The shape the shared helpers take, on the test server's connections (closed by its teardown).
  const rawClient = new Client({ connection: env.connection, namespace: 'default' });
  ctx = {
    address: env.address,
    namespace: 'default',
    client: new Client({ connection: env.connection, namespace: 'default', interceptors: { workflow: [signingInterceptor(() => rawClient, 'default')] } }),
    rawClient,
    connection: env.connection,
    nativeConnection: env.nativeConnection,
    close: async () => undefined,
  };
});
afterAll(async () => {
  await estate?.stop();
  await env?.teardown();
});
beforeEach(async () => {
  await fetch(`${estate.catalog.fleet.url}/sim/reset`, { method: 'POST' });
});

const handsOnOf = (s: RunStatus) => s.details.handsOn as { open: number; tasks: HandsOnTask[] } | undefined;

test('the hands-on queue escalates as its deadline nears; past it, verification names the open hosts until they are closed', async () => {
  const taskQueue = testTaskQueue();
  const cliEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: 'default', LIFEBOAT_TASK_QUEUE: taskQueue };
  await fleet.pushContentUpdate({ version: BAD, faulty: true, crashRate: 1, scope: { region: 'A' } });
  const { worker, notifications } = await createTestWorker(ctx, taskQueue, {}, join(estate.dir, 'lifeboat.targets.json'), { workflowBundle: bundle });
  await worker.runUntil(async () => {
    const input = { badVersion: BAD, goodVersion: GOOD, scope: { region: 'A' }, waves: { canary: 18, sizes: ['100%'] }, handsOnDeadline: DEADLINE };
    const handle = await ctx.client.workflow.start('isolateVendorModule', {
      taskQueue,
      workflowId: runIdFor('isolate-vendor-module', scopeLabel(HostScope.parse(input.scope))),
      args: [{ input, requestedBy: 'alice' }],
    });
    const runId = handle.workflowId;
    // The hands-on queue is open and waiting; jump over its deadline and the escalations before it.
    await waitForStatus(handle, (s) => (handsOnOf(s)?.open ?? 0) > 0);
    await env.sleep('150 seconds');
    const stuck = await waitForStatus(handle, (s) => s.state === 'needs-intervention', 20_000);
    // The canary covered the whole scope, so no gate was needed; the deadline passed with the queue still open.
    expect(stuck.gates).toEqual([]);
    expect(stuck.intervention!.step).toBe('verify');
    const open = handsOnOf(stuck)!.tasks.map((t) => t.host);
    expect(open.length).toBeGreaterThan(0);
    expect(stuck.intervention!.error).toContain(`${open.length} host(s) neither healthy nor waived: ${open[0]}`);
    expect(stuck.audit.filter((a) => a.action === 'hands-on-escalated').length).toBeGreaterThanOrEqual(2);
    expect(stuck.audit.some((a) => a.action === 'hands-on-deadline')).toBe(true);
    const escalations = notifications.filter((n) => n.kind === 'escalation');
    expect(escalations.at(-1)!.title).toBe(`Hands-on deadline passed with ${open.length} host(s) open`);
    expect(escalations[0]!.text).toContain(`lifeboat task done|waive ${runId} <host>`);
    // Operators can still close items after the deadline, a field team's list at once. A list counts for all its
    // hosts or none: one name not in the queue leaves every host open.
    const list = join(mkdtempSync(join(tmpdir(), 'lifeboat-hosts-')), 'closed-site.txt');
    writeFileSync(list, `# site closed, per the station manager\n${[...open, 'a-kiosk-99'].join('\n')}\n`);
    const partly = await lifeboatInProcess(['task', 'waive', runId, '--hosts-file', list, '--as', 'carol', '--reason', 'site closed'], cliEnv);
    expect(partly.code).toBe(1);
    expect(partly.stderr).toContain(`none of the ${open.length + 1} hosts was closed: host a-kiosk-99 is not in the hands-on queue`);
    expect(handsOnOf(await waitForStatus(handle, () => true))!.open).toBe(open.length);
    // A list signed by carol (at the server's skipped-ahead time) and lengthened after signing, sent with the stock
    // CLI: refused, nothing closed.
    const status = await waitForStatus(handle, () => true);
    const body = { action: 'waive', hosts: open.slice(0, 1).join(','), reason: 'site closed' };
    const signed = signAs(decisionStatement(status, 'task', 'carol', body, await env.currentTimeMs()));
    const lengthened = { ...signed, statement: signed.statement.replace(`"hosts":"${open[0]}"`, `"hosts":"${open.join(',')}"`) };
    expect(lengthened.statement).not.toBe(signed.statement);
    const sent = await temporalCli(['workflow', 'signal', '--workflow-id', runId, '--name', 'task', '--input', JSON.stringify(lengthened)], env.address);
    expect(sent.code).toBe(0);
    const refused = await waitForStatus(handle, (s) => (s.refused?.count ?? 0) > (status.refused?.count ?? 0));
    expect(refused.refused!.lastBy).toBe('carol');
    expect(refused.audit.at(-1)).toMatchObject({ action: 'task-refused', detail: 'bad signature: signature does not match' });
    expect(handsOnOf(refused)!.open).toBe(open.length);
    writeFileSync(list, `# site closed, per the station manager\n${open.join('\n')}\n`);
    const waived = await lifeboatInProcess(['task', 'waive', runId, '--hosts-file', list, '--as', 'carol', '--reason', 'site closed', '--json'], cliEnv);
    expect(waived.stderr).toBe('');
    expect(JSON.parse(waived.stdout)).toEqual({ runId, by: 'carol', hosts: open, status: 'waived', open: 0, decisions: 1 });
    // A retry of the verification then passes.
    expect((await lifeboatInProcess(['retry', runId, '--as', 'carol'], cliEnv)).code).toBe(0);
    const result = (await handle.result()) as RunResult<IsolationReport>;
    expect(result.state).toBe('succeeded');
    expect(result.output!.waivers.map((w) => w.host)).toEqual(open);
    expect(result.details.verified).toEqual({ hosts: 18, healthy: 18 - open.length, waivedBroken: open.length });
  });
});
