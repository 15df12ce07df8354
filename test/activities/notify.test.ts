import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createActivities } from '../../activities';
import { consoleLinkOf } from '../../activities/console-link';
import { createNotifyActivities, notifyConfigFromEnv } from '../../activities/notify';
import { freePort } from '../../lib/free-port';
import { approveUpdate, type RunResult, type Notification } from '../../kit';
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

/** Quick retries for tests; the defaults (3 attempts, 250 ms doubling, 5 s each, 20 s in all) are for real webhooks. */
const quick = { attempts: 3, backoffMs: 10, timeoutMs: 2_000, log: () => undefined };

/** A Slack-style webhook URL whose path is the secret, on the local receiver. */
const secretPath = '/services/T0LIFEBOAT/B0LIFEBOAT/sekrit-token-4Xy9';
const secretUrl = (origin: string) => `${origin}${secretPath}`;
/** Two loopback ports nobody listens on, for webhooks that are down. */
let down: [string, string];
let downUrl: string;
beforeAll(async () => {
  down = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
  downUrl = `${down[0]}${secretPath}-down`;
});

/** Everything a thrown failure carries into Temporal's history: message, stack, type and details. */
function carried(err: unknown): string {
  const f = err as ApplicationFailure;
  return JSON.stringify({ message: f.message, stack: f.stack, type: f.type, details: f.details, cause: String(f.cause ?? '') });
}

test('the JSON webhook receives the notification as it is, and the receipt names the webhook by its origin', async () => {
  const { notify } = createNotifyActivities({ ...quick, webhookUrls: [receiver.url], format: 'json' });
  const before = receiver.received.length;
  const receipt = await notify(sample);
  expect(receiver.received.slice(before)).toEqual([expect.objectContaining({ path: '/hook', body: sample })]);
  expect(receiver.received.at(-1)!.headers['content-type']).toBe('application/json');
  expect(receipt).toEqual({ deliveredBy: `webhook #1 (${new URL(receiver.url).origin})`, attempts: 1, failed: [] });
});

test("Slack's incoming-webhook format carries text and a mrkdwn block naming the run and the audience", async () => {
  const { notify } = createNotifyActivities({ ...quick, webhookUrls: [receiver.url], format: 'slack' });
  await notify(sample);
  const body = receiver.received.at(-1)!.body as { text: string; blocks: { type: string; text: { type: string; text: string } }[] };
  expect(body.text).toContain('*Approval needed: fail over*');
  expect(body.text).toContain('`region-failover/booking` (waiting-approval)');
  expect(body.text).toContain('For: bob, carol');
  expect(body.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: body.text } }]);
});

test('text from a run cannot become Slack markup: &, < and > are escaped, so no <!channel>, mention or link', async () => {
  const { notify } = createNotifyActivities({ ...quick, webhookUrls: [receiver.url], format: 'slack' });
  await notify({
    ...sample,
    title: 'Abort <!channel> & <!here>',
    text: 'reason: <https://evil.example/login|reset your password> ping <@U024BE7LH> <!subteam^SAZ94GDB8>',
    audience: ['<!everyone>'],
  });
  const body = receiver.received.at(-1)!.body as { text: string; blocks: { text: { text: string } }[] };
  for (const text of [body.text, body.blocks[0]!.text.text]) {
    expect(text).not.toMatch(/[<>]|&(?!amp;|lt;|gt;)/);
    expect(text).toContain('*Abort &lt;!channel&gt; &amp; &lt;!here&gt;*');
    expect(text).toContain('reason: &lt;https://evil.example/login|reset your password&gt; ping &lt;@U024BE7LH&gt; &lt;!subteam^SAZ94GDB8&gt;');
    expect(text).toContain('For: &lt;!everyone&gt;');
  }
});

/** A plan's approval-needed notice, as its gate sends it. */
const planNotice: Notification = {
  ...sample,
  runId: 'plan/evacuate-region/A',
  runbook: 'plan/evacuate-region',
  target: 'A',
  title: 'Approval needed: Two SRE leads and airline operations approve evacuating the region',
  text: '3 approvals from groups sre-leads, airline-ops. Approve with: lifeboat approve plan/evacuate-region/A',
};
const gatePage = 'https://lifeboat.example.com/ops/run/plan/evacuate-region/A#gate';

test("an approval notice links straight to the gate on the run's console page; an operator's to the step; others to the page", () => {
  expect(consoleLinkOf('https://lifeboat.example.com/ops/', planNotice)).toBe(gatePage);
  expect(consoleLinkOf('https://lifeboat.example.com', { kind: 'escalation', runId: 'region-failover/booking' })).toBe(
    'https://lifeboat.example.com/run/region-failover/booking#gate',
  );
  expect(consoleLinkOf('https://lifeboat.example.com', { kind: 'intervention-needed', runId: 'region-failover/booking' })).toBe(
    'https://lifeboat.example.com/run/region-failover/booking#intervention',
  );
  // Each segment is encoded as the console decodes it: a run ID cannot add a query, an anchor or another path.
  expect(consoleLinkOf('https://lifeboat.example.com', { kind: 'run-finished', runId: 'kit-exercise/a b?x=1#y' })).toBe(
    'https://lifeboat.example.com/run/kit-exercise/a%20b%3Fx%3D1%23y',
  );
  const config = notifyConfigFromEnv({ LIFEBOAT_CONSOLE_URL: ' https://lifeboat.example.com/ops/ ', LIFEBOAT_WEBHOOK_FORMAT: 'teams' }, () => undefined);
  expect(config).toMatchObject({ consoleUrl: 'https://lifeboat.example.com/ops/', format: 'teams' });
  expect(() => notifyConfigFromEnv({ LIFEBOAT_CONSOLE_URL: 'javascript:alert(1)' }, () => undefined)).toThrow(/^LIFEBOAT_CONSOLE_URL is not an http\(s\) URL/);
});

test("a plan's approval notice carries the gate's console link in the JSON, Slack and Teams formats, and no button that could approve", async () => {
  const consoleUrl = 'https://lifeboat.example.com/ops';
  const sent = async (format: 'json' | 'slack' | 'teams') => {
    await createNotifyActivities({ ...quick, webhookUrls: [receiver.url], format, consoleUrl }).notify(planNotice);
    return receiver.received.at(-1)!.body;
  };
  expect(await sent('json')).toEqual({ ...planNotice, consoleLink: gatePage });

  const slack = (await sent('slack')) as { text: string; blocks: { type: string }[] };
  expect(slack.text.split('\n').at(-1)).toBe(`<${gatePage}|Open the gate in the Lifeboat console (approve there with your passkey)>`);
  expect(slack.blocks.map((b) => b.type)).toEqual(['section']);

  const teams = (await sent('teams')) as { type: string; attachments: { contentType: string; content: { type: string; body: { text: string }[] } }[] };
  expect(teams.type).toBe('message');
  expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  const card = teams.attachments[0]!.content;
  expect(card.type).toBe('AdaptiveCard');
  expect(card.body.map((b) => b.text)).toEqual([
    '**Approval needed: Two SRE leads and airline operations approve evacuating the region**',
    'plan/evacuate-region/A (waiting-approval)',
    '3 approvals from groups sre-leads, airline-ops. Approve with: lifeboat approve plan/evacuate-region/A',
    'For: bob, carol',
    `[Open the gate in the Lifeboat console (approve there with your passkey)](${gatePage})`,
  ]);
  // The chat carries no authority: a card with actions (Action.Submit, Action.Http, even Action.OpenUrl) would look as if it did.
  for (const body of [slack, teams]) expect(JSON.stringify(body)).not.toMatch(/"actions"|Action\.|"button"/);
});

test('text from a run cannot become Teams markup: a link, bold or italics in it shows as typed', async () => {
  await createNotifyActivities({ ...quick, webhookUrls: [receiver.url], format: 'teams' }).notify({
    ...sample,
    text: 'reason: [reset your password](https://evil.example/login) **now** _please_',
  });
  const teams = receiver.received.at(-1)!.body as { attachments: { content: { body: { text: string }[] } }[] };
  const texts = teams.attachments[0]!.content.body.map((b) => b.text);
  expect(texts).toContain('reason: \\[reset your password\\]\\(https://evil.example/login\\) \\*\\*now\\*\\* \\_please\\_');
  // Without a console address there is no link at all.
  expect(texts.some((t) => t.includes('Lifeboat console'))).toBe(false);
});

test('a webhook that refuses (4xx) fails for good; a 5xx is retried a few times, then Temporal may retry', async () => {
  const { notify } = createNotifyActivities({ ...quick, webhookUrls: [receiver.url], format: 'json' });
  receiver.answerWith(404);
  const before = receiver.received.length;
  const refused = await notify(sample).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect((refused as ApplicationFailure).nonRetryable).toBe(true);
  expect((refused as ApplicationFailure).type).toBe('NotReachable');
  expect(receiver.received.length - before).toBe(1);
  receiver.answerWith(503);
  const unavailable = await notify(sample).catch((e: unknown) => e);
  expect((unavailable as ApplicationFailure).nonRetryable).toBe(false);
  expect((unavailable as Error).message).toBe(`notification not delivered: webhook #1 (${new URL(receiver.url).origin}): HTTP 503 nope (3 attempts)`);
  expect(receiver.received.length - before).toBe(4);
  receiver.answerWith(200);
});

test('a webhook that fails once is retried within the activity and delivers', async () => {
  const flaky = await startFlakyReceiver(2);
  try {
    const receipt = await createNotifyActivities({ ...quick, webhookUrls: [flaky.url] }).notify(sample);
    expect(receipt).toEqual({ deliveredBy: `webhook #1 (${new URL(flaky.url).origin})`, attempts: 3, failed: [] });
    expect(flaky.calls()).toBe(3);
  } finally {
    await flaky.close();
  }
});

test("the webhook URL's secret path is in no result, failure, stack or log line, whether the webhook answers 500 or is down", async () => {
  const logged: string[] = [];
  const log = (message: string, fields: Record<string, unknown>) => void logged.push(message + JSON.stringify(fields));
  receiver.answerWith(500);
  const failing = createNotifyActivities({ ...quick, log, webhookUrls: [secretUrl(new URL(receiver.url).origin), downUrl], format: 'slack' });
  const err = await failing.notify(sample).catch((e: unknown) => e);
  receiver.answerWith(200);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(carried(err)).not.toMatch(/sekrit|T0LIFEBOAT|services/);
  expect(logged.join('\n')).not.toMatch(/sekrit|T0LIFEBOAT|services/);
  // A URL with a password, which fetch refuses with an error that quotes it.
  const withPassword = `http://hook:sekrit-pass@${down[0].slice('http://'.length)}${secretPath}`;
  const refused = await createNotifyActivities({ ...quick, log, webhookUrls: [withPassword] })
    .notify(sample)
    .catch((e: unknown) => e);
  expect((refused as Error).message).toMatch(
    new RegExp(
      `^notification not delivered: webhook #1 \\(${down[0]}\\): cannot post \\(Request cannot be constructed from a URL that includes credentials: …\\)$`,
    ),
  );
  expect((refused as ApplicationFailure).nonRetryable).toBe(true);
  expect(carried(refused)).not.toMatch(/sekrit|T0LIFEBOAT|services/);
  const delivered = await createNotifyActivities({ ...quick, log, webhookUrls: [downUrl, secretUrl(new URL(receiver.url).origin)] }).notify(sample);
  expect(JSON.stringify(delivered)).not.toMatch(/sekrit|T0LIFEBOAT|services/);
  expect(receiver.received.at(-1)!.path).toBe(secretPath);
});

test('the first webhook down, the second up: the second delivers, and the receipt says what failed first', async () => {
  const origin = new URL(receiver.url).origin;
  const lines: string[] = [];
  const receipt = await createNotifyActivities({ ...quick, log: (m) => void lines.push(m), webhookUrls: [downUrl, secretUrl(origin)] }).notify(sample);
  expect(receipt).toEqual({
    deliveredBy: `webhook #2 (${origin})`,
    attempts: 1,
    failed: [{ channel: `webhook #1 (${down[0]})`, error: 'unreachable (ECONNREFUSED)', attempts: 3, permanent: false }],
  });
  expect(lines).toEqual([`notification delivered by webhook #2 (${origin}) after: webhook #1 (${down[0]}): unreachable (ECONNREFUSED) (3 attempts)`]);
});

test('both webhooks down: the failure names each one and why, and the notification is kept in the worker log', async () => {
  const lines: string[] = [];
  const err = await createNotifyActivities({ ...quick, log: (m) => void lines.push(m), webhookUrls: [downUrl, `${down[1]}${secretPath}`] })
    .notify(sample)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.message).toBe(
    `notification not delivered: webhook #1 (${down[0]}): unreachable (ECONNREFUSED) (3 attempts); webhook #2 (${down[1]}): unreachable (ECONNREFUSED) (3 attempts)`,
  );
  expect(failure.type).toBe('NotReachable');
  expect(failure.nonRetryable).toBe(false);
  expect(failure.details).toEqual([
    [
      { channel: `webhook #1 (${down[0]})`, error: 'unreachable (ECONNREFUSED)', attempts: 3, permanent: false },
      { channel: `webhook #2 (${down[1]})`, error: 'unreachable (ECONNREFUSED)', attempts: 3, permanent: false },
    ],
  ]);
  expect(lines).toEqual([
    `${failure.message.replace('notification not delivered: ', 'notification not delivered (')}): [approval-needed] Approval needed: fail over: 2 approvals from group sre-leads`,
  ]);
});

test('a webhook that never answers is given up within the budget, and the next channel still gets its turn', async () => {
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    const started = Date.now();
    const receipt = await createNotifyActivities({ ...quick, timeoutMs: 300, budgetMs: 2_000, webhookUrls: [`${origin}/hang`, receiver.url] }).notify(sample);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(receipt.deliveredBy).toBe(`webhook #2 (${new URL(receiver.url).origin})`);
    expect(receipt.failed).toEqual([{ channel: `webhook #1 (${origin})`, error: 'no answer within 0.3s', attempts: 1, permanent: false }]);
  } finally {
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  }
});

test('a notify command after the webhooks gets the notification on stdin and none of the worker secrets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-notify-'));
  const saved = { TEMPORAL_API_KEY: process.env.TEMPORAL_API_KEY, LIFEBOAT_WEBHOOK_URL: process.env.LIFEBOAT_WEBHOOK_URL };
  process.env.TEMPORAL_API_KEY = 'sekrit-api-key';
  process.env.LIFEBOAT_WEBHOOK_URL = downUrl;
  try {
    const command = `cat > ${join(dir, 'stdin.json')}; env > ${join(dir, 'env.txt')}`;
    const receipt = await createNotifyActivities({ ...quick, webhookUrls: [downUrl], command }).notify(sample);
    expect(receipt.deliveredBy).toBe('notify command');
    expect(receipt.failed.map((f) => f.channel)).toEqual([`webhook #1 (${down[0]})`]);
    expect(JSON.parse(readFileSync(join(dir, 'stdin.json'), 'utf8'))).toEqual(sample);
    const env = readFileSync(join(dir, 'env.txt'), 'utf8');
    expect(env).toMatch(/^PATH=/m);
    expect(env).not.toMatch(/TEMPORAL_API_KEY|LIFEBOAT_WEBHOOK_URL|sekrit/);
    const logged: unknown[] = [];
    const failing = await createNotifyActivities({ ...quick, log: (_, fields) => void logged.push(fields), command: 'echo "oops" >&2; exit 3' })
      .notify(sample)
      .catch((e: unknown) => e);
    expect((failing as Error).message).toBe('notification not delivered: notify command: exit 3 (3 attempts)');
    expect(logged).toContainEqual({ stderr: 'oops' });
    // A command that hangs is killed with everything it started, within the attempt's time.
    const started = Date.now();
    const hung = await createNotifyActivities({ ...quick, timeoutMs: 300, command: `(sleep 30; touch ${join(dir, 'late')}) & wait` })
      .notify(sample)
      .catch((e: unknown) => e);
    expect((hung as Error).message).toBe('notification not delivered: notify command: no exit within 0.3s');
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with no channel configured, notifications go to the worker log, control characters made visible', async () => {
  const lines: string[] = [];
  const config = notifyConfigFromEnv({}, (message) => lines.push(message));
  expect(await createNotifyActivities(config).notify(sample)).toEqual({ deliveredBy: 'worker log', attempts: 1, failed: [] });
  await createNotifyActivities(config).notify({ ...sample, text: 'reason \x1b]0;pwned\x07\x1b[2J\nnext' });
  expect(lines).toEqual([
    '[approval-needed] Approval needed: fail over: 2 approvals from group sre-leads',
    '[approval-needed] Approval needed: fail over: reason \\x1b]0;pwned\\x07\\x1b[2J\\nnext',
  ]);
  expect(() => notifyConfigFromEnv({ LIFEBOAT_WEBHOOK_FORMAT: 'discord' }, () => undefined)).toThrow(
    'LIFEBOAT_WEBHOOK_FORMAT is "discord"; set it to json, slack or teams',
  );
});

test('the configuration takes several webhooks, in order, and a command; a malformed URL is named by position, not quoted', () => {
  const config = notifyConfigFromEnv(
    {
      LIFEBOAT_WEBHOOK_URL: 'https://a.example/1, https://b.example/2',
      LIFEBOAT_WEBHOOK_URLS: 'https://c.example/3,https://a.example/1',
      LIFEBOAT_NOTIFY_COMMAND: ' page-oncall ',
    },
    () => undefined,
  );
  expect(config).toEqual(
    expect.objectContaining({ webhookUrls: ['https://a.example/1', 'https://b.example/2', 'https://c.example/3'], command: 'page-oncall', format: 'json' }),
  );
  expect(() => notifyConfigFromEnv({ LIFEBOAT_WEBHOOK_URL: 'https://a.example/1,hooks.example/sekrit' }, () => undefined)).toThrow(
    /^webhook #2 in LIFEBOAT_WEBHOOK_URL\(S\) is not an http\(s\) URL; separate several with commas$/,
  );
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
    activities: createActivities({
      rosterPath: inject('testRosterPath'),
      notify: { webhookUrls: [receiver.url], format: 'json', log: () => undefined },
      targetsPath: '/nonexistent/lifeboat.targets.json',
    }),
  });
  await worker.runUntil(async () => {
    const team = 'sre-leads';
    const handle = await ctx.client.workflow.start('pagingCheck', {
      taskQueue,
      workflowId: `paging-check/${team}`,
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

/** A receiver that answers 503 to its first `failures` posts and 200 after. */
async function startFlakyReceiver(failures: number) {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.statusCode = calls <= failures ? 503 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    calls: () => calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test("a run whose webhook is down keeps the webhook's secret out of its history, status and audit trail", async () => {
  const taskQueue = testTaskQueue();
  const worker = await Worker.create({
    connection: ctx.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('testBundlePath') },
    activities: createActivities({
      rosterPath: inject('testRosterPath'),
      notify: { ...quick, webhookUrls: [downUrl], format: 'slack' },
      targetsPath: '/nonexistent/lifeboat.targets.json',
    }),
  });
  await worker.runUntil(async () => {
    const handle = await ctx.client.workflow.start('pagingCheck', {
      taskQueue,
      workflowId: 'paging-check/sre-leads',
      args: [{ input: { team: 'sre-leads' }, requestedBy: 'alice' }],
    });
    try {
      const status = await waitForStatus(handle, (s) => s.state === 'needs-intervention' && s.audit.some((a) => a.action === 'notification-failed'));
      expect(status.intervention!.error).toContain(`notification not delivered: webhook #1 (${down[0]}): unreachable (ECONNREFUSED)`);
      expect(JSON.stringify(status)).not.toMatch(/sekrit|T0LIFEBOAT|services/);
      const history = JSON.stringify(await handle.fetchHistory(), (_, v: unknown) =>
        v instanceof Uint8Array
          ? Buffer.from(v).toString('utf8')
          : (v as { type?: string; data?: number[] })?.type === 'Buffer'
            ? Buffer.from((v as { data: number[] }).data).toString('utf8')
            : v,
      );
      expect(history).toContain('notification not delivered');
      expect(history).not.toMatch(/sekrit|T0LIFEBOAT|services/);
    } finally {
      await handle.terminate('test over');
    }
  });
});
