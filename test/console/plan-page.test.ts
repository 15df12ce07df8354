import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildPlanReport } from '../../cli/report/plan-model';
import type { PlanMemberView, RunStatus } from '../../kit';
import { runningEvacuation } from '../helpers/plan-statuses';
import { openConsoleTestbed, openRun, saveScreenshot, type ConsoleTestbed, type PersonBrowser } from '../helpers/console';
import { lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/**
 * A plan's page in the console, on an estate of four services that keep no data (test/fixtures/command-estate.mjs):
 * the members across services before and after the decision, and the plan's one gate approved from the page with
 * passkeys, as any gate is.
 */
const fixture = resolve(__dirname, '..', 'fixtures', 'command-estate.mjs');
const services = ['booking', 'checkin', 'crew', 'flight-status'] as const;
const planRunId = 'plan/evacuate-region/A';

let ctx: TemporalTestContext;
let bed: ConsoleTestbed;
let dir: string;
const people: Record<string, PersonBrowser> = {};

beforeAll(async () => {
  ctx = await connectToTestServer('console-plan');
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-console-plan-'));
  const sections = Object.fromEntries(
    services.map((s) => {
      const state = join(dir, `${s}.json`);
      writeFileSync(state, JSON.stringify({ active: 'A', regions: { A: { serving: 'ready', mode: 'normal' }, B: { serving: 'ready', mode: 'normal' } } }));
      const command = { provider: 'command', command: ['/usr/bin/env', `COMMAND_ESTATE_STATE=${state}`, process.execPath, fixture] };
      return [s, { regions: ['A', 'B'], stateless: true, traffic: command, serviceMode: command, ...(s === 'checkin' ? { dependsOn: ['booking'] } : {}) }];
    }),
  );
  const targetsPath = join(dir, 'lifeboat.targets.json');
  writeFileSync(targetsPath, JSON.stringify({ version: 1, services: sections }, null, 2));
  bed = await openConsoleTestbed(ctx, targetsPath);
  // The plan's gate needs two SRE leads (bob, carol) and one of airline operations (dave).
  for (const who of ['bob', 'carol', 'dave']) people[who] = await bed.person(who);
}, 180_000);

afterAll(async () => {
  for (const id of [planRunId, ...services.map((s) => `region-failover/${s}`)])
    await ctx?.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  await bed?.close();
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const membersOf = (s: RunStatus) => (s.details.members ?? {}) as Record<string, PlanMemberView>;

test("a plan's page shows its members across services, and its one gate is approved there with passkeys like any gate", { timeout: 240_000 }, async () => {
  const handle = await ctx.client.workflow.start('recoveryPlan', {
    taskQueue: bed.taskQueue,
    workflowId: planRunId,
    args: [{ input: { from: 'A', to: 'B', mode: 'emergency', detectedAt: new Date(Date.now() - 60_000).toISOString() }, requestedBy: 'alice' }],
  });
  await waitForStatus(handle, (s) => s.state === 'waiting-approval', 60_000);
  const { bob, carol, dave } = { bob: people.bob!, carol: people.carol!, dave: people.dave! };

  // The link an approval notice carries: the run's page at its open gate.
  await bob.page.goto(`${bed.server.url}/run/${planRunId}#gate`);
  await bob.page.locator('#whoami').selectOption('bob');
  await expect.poll(() => bob.page.locator('#run-id').textContent(), { timeout: 20_000 }).toBe(planRunId);
  await expect.poll(() => bob.page.locator('#plan-members tbody tr').count()).toBe(4);
  expect(
    await bob.page.locator('#plan-members tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-member'), r.getAttribute('data-state')])),
  ).toEqual([
    ['booking', 'waiting'],
    ['checkin', 'waiting'],
    ['crew', 'waiting'],
    ['flightStatus', 'waiting'],
  ]);
  expect(await bob.page.locator('#plan-members tr[data-member="checkin"] a').getAttribute('href')).toBe('/run/region-failover/checkin');
  expect(await bob.page.locator('#plan-decision').textContent()).toMatch(
    /gate approve-plan\s*open · 3 approvals, at least 2 of sre-leads and 1 of airline-ops/,
  );
  expect(await bob.page.locator('#gate').isVisible()).toBe(true);
  // The page opened at the gate, not at its top.
  expect(await bob.page.evaluate("Math.abs(document.getElementById('gate').getBoundingClientRect().top) < 100 && window.scrollY > 0")).toBe(true);
  expect(await bob.page.locator('#may-vote').textContent()).toBe('bob, carol, dave');

  // One decision, three signatures, each from the person's own page.
  await bob.page.locator('#approve').click();
  await expect(bob.page.locator('#decision-ok').textContent()).resolves.toBe('bob approved: gate approve-plan is open (1/3)');
  for (const person of [carol, dave]) {
    await openRun(person, bed.server.url, planRunId);
    await person.page.locator('#approve').click();
    await expect.poll(() => person.page.locator('#decision-ok').textContent()).toMatch(new RegExp(`^${person.who} approved: gate approve-plan is`));
  }

  const done = await waitForStatus(handle, (s) => Object.values(membersOf(s)).every((m) => m.state === 'succeeded') && s.state === 'succeeded', 120_000);
  expect(done.gates.find((g) => g.name === 'approve-plan')?.votes.map((v) => v.verified?.keyType)).toEqual([
    'webauthn-es256',
    'webauthn-es256',
    'webauthn-es256',
  ]);
  await expect.poll(() => bob.page.locator('#plan-members tr[data-member="flightStatus"]').getAttribute('data-state'), { timeout: 20_000 }).toBe('succeeded');
  expect(await bob.page.locator('#plan-signers').textContent()).toMatch(
    /bob approved.*✔ verified webauthn-es256 SHA256:.*carol approved.*dave approved.*✔ verified webauthn-es256 SHA256:/,
  );
  // The page follows the run live: the plan's own measurements land a moment after its last member's row.
  await expect
    .poll(() => bob.page.locator('#plan-rto').textContent(), { timeout: 20_000 })
    .toMatch(/^RTO from detection \d+(\.\d)?s · objective 2700s \(met\) · from the plan's start \d+(\.\d)?s · RPO 0s/);
  // flight-status runs after checkin, which runs after booking: the chain the plan waited on ends with it.
  expect(await bob.page.locator('#plan-critical-path').textContent()).toMatch(/→ flightStatus$/);
  expect(await bob.page.locator('#plan-members tr.critical[data-member="flightStatus"]').count()).toBe(1);
  await saveScreenshot(bob.page, 'plan-page');

  // The report of the same run: one row per member, the three signers with their keys.
  const report = await lifeboatInProcess(['report', planRunId, '--format', 'json'], {
    TEMPORAL_ADDRESS: ctx.address,
    TEMPORAL_NAMESPACE: ctx.namespace,
    LIFEBOAT_TASK_QUEUE: bed.taskQueue,
  });
  expect(report.stderr).toBe('');
  const json = JSON.parse(report.stdout) as {
    members: { member: string; bars: { kind: string }[] }[];
    decision: { signers: { by: string; fingerprint?: string }[] };
  };
  expect(json.members.map((m) => m.member)).toEqual(['booking', 'checkin', 'crew', 'flightStatus']);
  expect(json.members.every((m) => m.bars.some((b) => b.kind === 'work'))).toBe(true);
  expect(json.decision.signers.map((s) => [s.by, s.fingerprint?.startsWith('SHA256:')])).toEqual([
    ['bob', true],
    ['carol', true],
    ['dave', true],
  ]);
});

test("a member gate that does not take the plan's decision shows open on the plan's page, with a link to decide it on the member's page", async () => {
  // The page as a plan still running draws it: crew's own gate (not delegable) waits for its people, checkin's own
  // status could not be read, flight-status has not started. The view is the one the console's API builds.
  const { plan, members } = runningEvacuation();
  const view = {
    status: plan,
    plan: buildPlanReport(plan, members),
    report: { objectives: [], totals: { workSeconds: 0, gateWaitSeconds: 0, operatorWaitSeconds: 0 }, measurements: {} },
    links: { report: '/api/report.html?run=x', timeline: '/api/timeline.svg?run=x' },
  };
  const page = people.carol!.page;
  await page.route('**/api/events?*', (route) =>
    route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `event: update\ndata: ${JSON.stringify(view)}\n\n` }),
  );
  try {
    await page.goto(`${bed.server.url}/run/${planRunId}`);
    await expect
      .poll(() => page.locator('#plan-open-gates').textContent())
      .toMatch(/^crew waits for its own approvers \(not delegable\): return-to-normal gate/);
    expect(await page.locator('#plan-open-gates a').getAttribute('href')).toBe('/run/region-failover/crew#gate');
    expect(await page.locator('#plan-open-gates a').textContent()).toBe('decide gate return-to-normal on region-failover/crew');
    expect(await page.locator('#plan-members tr[data-member="crew"]').textContent()).toContain('gate open');
    expect(await page.locator('#plan-members tr[data-member="checkin"]').textContent()).toContain('its own status could not be read');
    expect(await page.locator('#plan-not-moved').textContent()).toBe('flightStatus not started');
    expect(await page.locator('#plan-rto').textContent()).toMatch(/^RTO not yet · objective 2700s/);
  } finally {
    await page.unroute('**/api/events?*');
  }
});
