import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ConsoleServer } from '../../cli/console/server';
import { copyTestRoster, enrolPasskey, launchChromium, openAs, openRun, startConsoleWorker, startTestConsole, type PersonBrowser } from '../helpers/console';
import { lifeboat } from '../helpers/cli';
import { closeRunbookSuite, openRunbookSuite, type RunbookSuite } from '../helpers/runbook-suite';
import { testTaskQueue } from '../helpers/temporal';

const runId = 'region-failover/booking';
let suite: RunbookSuite;
let browser: Browser;
let consoleServer: ConsoleServer;
let worker: Awaited<ReturnType<typeof startConsoleWorker>>;
let taskQueue: string;
const people: Record<string, PersonBrowser> = {};

beforeAll(async () => {
  const rosterPath = copyTestRoster();
  taskQueue = testTaskQueue();
  suite = await openRunbookSuite({ fleetHosts: 2 }, 'console-failover');
  [browser, consoleServer, worker] = await Promise.all([
    launchChromium(),
    startTestConsole(suite.ctx, taskQueue, rosterPath),
    startConsoleWorker(suite.ctx, taskQueue, rosterPath, suite.targetsPath),
  ]);
  // dave, of airline operations, answers from his phone.
  people.dave = await openAs(browser, consoleServer.url, 'dave', { width: 390, height: 844 });
  await enrolPasskey(people.dave, consoleServer.url, rosterPath);
  for (const who of ['bob', 'carol']) {
    people[who] = await openAs(browser, consoleServer.url, who);
    await enrolPasskey(people[who]!, consoleServer.url, rosterPath);
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await worker?.stop();
  await closeRunbookSuite(suite ?? {}, [runId, 'manual-booking-mode/booking']);
});

test('a planned region failover approved by two SRE leads from the console completes, and lifeboat verify shows both passkey-signed approvals', async () => {
  const cli = (args: string[]) => lifeboat(args, { TEMPORAL_ADDRESS: suite.ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
  const started = await cli(['run', 'region-failover', '--set', 'service=booking', '--set', 'mode=planned', '--as', 'alice']);
  expect(started.stderr).toBe('');
  const { bob, carol } = { bob: people.bob!, carol: people.carol! };
  await openRun(bob, consoleServer.url, runId);
  await openRun(carol, consoleServer.url, runId);
  await expect.poll(() => bob.page.locator('#may-vote').textContent(), { timeout: 60_000 }).toBe('bob, carol');

  await bob.page.locator('#comment').fill('standby lag checked');
  await bob.page.locator('#approve').click();
  await expect.poll(() => bob.page.locator('#decision-ok').textContent()).toBe('bob approved: gate approve is open (1/2)');
  await carol.page.locator('#approve').click();
  await expect.poll(() => carol.page.locator('#decision-ok').textContent()).toBe('carol approved: gate approve is approved');

  // carol's page, never reloaded, follows the run to its end: promote, switch traffic, verify.
  await expect.poll(() => carol.page.locator('#run-head [data-state]').first().getAttribute('data-state'), { timeout: 120_000 }).toBe('succeeded');
  expect(await carol.page.locator('#steps tbody tr[data-step="switchTraffic"]').getAttribute('data-status')).toBe('succeeded');
  expect(await carol.page.locator('#objectives-table').textContent()).toMatch(/RTO.*met/);

  const verified = await cli(['verify', runId, '--json']);
  expect(verified.stderr).toBe('');
  const report = JSON.parse(verified.stdout) as {
    ok: boolean;
    decisions: { kind?: string; signer: string; keyType?: string; fingerprint?: string; result: string }[];
  };
  expect(report.ok).toBe(true);
  const approvals = report.decisions.filter((d) => d.kind === 'approve');
  expect(approvals.map((d) => [d.signer, d.keyType, d.result])).toEqual([
    ['bob', 'webauthn-es256', 'verified'],
    ['carol', 'webauthn-es256', 'verified'],
  ]);
  const text = await cli(['verify', runId]);
  for (const d of approvals)
    expect(text.stdout).toMatch(
      new RegExp(`approve +${d.signer} +gate approve +passkey ${d.fingerprint!.replace(/[+/]/g, '\\$&')} +sha256:[0-9a-f]{12} +VERIFIED`),
    );
  const status = await cli(['status', runId]);
  expect(status.stdout).toContain(`verified, passkey ${approvals[1]!.fingerprint}`);
  expect(text.stdout).toMatch(/OK: every decision the run counted verifies/);

  // The report the page links to names both approvals with their passkeys' fingerprints.
  const html = await carol.page.request.get(`${consoleServer.url}${await carol.page.locator('#report-link').getAttribute('href')}`);
  expect(html.headers()['content-security-policy']).toMatch(/default-src 'none'/);
  const body = await html.text();
  for (const d of approvals) expect(body).toContain(d.fingerprint!);
}, 240_000);

test('dave switches booking to manual mode from his phone and, from the same page, starts the return and approves it', async () => {
  const manual = 'manual-booking-mode/booking';
  const handle = await suite.ctx.client.workflow.start('manualBookingMode', {
    taskQueue,
    workflowId: manual,
    args: [
      {
        input: { reason: 'booking database outage', incident: 'INC-2407', stations: 'ATL-T1,DTW-T2', refreshMinutes: 1, databaseRecheckSeconds: 1 },
        requestedBy: 'alice',
      },
    ],
  });
  const dave = people.dave!;
  await openRun(dave, consoleServer.url, manual);
  await expect.poll(() => dave.page.locator('#may-vote').textContent(), { timeout: 60_000 }).toBe('dave');
  await dave.page.locator('#approve').click();
  await expect.poll(() => dave.page.locator('#decision-ok').textContent()).toMatch(/^dave approved: gate approveEntry is approved/);

  // Holding: the page offers the return, signed with the same passkey.
  await expect.poll(() => dave.page.locator('#resume-box').isVisible(), { timeout: 60_000 }).toBe(true);
  await dave.page.locator('#comment').fill('database is back, stations confirmed');
  await dave.page.locator('#resume').click();
  await expect.poll(() => dave.page.locator('#decision-ok').textContent()).toMatch(/^dave asked to return to normal; database: /);
  await expect.poll(() => dave.page.locator('#gate-count').textContent(), { timeout: 60_000 }).toBe('0 of 1');
  await dave.page.locator('#approve').click();
  await expect.poll(() => dave.page.locator('#run-head [data-state]').first().getAttribute('data-state'), { timeout: 120_000 }).toBe('succeeded');
  const result = (await handle.result()) as { audit: { actor: string; action: string; verified?: { keyType: string } }[] };
  expect(result.audit.filter((a) => a.actor === 'dave' && a.verified).map((a) => [a.action, a.verified!.keyType])).toEqual([
    ['approved', 'webauthn-es256'],
    ['resume', 'webauthn-es256'],
    ['approved', 'webauthn-es256'],
  ]);
}, 240_000);
