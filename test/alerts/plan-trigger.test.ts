import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import type { AlertOutcome } from '../../cli/alerts/receiver';
import { AlertRules } from '../../cli/alerts/rules';
import { serveAlerts, type ServingAlerts } from '../../cli/commands/alerts';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { lifeboatInProcess } from '../helpers/cli';
import { startReceiver } from '../helpers/http-receiver';
import { sealTestRoster } from '../helpers/roster-seal';
import { connectToTestServer, createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * An alert that starts a recovery plan: BookingRegionDown{region="A"} starts evacuate-region from A, signed by the
 * receiver's own roster entry, detected at the alert's startsAt. The plan run stops at its one decision, which the
 * receiver cannot sign, so nothing moves and no estate is needed; the test ends the run there.
 */

const taskQueue = `alert-plan-${randomUUID().slice(0, 8)}`;
const token = randomBytes(24).toString('hex');
const runId = 'plan/evacuate-region/A';
let ctx: TemporalTestContext;
let dir: string;
let worker: Worker;
let running: Promise<void>;
let pager: Awaited<ReturnType<typeof startReceiver>>;
let serving: ServingAlerts;

beforeAll(async () => {
  ctx = await connectToTestServer('alerts');
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-alert-plan-'));
  // The receiver is a person of its own in the roster: a key and no groups, so it can start a plan and approve nothing.
  const principal = await generateEd25519KeyPair(dir, 'alertmanager');
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as { people: { id: string; name: string; groups: string[]; keys: string[] }[] };
  roster.people.push({ id: 'alertmanager', name: 'Alertmanager (alert receiver)', groups: [], keys: [principal.publicKeyLine] });
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, JSON.stringify(roster));
  await sealTestRoster(rosterPath);
  worker = (await createTestWorker(ctx, taskQueue, createRosterActivities({ rosterPath }))).worker;
  running = worker.run();
  pager = await startReceiver();
  const rules = AlertRules.parse({
    rules: [
      {
        name: 'region-a-down',
        match: { alertname: 'BookingRegionDown', region: 'A' },
        for: '2m',
        plan: 'evacuate-region',
        input: { to: 'B', mode: 'emergency' },
        inputFromLabels: { from: 'region' },
      },
    ],
  });
  serving = await serveAlerts({
    rules,
    client: ctx.rawClient,
    taskQueue,
    env: { LIFEBOAT_WEBHOOK_URL: pager.url },
    host: '127.0.0.1',
    port: 0,
    token,
    as: 'alertmanager',
    key: principal.privateKeyPath,
    log: () => undefined,
    say: () => undefined,
  });
});

afterAll(async () => {
  await serving?.close();
  await ctx?.rawClient.workflow
    .getHandle(runId)
    .terminate('alert plan test done')
    .catch(() => undefined);
  await pager?.close();
  worker?.shutdown();
  await running;
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: unknown): Promise<AlertOutcome[]> {
  const res = await fetch(serving.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { outcomes: AlertOutcome[] }).outcomes;
}

/** The request Temporal recorded when the run started: what the receiver really asked for. */
async function startRequest(workflowId: string): Promise<{ input: Record<string, unknown>; requestedBy: string; drill?: unknown }> {
  const page = await ctx.rawClient.workflowService.getWorkflowExecutionHistory({
    namespace: ctx.rawClient.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const started = page.history!.events![0]!.workflowExecutionStartedEventAttributes!;
  expect(started.workflowType?.name).toBe('recoveryPlan');
  const [request] = await decodeArrayFromPayloads(ctx.rawClient.options.loadedDataConverter, started.input?.payloads);
  return request as { input: Record<string, unknown>; requestedBy: string; drill?: unknown };
}

test('BookingRegionDown{region="A"} starts evacuate-region from A, detected at the alert, and the plan waits at its gate for people', async () => {
  const startsAt = new Date(Date.now() - 3 * 60_000).toISOString();
  const alert = { alert: 'BookingRegionDown', labels: { region: 'A' }, startsAt };
  const [outcome] = await post(alert);
  expect(outcome).toMatchObject({ outcome: 'started', rule: 'region-a-down', runId });
  expect(outcome!.detail).toBe(
    `started ${runId} as alertmanager; detected at ${startsAt}; it waits at the plan's gate for people (lifeboat plan evacuate-region says who signs it)`,
  );

  // The plan's input: the rule's fixed fields, `from` from the alert's region label, detection from its startsAt.
  const request = await startRequest(runId);
  expect(request.input).toEqual({ to: 'B', mode: 'emergency', from: 'A', detectedAt: startsAt });
  expect(request.requestedBy).toBe('alertmanager');
  expect(request.drill).toBeUndefined();

  // The worker accepted the receiver's signed start, and the plan waits for its decision, which the receiver cannot give.
  const handle = ctx.rawClient.workflow.getHandle(runId);
  const status = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  expect(status).toMatchObject({ runbook: 'plan/evacuate-region', target: 'A', requestedBy: 'alertmanager' });
  expect(status.gates.find((g) => g.name === 'approve-plan')).toMatchObject({ status: 'open', votes: [] });
  expect((await handle.describe()).memo?.trigger).toMatchObject({ rule: 'region-a-down', detectedAt: startsAt });
  const shown = await lifeboatInProcess(['status', runId], {
    TEMPORAL_ADDRESS: ctx.address,
    TEMPORAL_NAMESPACE: ctx.namespace,
    LIFEBOAT_TASK_QUEUE: taskQueue,
  });
  expect(shown.stdout).toContain(`triggered by alert rule region-a-down (alert ${outcome!.fingerprint}), detected ${startsAt}`);

  // Alertmanager repeats the alert while it fires: the plan already runs, so nothing new starts.
  expect(await post(alert)).toMatchObject([{ outcome: 'already-running', runId }]);
});
