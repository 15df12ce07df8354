import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ConsoleServer } from '../../cli/console/server';
import { createFleetServer } from '../../estate/fleet/server';
import { createHttpFleet } from '../../providers/http/fleet';
import type { RunResult } from '../../kit';
import type { IsolationReport } from '../../workflows/vendor-isolation/report';
import { handsOnOf, runWaitingForHands } from '../helpers/hands-on';
import { lifeboatInProcess } from '../helpers/cli';
import { openConsoleTestbed, openRun, saveScreenshot, type ConsoleTestbed, type PersonBrowser } from '../helpers/console';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * A field team at an airport, with no terminal, closes the kiosks it repaired from the console on a phone: ticks the
 * hosts, signs with a passkey. The sample fleet of 100 hosts leaves 8 BitLocker hosts in region B for people to repair.
 */

let ctx: TemporalTestContext;
let bed: ConsoleTestbed;
let consoleServer: ConsoleServer;
let fleetServer: ReturnType<typeof createFleetServer>;
let fleetUrl: string;
let dir: string;
let taskQueue: string;
const people: Record<string, PersonBrowser> = {};

beforeAll(async () => {
  ctx = await connectToTestServer('console-hands-on');
  fleetServer = createFleetServer(100);
  await new Promise<void>((r) => fleetServer.server.listen(0, '127.0.0.1', () => r()));
  fleetUrl = `http://127.0.0.1:${(fleetServer.server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-console-hands-on-'));
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: {}, fleet: { provider: 'http', url: fleetUrl } }));
  bed = await openConsoleTestbed(ctx, targetsPath);
  ({ server: consoleServer, taskQueue } = bed);
  // erin is on call and answers from her phone; dave, of airline operations, may approve other runbooks but not steer this one.
  people.erin = await bed.person('erin', { phone: true });
  people.dave = await bed.person('dave', { phone: true });
}, 180_000);

afterAll(async () => {
  await bed?.close();
  await fleetServer?.close();
  await ctx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a field team ticks repaired kiosks on the console and signs with a passkey; waivers need a reason; someone who may not steer is refused', async () => {
  const env = { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue };
  const api = createHttpFleet({ url: fleetUrl });
  const { handle, runId, open } = await runWaitingForHands(ctx, taskQueue, fleetUrl, { region: 'B', tags: ['bitlocker'] });
  expect(open).toHaveLength(8);

  const erin = people.erin!;
  const shown = () => erin.page.locator('#hands-on-open li').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')));
  await openRun(erin, consoleServer.url, runId);
  await expect.poll(shown, { timeout: 20_000 }).toEqual(open);
  expect(await erin.page.locator('#hands-on-summary').textContent()).toMatch(/^8 open · 0 repaired · 0 waived · deadline /);

  // Two kiosks repaired: ticked and signed once. The phone-sized page, ticks and buttons in view, is kept for people to look at.
  await erin.page.locator('#hands-on').scrollIntoViewIfNeeded();
  for (const host of open.slice(0, 2)) await erin.page.locator(`#hands-on-open li[data-host="${host}"] input`).check();
  expect(await erin.page.locator('#hands-on-ticked').textContent()).toBe('2 ticked');
  await saveScreenshot(erin.page, 'hands-on-390x844');
  await erin.page.locator('#hands-on-done').click();
  await expect.poll(() => erin.page.locator('#hands-on-ok').textContent()).toBe('erin marked 2 hosts repaired (1 signed decision); 6 still open');
  await expect.poll(shown).toEqual(open.slice(2));

  // bob closes one from the CLI meanwhile; the page, never reloaded, drops it.
  expect((await lifeboatInProcess(['task', 'done', runId, open[2]!, '--as', 'bob'], env)).code).toBe(0);
  await expect.poll(shown).toEqual(open.slice(3));

  // A waiver without a reason is refused before anything is signed.
  await erin.page.locator('#hands-on-all').check();
  expect(await erin.page.locator('#hands-on-ticked').textContent()).toBe('5 ticked');
  await erin.page.locator('#hands-on-waive').click();
  await expect.poll(() => erin.page.locator('#hands-on-error').textContent()).toMatch(/^a waiver needs a reason\nfix: write why in the reason box/);

  // dave signs with his own passkey, but the runbook does not let airline operations steer this run: nothing closes.
  const dave = people.dave!;
  await openRun(dave, consoleServer.url, runId);
  await expect.poll(() => dave.page.locator('#hands-on-open li').count(), { timeout: 20_000 }).toBe(5);
  await dave.page.locator(`#hands-on-open li[data-host="${open[3]}"] input`).check();
  await dave.page.locator('#hands-on-done').click();
  await expect
    .poll(() => dave.page.locator('#hands-on-error').textContent())
    .toBe('refused: dave may not close hands-on hosts in runs of isolate-vendor-module: it needs group sre-leads or group sre-oncall');
  expect(handsOnOf(await waitForStatus(handle, () => true))).toMatchObject({ open: 5, done: 3, waived: 0 });

  // The site is closed: erin waives the rest with the reason, and the run finishes.
  await erin.page.locator('#hands-on-reason').fill('terminal 2 closed for renovation');
  await erin.page.locator('#hands-on-waive').click();
  await expect.poll(() => erin.page.locator('#hands-on-ok').textContent()).toBe('erin marked 5 hosts waived (1 signed decision); 0 still open');
  const result = (await handle.result()) as RunResult<IsolationReport>;
  expect(result.state).toBe('succeeded');
  expect(result.output).toMatchObject({ affectedHosts: 8, fixedByHand: 3 });
  expect(result.output!.waivers.map((w) => [w.host, w.by, w.reason])).toEqual(open.slice(3).map((host) => [host, 'erin', 'terminal 2 closed for renovation']));
  const decisions = result.audit.filter((a) => a.action === 'task-done' || a.action === 'task-waived');
  expect(decisions.filter((a) => a.actor === 'erin').map((a) => a.verified?.keyType)).toEqual(expect.arrayContaining(['webauthn-es256']));
  expect(decisions.filter((a) => a.actor === 'erin').every((a) => a.verified?.keyType === 'webauthn-es256')).toBe(true);
  await expect.poll(() => erin.page.locator('#hands-on-actions').isVisible(), { timeout: 20_000 }).toBe(false);

  // A longer list than one decision holds is prepared as several statements, each within a signed decision's limit.
  const many = Array.from({ length: 300 }, (_, i) => `b-kiosk-${String(i).padStart(4, '0')}`);
  const prepared = (await erin.page.evaluate(
    async ({ runId, hosts }) => {
      const res = await fetch(`/api/task/prepare?run=${encodeURIComponent(runId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'done', hosts, by: 'erin' }),
      });
      return res.json();
    },
    { runId, hosts: many },
  )) as { statements: { statement: string }[]; lists: string[][] };
  expect(prepared.statements).toHaveLength(2);
  expect(prepared.lists.flat()).toEqual(many);
  const bodies = prepared.statements.map((p) => (JSON.parse(p.statement) as { kind: string; body: { hosts: string } }).body.hosts);
  expect(bodies).toEqual(prepared.lists.map((l) => l.join(',')));
  for (const hosts of bodies) expect(hosts.length).toBeLessThanOrEqual(2000);

  // The repaired hosts reached the fleet console once each; the waived ones were left as they were.
  const repairs = new Map((await api.counters()).hosts.map((h) => [h.hostId, h.repairs]));
  expect(open.map((host) => repairs.get(host) ?? 0)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
}, 180_000);
