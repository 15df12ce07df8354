import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ConsoleServer } from '../../cli/console/server';
import { openConsoleTestbed, openRun, saveScreenshot, type ConsoleTestbed, type PersonBrowser } from '../helpers/console';
import { lifeboatInProcess } from '../helpers/cli';
import { closeRunbookSuite, openRunbookSuite, type RunbookSuite } from '../helpers/runbook-suite';
import { testTaskQueue, waitForStatus } from '../helpers/temporal';
import { estateAdapters } from '../../dev/estate/adapters';

const runId = 'region-failover/booking';
let suite: RunbookSuite;
let bed: ConsoleTestbed;
let consoleServer: ConsoleServer;
let taskQueue: string;
const people: Record<string, PersonBrowser> = {};

beforeAll(async () => {
  suite = await openRunbookSuite({ fleetHosts: 2 }, 'console-failover');
  bed = await openConsoleTestbed(suite.ctx, suite.targetsPath);
  ({ server: consoleServer, taskQueue } = bed);
  // dave, of airline operations, answers from his phone.
  people.dave = await bed.person('dave', { phone: true });
  for (const who of ['bob', 'carol']) people[who] = await bed.person(who);
}, 180_000);

afterAll(async () => {
  await bed?.close();
  await closeRunbookSuite(suite ?? {}, [runId, 'manual-booking-mode/booking']);
});

test('a planned region failover approved by two SRE leads from the console completes, and lifeboat verify shows both passkey-signed approvals', async () => {
  const cli = (args: string[]) => lifeboatInProcess(args, { TEMPORAL_ADDRESS: suite.ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
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

test('dave switches booking to manual mode from his phone and, from the same page, starts the return, approves it and decides the conflicts', async () => {
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
  // Online bookings before the switch, in the region booking is served from (B, after the failover above).
  const region = String((await waitForStatus(handle, (s) => typeof s.details.region === 'string')).details.region).split(' ')[0]!;
  const booking = estateAdapters(suite.estate.catalog);
  await booking.createBooking({ region, idempotencyKey: 'on-ann', flight: 'LB500', seat: '1A', passenger: 'Ann Online' });
  await booking.createBooking({ region, idempotencyKey: 'on-cy', flight: 'LB501', seat: '1A', passenger: 'Cy Online' });
  await dave.page.locator('#approve').click();
  await expect.poll(() => dave.page.locator('#decision-ok').textContent()).toMatch(/^dave approved: gate approveEntry is approved/);

  // Holding: the counters book by hand, and the page offers the return, signed with the same passkey.
  await expect.poll(() => dave.page.locator('#resume-box').isVisible(), { timeout: 60_000 }).toBe(true);
  const counter = (station: string, idempotencyKey: string, flight: string, seat: string, passenger: string) =>
    booking.appendLedger({ region, station, idempotencyKey, flight, seat, passenger });
  await counter('ATL-T1', 'tk-gil', 'LB500', '1A', 'Gil'); // Ann booked 1A online first
  // A flight the database does not know, and a passenger name a counter typed with markup in it.
  await counter('ATL-T1', 'tk-ivy', 'LB999', '1A', '<img src=x onerror="document.title=\'pwned\'">Ivy');
  await counter('ATL-T1', 'tk-jay', 'LB501', '7D', 'Jay');
  await counter('DTW-T2', 'tk-kim', 'LB501', '7D', 'Kim'); // two counters, one seat: Jay was first
  await dave.page.locator('#comment').fill('database is back, stations confirmed');
  await dave.page.locator('#resume').click();
  await expect.poll(() => dave.page.locator('#decision-ok').textContent()).toMatch(/^dave asked to return to normal; database: /);
  await expect.poll(() => dave.page.locator('#gate-count').textContent(), { timeout: 60_000 }).toBe('0 of 1');
  await dave.page.locator('#approve').click();

  // Reconciliation applies what it can and asks about the rest: dave decides one conflict, then lets the rule take the others.
  await expect.poll(() => dave.page.locator('#conflicts-summary').textContent(), { timeout: 60_000 }).toBe('3 open of 3');
  await dave.page.locator('#conflicts').scrollIntoViewIfNeeded();
  await saveScreenshot(dave.page, 'conflicts-390x844');
  const rows = () => dave.page.locator('#conflicts-open li').evaluateAll((li) => li.map((l) => [l.getAttribute('data-conflict'), l.textContent]));
  const [gil, ivy, kim] = (await rows()).map(([id]) => id!);
  expect((await rows()).map(([, text]) => text)).toEqual([
    expect.stringMatching(/^c1 · seat-taken · .*\(earliest wins: keep-database\)Keep the database's \(signed\)Keep the counter's \(signed\)/),
    expect.stringMatching(/^c2 · unknown-flight · flight LB999 \(<img src=x onerror="document.title='pwned'">Ivy, .*Discard the entry \(signed\)$/),
    expect.stringMatching(/^c3 · seat-taken · .*\(earliest wins: keep-database\)/),
  ]);
  // The name is shown as the characters typed: no image, nothing run.
  expect(await dave.page.locator('#conflicts img').count()).toBe(0);
  expect(await dave.page.title()).not.toBe('pwned');
  await dave.page.locator('#conflicts-comment').fill('LB999 is a typo for a charter; the desk rebooked Ivy');
  await dave.page.locator(`#conflicts-open li[data-conflict="${ivy}"] button[data-decision="discard"]`).click();
  await expect.poll(() => dave.page.locator('#conflicts-ok').textContent()).toBe(`dave decided ${ivy}: discard; 2 conflicts still open`);
  await expect.poll(() => dave.page.locator('#conflicts-summary').textContent()).toBe('2 open of 3');
  await dave.page.locator('#conflicts-earliest').click();
  await expect
    .poll(() => dave.page.locator('#conflicts-ok').textContent())
    .toBe(`dave decided ${gil}: keep-database, ${kim}: keep-database; 0 conflicts still open`);

  await expect.poll(() => dave.page.locator('#run-head [data-state]').first().getAttribute('data-state'), { timeout: 120_000 }).toBe('succeeded');
  await expect
    .poll(() => dave.page.locator('#conflicts-decided li').allTextContents())
    .toEqual([`${gil}: keep-database by dave (earliest wins)`, `${ivy}: discard by dave`, `${kim}: keep-database by dave (earliest wins)`]);
  const result = (await handle.result()) as { audit: { actor: string; action: string; verified?: { keyType: string } }[] };
  expect(result.audit.filter((a) => a.actor === 'dave' && a.verified).map((a) => [a.action, a.verified!.keyType])).toEqual([
    ['approved', 'webauthn-es256'],
    ['resume', 'webauthn-es256'],
    ['approved', 'webauthn-es256'],
    ['conflict-resolved', 'webauthn-es256'],
    ['conflict-resolved', 'webauthn-es256'],
    ['conflict-resolved', 'webauthn-es256'],
  ]);
  // As dave and the rule decided: Ann keeps 1A and Jay 7D, Gil and Kim are booked on other seats, Ivy's entry is dropped.
  const seatOf = async (flight: string, key: string) =>
    (await booking.flightSeats({ region, flight })).seats.find((seat) => seat.booked && seat.idempotencyKey === key)?.seat;
  expect(await seatOf('LB500', 'on-ann')).toBe('1A');
  expect(await seatOf('LB500', 'tk-gil')).toMatch(/^(?!1A$)\d+[A-F]$/);
  expect(await seatOf('LB501', 'tk-jay')).toBe('7D');
  expect(await seatOf('LB501', 'tk-kim')).toMatch(/^(?!7D$)\d+[A-F]$/);
  expect(await booking.getBooking({ region, idempotencyKey: 'tk-ivy' })).toBeNull();
}, 240_000);
