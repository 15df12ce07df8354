import { afterAll, beforeAll, expect, test } from 'vitest';
import { createNotifyActivities } from '../../activities/notify';
import { approveUpdate, type RunResult, type Notification } from '../../kit';
import { startReceiver } from '../helpers/http-receiver';
import { connectToTestServer, createTestWorker, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

// A page during a game day must say it is a drill: the people paged cannot tell a rehearsal from an outage otherwise.
// The notices go through the worker's real webhook channel to a real HTTP receiver.
const runId = 'paging-check/sre-oncall';
let ctx: TemporalTestContext;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  [ctx, receiver] = await Promise.all([connectToTestServer('paging-drill'), startReceiver()]);
});
afterAll(async () => {
  await ctx?.close();
  await receiver?.close();
});

/** A worker whose notify activity posts to the receiver, as a deployment's JSON webhook would be posted to. */
async function workerPostingToReceiver(taskQueue: string) {
  const webhook = createNotifyActivities({ webhookUrls: [receiver.url], format: 'json', attempts: 1, log: () => undefined });
  return (await createTestWorker(ctx, taskQueue, { notify: webhook.notify })).worker;
}

/** The titles of the notices the receiver got from now on, in the order they arrived. */
function titlesFrom(first: number): string[] {
  return receiver.received
    .slice(first)
    .map((r) => r.body as Notification)
    .filter((n) => n.runId === runId)
    .map((n) => n.title);
}

test("a live drill of paging-check labels every notice it sends, the page and the all-clear included, as the kit's own", async () => {
  const taskQueue = testTaskQueue();
  const worker = await workerPostingToReceiver(taskQueue);
  const first = receiver.received.length;
  await worker.runUntil(() => pageAcknowledgedByErin(taskQueue, { drill: { kind: 'live' } }));
  expect(titlesFrom(first)).toEqual([
    '[DRILL live] Paging check for sre-oncall',
    '[DRILL live] Approval needed: An on-call engineer acknowledges the page',
    '[DRILL live] Paging check for sre-oncall: all clear',
    '[DRILL live] paging-check on sre-oncall: succeeded',
  ]);
});

/** Pages sre-oncall as alice, has erin acknowledge, and expects the run to succeed. */
async function pageAcknowledgedByErin(taskQueue: string, extra: { drill?: { kind: 'live' } }): Promise<void> {
  const handle = await ctx.client.workflow.start('pagingCheck', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { team: 'sre-oncall' }, requestedBy: 'alice', ...extra }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  await handle.executeUpdate(approveUpdate, { args: [{ by: 'erin' }] });
  expect(((await handle.result()) as RunResult).state).toBe('succeeded');
}

test('an unattended isolated drill of paging-check labels its page and all-clear as isolated', async () => {
  const taskQueue = testTaskQueue();
  const worker = await workerPostingToReceiver(taskQueue);
  const first = receiver.received.length;
  await worker.runUntil(async () => {
    const result = (await ctx.client.workflow.execute('pagingCheck', {
      taskQueue,
      workflowId: runId,
      args: [{ input: { team: 'sre-oncall' }, requestedBy: 'alice', drill: { kind: 'isolated', approvals: 'policy' } }],
    })) as RunResult;
    expect(result.state).toBe('succeeded');
  });
  expect(titlesFrom(first)).toEqual([
    '[DRILL isolated] Paging check for sre-oncall',
    '[DRILL isolated] Paging check for sre-oncall: all clear',
    '[DRILL isolated] paging-check on sre-oncall: succeeded',
  ]);
});

test('a real paging check sends the same notices with no drill label', async () => {
  const taskQueue = testTaskQueue();
  const worker = await workerPostingToReceiver(taskQueue);
  const first = receiver.received.length;
  await worker.runUntil(() => pageAcknowledgedByErin(taskQueue, {}));
  expect(titlesFrom(first)).toEqual([
    'Paging check for sre-oncall',
    'Approval needed: An on-call engineer acknowledges the page',
    'Paging check for sre-oncall: all clear',
    'paging-check on sre-oncall: succeeded',
  ]);
});
