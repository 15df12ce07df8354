import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createActivities } from '../../activities';
import type { Notification } from '../../activities/kit-types';
import { createNotifyActivities, notifyConfigFromEnv } from '../../activities/notify';
import { sampleRosterPath } from '../../lib/paths';
import { approveUpdate, type RunResult } from '../../workflows/kit';
import { startReceiver } from '../helpers/http-receiver';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

const sample: Notification = {
  kind: 'approval-needed',
  runId: 'region-failover/booking',
  runbook: 'region-failover',
  target: 'booking',
  state: 'waiting-approval',
  title: 'Approval needed: fail over',
  text: '2 approvals from group sre-leads',
  audience: ['bob', 'carol'],
};

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => receiver?.close());

test('the JSON webhook receives the notification as it is', async () => {
  const { notify } = createNotifyActivities({ webhookUrl: receiver.url, format: 'json', log: () => undefined });
  const before = receiver.received.length;
  await notify(sample);
  expect(receiver.received.slice(before)).toEqual([expect.objectContaining({ path: '/hook', body: sample })]);
  expect(receiver.received.at(-1)!.headers['content-type']).toBe('application/json');
});

test("Slack's incoming-webhook format carries text and a mrkdwn block naming the run and the audience", async () => {
  const { notify } = createNotifyActivities({ webhookUrl: receiver.url, format: 'slack', log: () => undefined });
  await notify(sample);
  const body = receiver.received.at(-1)!.body as { text: string; blocks: { type: string; text: { type: string; text: string } }[] };
  expect(body.text).toContain('*Approval needed: fail over*');
  expect(body.text).toContain('`region-failover/booking` (waiting-approval)');
  expect(body.text).toContain('For: bob, carol');
  expect(body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: body.text } }]);
});

test('a webhook that refuses (4xx) fails for good; a 5xx or an unreachable one is retried', async () => {
  const { notify } = createNotifyActivities({ webhookUrl: receiver.url, format: 'json', log: () => undefined });
  receiver.answerWith(404);
  const refused = await notify(sample).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect((refused as ApplicationFailure).nonRetryable).toBe(true);
  receiver.answerWith(503);
  const unavailable = await notify(sample).catch((e: unknown) => e);
  expect(unavailable).not.toBeInstanceOf(ApplicationFailure);
  expect((unavailable as Error).message).toBe('webhook answered HTTP 503');
  receiver.answerWith(200);
  const unreachable = createNotifyActivities({ webhookUrl: 'http://127.0.0.1:1/hook', log: () => undefined });
  await expect(unreachable.notify(sample)).rejects.toThrow(/webhook http:\/\/127\.0\.0\.1:1\/hook unreachable/);
});

test('with no webhook configured, notifications go to the worker log', async () => {
  const lines: string[] = [];
  const config = notifyConfigFromEnv({}, (message) => lines.push(message));
  await createNotifyActivities(config).notify(sample);
  expect(lines).toEqual(['[approval-needed] Approval needed: fail over: 2 approvals from group sre-leads']);
  expect(() => notifyConfigFromEnv({ LIFEBOAT_WEBHOOK_FORMAT: 'teams' }, () => undefined)).toThrow('LIFEBOAT_WEBHOOK_FORMAT is "teams"; set it to json or slack');
});

let ctx: TemporalTestContext;
beforeAll(async () => {
  ctx = await connectToTestServer();
});
afterAll(async () => ctx?.close());

test('a real run posts approval-needed and run-finished to the webhook', async () => {
  const taskQueue = testTaskQueue();
  const worker = await Worker.create({
    connection: ctx.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('testBundlePath') },
    activities: createActivities({ rosterPath: sampleRosterPath, notify: { webhookUrl: receiver.url, format: 'json', log: () => undefined }, catalogPath: '/nonexistent/catalog.json' }),
  });
  await worker.runUntil(async () => {
    const team = 'sre-leads';
    const handle = await ctx.client.workflow.start('pagingCheck', {
      taskQueue,
      workflowId: `paging-check/notify-${taskQueue}`,
      args: [{ input: { team }, requestedBy: 'alice' }],
    });
    await waitForStatus(handle, (s) => s.state === 'waiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'carol' }] });
    const result = (await handle.result()) as RunResult;
    expect(result.state).toBe('succeeded');
    const mine = receiver.received.map((r) => r.body as Notification).filter((n) => n.runId === handle.workflowId);
    expect(mine.map((n) => n.kind)).toEqual(['info', 'approval-needed', 'info', 'run-finished']);
    expect(mine[1]!.audience).toEqual(['bob', 'carol']);
  });
});
