import { randomUUID } from 'node:crypto';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { streamBoundsFromEnv } from '../../cli/console/live-streams';
import { startConsoleServer, type ConsoleServer } from '../../cli/console/server';
import { openRun, openConsoleTestbed, type ConsoleTestbed, type PersonBrowser } from '../helpers/console';
import { connectToTestServer, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * Live-update streams are bounded per address and overall. A flood of them from one address (or from many) leaves
 * other viewers a stream or, past the overall bound, polling; and reading a run or approving it is never refused.
 * The flood comes from other loopback addresses (127.0.0.x), the browser from 127.0.0.1.
 */

const suffix = randomUUID().slice(0, 8);
let ctx: TemporalTestContext;
let bed: ConsoleTestbed;
let bob: PersonBrowser;
let carol: PersonBrowser;
const opened: ClientRequest[] = [];

beforeAll(async () => {
  ctx = await connectToTestServer('console');
  bed = await openConsoleTestbed(ctx);
  bob = await bed.person('bob');
  carol = await bed.person('carol', { enrol: false });
}, 120_000);

afterAll(async () => {
  for (const req of opened) req.destroy();
  await bed?.close();
  await ctx?.close();
});

/** A kit-exercise run requested by alice, waiting at its two-lead gate. */
async function runAtGate(name: string): Promise<string> {
  const runId = `kit-exercise/${name}-${suffix}`;
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue: bed.taskQueue,
    workflowId: runId,
    args: [{ input: { target: `${name}-${suffix}` }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  return runId;
}

interface Answer {
  status: number;
  body: string;
  /** For a stream that opened: what it asks a reverse proxy about buffering (X-Accel-Buffering). */
  proxyBuffering?: string;
}

/** GETs a path from a given local address; a stream that opens (200) is kept open, anything else is read whole. */
function get(server: ConsoleServer, path: string, from: string): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path, localAddress: from, agent: false, headers: { host: `localhost:${server.port}` } },
      (res: IncomingMessage) => {
        if (res.statusCode === 200 && res.headers['content-type']?.startsWith('text/event-stream')) {
          opened.push(req);
          resolveAnswer({ status: 200, body: '', proxyBuffering: String(res.headers['x-accel-buffering']) });
          return;
        }
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens `count` streams on a run, from the addresses given in turn, and says how many of each status came back. */
async function flood(server: ConsoleServer, runId: string, count: number, from: (i: number) => string) {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => get(server, `/api/events?run=${encodeURIComponent(runId)}`, from(i))));
  const tally: Record<number, number> = {};
  for (const a of answers) tally[a.status] = (tally[a.status] ?? 0) + 1;
  return { tally, answers };
}

/** Whether the page read the run by polling (/api/run) rather than through its live stream alone. */
function polled(person: PersonBrowser): Promise<boolean> {
  return person.page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/api/run?run=')));
}

/** bob approves from his page; carol's page (watching live, or polling) shows the vote without a reload. */
async function approveWhileCarolWatches(server: ConsoleServer, runId: string): Promise<void> {
  await openRun(bob, server.url, runId);
  await openRun(carol, server.url, runId);
  await carol.page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  await bob.page.locator('#approve').click();
  await expect(bob.page.locator('#decision-ok').textContent()).resolves.toBe('bob approved: gate approve is open (1/2)');
  await expect.poll(() => carol.page.locator('#gate-count').textContent(), { timeout: 20_000 }).toBe('1 of 2');
  expect(await carol.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
}

test('200 streams from one address: 4 open, the rest get 429 saying why; another viewer still follows the run live and bob approves', async () => {
  const runId = await runAtGate('bounds-one-address');
  const { tally, answers } = await flood(bed.server, runId, 200, () => '127.0.0.7');
  expect(tally).toEqual({ 200: 4, 429: 196 });
  // Behind nginx, a stream that asked for no buffering reaches the page event by event.
  expect(answers.filter((a) => a.status === 200).map((a) => a.proxyBuffering)).toEqual(['no', 'no', 'no', 'no']);
  expect(JSON.parse(answers.find((a) => a.status === 429)!.body)).toMatchObject({
    error: { message: expect.stringMatching(/this address already has 4 live pages open, the most it may \(LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT\)/) },
  });

  // Another address still gets a stream of its own, and reads and pages still answer.
  expect((await get(bed.server, `/api/events?run=${encodeURIComponent(runId)}`, '127.0.0.8')).status).toBe(200);
  const run = await get(bed.server, `/api/run?run=${encodeURIComponent(runId)}`, '127.0.0.7');
  expect(run.status).toBe(200);
  expect(JSON.parse(run.body)).toMatchObject({ status: { runId, state: 'waiting-approval' } });
  expect((await get(bed.server, '/', '127.0.0.7')).status).toBe(200);

  await approveWhileCarolWatches(bed.server, runId);
  // The browser's address had room, so carol's page followed the run over its stream, without polling.
  expect(await polled(carol)).toBe(false);
}, 90_000);

test('past the overall bound streams get 503 and the page polls instead; reading, the page and a signed approval all still go through', async () => {
  const bounded = await startConsoleServer({
    client: ctx.rawClient,
    namespace: ctx.namespace,
    taskQueue: bed.taskQueue,
    host: '127.0.0.1',
    port: 0,
    rosterPath: bed.rosterPath,
    rpId: 'localhost',
    drillControls: false,
    pollMs: 250,
    streamBounds: streamBoundsFromEnv({ LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT: '2', LIFEBOAT_CONSOLE_STREAMS_TOTAL: '10' }),
  });
  try {
    const runId = await runAtGate('bounds-overall');
    // 200 streams from 50 addresses, 4 each: 2 per address until 10 in all are open.
    const { tally, answers } = await flood(bounded, runId, 200, (i) => `127.0.1.${1 + (i % 50)}`);
    expect(tally[200]).toBe(10);
    expect((tally[429] ?? 0) + (tally[503] ?? 0)).toBe(190);
    expect(JSON.parse(answers.find((a) => a.status === 503)!.body)).toMatchObject({
      error: { message: expect.stringMatching(/the console already serves 10 live pages, the most it may \(LIFEBOAT_CONSOLE_STREAMS_TOTAL\)/) },
    });
    expect((await get(bounded, `/api/run?run=${encodeURIComponent(runId)}`, '127.0.2.1')).status).toBe(200);
    expect((await get(bounded, '/', '127.0.2.1')).status).toBe(200);

    // carol's page is refused its stream and polls; it still shows bob's vote without a reload.
    await approveWhileCarolWatches(bounded, runId);
    expect(await polled(carol)).toBe(true);
  } finally {
    await bounded.close();
  }
}, 90_000);

test('a bound set to something that is not a whole number is refused, naming the variable', () => {
  expect(() => streamBoundsFromEnv({ LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT: 'lots' })).toThrow(
    /LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT is "lots", not a whole number from 1 to 10000/,
  );
  expect(() => streamBoundsFromEnv({ LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT: '9', LIFEBOAT_CONSOLE_STREAMS_TOTAL: '8' })).toThrow(/is more than/);
  expect(streamBoundsFromEnv({})).toEqual({ perClient: 4, total: 64 });
});
