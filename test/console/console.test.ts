import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startConsoleServer, type ConsoleServer } from '../../cli/console/server';
import { statusQuery, type RunStatus } from '../../kit';
import { openAs, openConsoleTestbed, openRun, saveScreenshot, type ConsoleTestbed, type PersonBrowser } from '../helpers/console';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

let ctx: TemporalTestContext;
let bed: ConsoleTestbed;
let browser: Browser;
let consoleServer: ConsoleServer;
let base: string;
let taskQueue: string;
const people: Record<string, PersonBrowser> = {};

beforeAll(async () => {
  ctx = await connectToTestServer('console');
  bed = await openConsoleTestbed(ctx);
  ({ browser, server: consoleServer, taskQueue } = bed);
  base = consoleServer.url;
  for (const who of ['alice', 'bob', 'carol']) people[who] = await bed.person(who);
  // dave (airline operations) enrols no passkey: he has none to sign with.
  people.dave = await bed.person('dave', { enrol: false });
}, 120_000);

afterAll(async () => {
  await bed?.close();
  await ctx?.close();
});

/** A kit-exercise run requested (and signed) by alice, waiting at its two-lead gate. */
async function runAtGate(target: string): Promise<RunStatus> {
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: `kit-exercise/${target}`,
    args: [{ input: { target }, requestedBy: 'alice' }],
  });
  return waitForStatus(handle, (s) => s.state === 'waiting-approval');
}

/** Signs a decision on `runId` in the person's page as the page would, but returns it instead of sending it. */
async function signInPage(person: PersonBrowser, runId: string, by: string, opts: { kind?: string; comment?: string; credentialsOf?: string } = {}) {
  // The page's own passkey module, the one the Approve button signs with: importing it again in the page hands back
  // the very module the page loaded (a string, so the test runner leaves this import() to the browser).
  const passkey = await person.page.evaluateHandle<{ signWithPasskey: (p: unknown) => Promise<string> }>("import('/static/passkey.js')");
  return person.page.evaluate(
    async ({ runId, by, kind, comment, credentialsOf, passkey }) => {
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`/api/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        return (await res.json()) as { statement: string; digest: string; rpId: string; credentialIds: string[] };
      };
      const prepared = await post(`decision/prepare?run=${encodeURIComponent(runId)}`, { kind, by, ...(comment ? { comment } : {}) });
      const keys = credentialsOf
        ? (await post(`decision/prepare?run=${encodeURIComponent(runId)}`, { kind, by: credentialsOf })).credentialIds
        : prepared.credentialIds;
      const signature = await passkey.signWithPasskey({ ...prepared, credentialIds: keys });
      return { kind, statement: prepared.statement as string, signature };
    },
    { runId, by, kind: opts.kind ?? 'approve', comment: opts.comment, credentialsOf: opts.credentialsOf, passkey },
  );
}

async function submitInPage(person: PersonBrowser, runId: string, signed: unknown): Promise<{ status: number; body: { error?: { message: string } } }> {
  return person.page.evaluate(
    async ({ runId, signed }) => {
      const res = await fetch(`/api/decision/submit?run=${encodeURIComponent(runId)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signed),
      });
      return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
    },
    { runId, signed },
  );
}

test('two leads approve a gate from the console with their passkeys; the page follows the run live; lifeboat verify shows the passkey signatures', async () => {
  const runId = 'kit-exercise/console-approve';
  await runAtGate('console-approve');
  const { bob, carol } = { bob: people.bob!, carol: people.carol! };
  await openRun(bob, base, runId);
  await openRun(carol, base, runId);
  await expect.poll(() => bob.page.locator('#may-vote').textContent()).toBe('bob, carol');
  // Marks the page, so we can tell it was never reloaded while the run went on.
  await carol.page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

  await bob.page.locator('#comment').fill('checked the standby lag');
  await bob.page.locator('#approve').click();
  await expect(bob.page.locator('#decision-ok').textContent()).resolves.toBe('bob approved: gate approve is open (1/2)');
  await expect.poll(() => carol.page.locator('#gate-count').textContent()).toBe('1 of 2');
  await expect.poll(() => carol.page.locator('#votes').textContent()).toMatch(/bob approved .*checked the standby lag.*✔ verified webauthn-es256 SHA256:/);

  await carol.page.locator('#approve').click();
  await expect.poll(() => carol.page.locator('#steps tbody tr[data-step="verify"]').getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
  await expect.poll(() => carol.page.locator('#run-head [data-state]').first().getAttribute('data-state')).toBe('succeeded');
  expect(await carol.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(await carol.page.locator('#audit-table').textContent()).toMatch(/carol.*approve.*✔ webauthn-es256 SHA256:/);
  expect(await carol.page.locator('#report-link').getAttribute('href')).toBe(`/api/report.html?run=${encodeURIComponent(runId)}`);
  const temporalRunId = (await ctx.client.workflow.getHandle(runId).describe()).runId;
  expect(await carol.page.locator('#temporal-link').getAttribute('href')).toBe(
    `http://localhost:8233/namespaces/console/workflows/${encodeURIComponent(runId)}/${temporalRunId}/history`,
  );

  const verified = await lifeboatInProcess(['verify', runId, '--json'], { TEMPORAL_ADDRESS: ctx.address });
  expect(verified.stderr).toBe('');
  const report = JSON.parse(verified.stdout) as { ok: boolean; decisions: { kind?: string; signer: string; keyType?: string; result: string }[] };
  expect(report.ok).toBe(true);
  expect(report.decisions.filter((d) => d.kind === 'approve').map((d) => [d.signer, d.keyType, d.result])).toEqual([
    ['bob', 'webauthn-es256', 'verified'],
    ['carol', 'webauthn-es256', 'verified'],
  ]);
  const text = await lifeboatInProcess(['verify', runId], { TEMPORAL_ADDRESS: ctx.address });
  expect(text.stdout).toMatch(/OK: every decision the run counted verifies/);
}, 90_000);

test("refused by the run: another person's passkey, an assertion replayed on another run or twice, a self-approval, no passkey", async () => {
  const runA = 'kit-exercise/console-refuse-a';
  const runB = 'kit-exercise/console-refuse-b';
  await Promise.all([runAtGate('console-refuse-a'), runAtGate('console-refuse-b')]);
  const { alice, bob, carol, dave } = { alice: people.alice!, bob: people.bob!, carol: people.carol!, dave: people.dave! };
  await openRun(carol, base, runA);

  // carol's passkey over a statement that says bob.
  const forged = await signInPage(carol, runA, 'bob', { credentialsOf: 'carol' });
  const asBob = await submitInPage(carol, runA, forged);
  expect(asBob.status).toBe(409);
  expect(asBob.body.error?.message).toMatch(/^refused: the passkey \S+ is not one of bob's passkeys in the roster/);

  // bob's real approval of run A, sent to run B, then to run A twice.
  const bobsVote = await signInPage(bob, runA, 'bob');
  const replayed = await submitInPage(bob, runB, bobsVote);
  expect(replayed.status).toBe(409);
  expect(replayed.body.error?.message).toMatch(/the statement is for kit-exercise\/console-refuse-a, not kit-exercise\/console-refuse-b/);
  expect((await submitInPage(bob, runA, bobsVote)).status).toBe(200);
  const twice = await submitInPage(bob, runA, bobsVote);
  expect(twice.body.error?.message).toMatch(/already used/);

  // alice started both runs: her own passkey cannot approve them.
  await openRun(alice, base, runB);
  await expect.poll(() => alice.page.locator('#gate-note').textContent()).toMatch(/alice started this run and may not approve it/);
  await alice.page.locator('#approve').click();
  await expect.poll(() => alice.page.locator('#decision-error').textContent()).toMatch(/refused: alice started this run and may not approve its gates/);

  // dave has no passkey: the page says so and sends nothing; a made-up assertion is refused by the run.
  await openRun(dave, base, runB);
  await dave.page.locator('#approve').click();
  await expect.poll(() => dave.page.locator('#decision-error').textContent()).toMatch(/dave has no passkey for localhost in the roster/);
  const statement = (await signInPage(carol, runB, 'carol')).statement.replace('"by":"carol"', '"by":"dave"');
  const made = await submitInPage(dave, runB, { kind: 'approve', statement, signature: 'webauthn.v1.AAAA.AAAA.AAAA.AAAA' });
  expect(made.body.error?.message).toMatch(/refused: the passkey AAAA… is not one of dave's passkeys/);
  const unsigned = await submitInPage(dave, runB, { kind: 'approve', statement, signature: '' });
  expect(unsigned.status).toBe(400);

  const statusB = await ctx.client.workflow.getHandle(runB).query(statusQuery);
  const statusA = await ctx.client.workflow.getHandle(runA).query(statusQuery);
  expect(statusB.gates[0]!.votes).toEqual([]);
  expect(statusA.gates[0]!.votes.map((v) => [v.by, v.verified?.keyType])).toEqual([['bob', 'webauthn-es256']]);
  for (const id of [runA, runB]) await ctx.client.workflow.getHandle(id).terminate('test done');
}, 90_000);

test('a step that needs an operator shows its error and the allowed actions; a passkey-signed skip moves the run on', async () => {
  const runId = 'kit-exercise/console-intervene';
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target: 'console-intervene', flakyFailures: 5, nonRetryable: true }, requestedBy: 'alice' }],
  });
  const bob = people.bob!;
  await openRun(bob, base, runId);
  await expect.poll(() => bob.page.locator('#intervention-error').textContent(), { timeout: 20_000 }).toMatch(/flaky failure 1 of 5/);
  // No gate is open, so no approve or reject is offered.
  expect(await bob.page.locator('#gate-actions').isVisible()).toBe(false);
  expect(await bob.page.locator('#operator-actions button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-action')))).toEqual([
    'retry',
    'skip',
    'abort',
  ]);
  await bob.page.locator('#comment').fill('the flaky check is known broken');
  await bob.page.locator('#operator-actions button[data-action="skip"]').click();
  await expect.poll(() => bob.page.locator('#decision-ok').textContent()).toBe('bob chose skip');
  const waiting = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  expect(waiting.steps.find((s) => s.name === 'flaky')?.status).toBe('skipped');
  expect(waiting.audit.find((a) => a.action === 'skip')).toMatchObject({ actor: 'bob', verified: { keyType: 'webauthn-es256' } });
  await handle.terminate('test done');
}, 60_000);

test("a <script> in a vote's comment and an abort reason is shown as text; nothing runs; the page forbids inline script", async () => {
  const runId = 'kit-exercise/console-escape';
  await runAtGate('console-escape');
  const { bob, carol } = { bob: people.bob!, carol: people.carol! };
  const hostile = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  // The console's own pages break none of its policy: no inline script or style of its own.
  const violations: string[] = [];
  bob.page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await openRun(bob, base, runId);
  await bob.page.locator('#comment').fill(hostile);
  await bob.page.locator('#approve').click();
  await expect.poll(() => bob.page.locator('#decision-ok').textContent()).toMatch(/bob approved/);
  await openRun(carol, base, runId);
  await carol.page.locator('#comment').fill(`abort: ${hostile}`);
  await carol.page.locator('#abort-box summary').click();
  await carol.page.locator('#abort-box button').click();
  await expect.poll(() => carol.page.locator('#audit-table').textContent(), { timeout: 20_000 }).toContain(`abort: ${hostile}`);
  await expect.poll(() => carol.page.locator('#warnings').textContent()).toContain(`Abort requested by carol`);
  await expect.poll(() => carol.page.locator('#votes, #audit-table').last().textContent()).toContain(hostile);
  expect(await carol.page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
  expect(violations).toEqual([]);
  expect(await carol.page.locator('main script, main img[src="x"]').count()).toBe(0);
  const response = await carol.page.request.get(`${base}/run/${runId}`);
  expect(response.headers()['content-security-policy']).toMatch(/script-src 'self';/);
  expect(response.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  expect(response.headers()['x-frame-options']).toBe('DENY');
}, 60_000);

test('the gate page on a 390x844 phone: approve and reject sit at the bottom of the screen', async () => {
  const runId = 'kit-exercise/console-phone';
  await runAtGate('console-phone');
  const phone = await openAs(browser, base, 'bob', { width: 390, height: 844 });
  try {
    await openRun(phone, base, runId);
    await expect.poll(() => phone.page.locator('#may-vote').textContent()).toBe('bob, carol');
    const approve = await phone.page.locator('#approve').boundingBox();
    const reject = await phone.page.locator('#reject').boundingBox();
    // Both buttons are within the screen, in its lower part, side by side: one thumb reaches them.
    for (const box of [approve!, reject!]) {
      expect(box.y + box.height).toBeLessThanOrEqual(844);
      expect(box.y).toBeGreaterThan(844 / 2);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    expect(
      await phone.page.evaluate(
        () => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth,
      ),
    ).toBeLessThanOrEqual(390);
    await saveScreenshot(phone.page, 'gate-390x844');
  } finally {
    await phone.context.close();
    await ctx.client.workflow.getHandle(runId).terminate('test done');
  }
}, 60_000);

test('the console refuses requests from other sites and other host names, and a body over its limit', async () => {
  const send = (path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<number>((resolveStatus, reject) => {
      const req = request(`${base}${path}`, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  // A page on another site that resolves its own name to this machine (DNS rebinding) is not answered.
  expect(await send('/api/runs', { headers: { host: 'evil.example' } })).toBe(421);
  const post = (headers: Record<string, string>, body = '{}') =>
    send('/api/decision/submit?run=x', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  expect(await post({ origin: 'https://evil.example' })).toBe(403);
  expect(await post({})).toBe(403);
  expect(await post({ origin: base }, 'x'.repeat(100_000)).catch(() => 413)).toBe(413);
  expect(await send('/api/runs')).toBe(200);
});

test("the page runs only the console's own modules, each served as JavaScript under the same CSP; nothing else in their folder is served", async () => {
  const page = await fetch(base);
  expect(page.headers.get('content-security-policy')).toBe(
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  expect([...(await page.text()).matchAll(/<script[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="module" src="/static/index.js">']);
  // Every module the page runs, followed from its entry through the imports.
  const loaded = new Set<string>();
  const next = ['index.js'];
  for (let name = next.shift(); name !== undefined; name = next.shift()) {
    if (loaded.has(name)) continue;
    loaded.add(name);
    const res = await fetch(`${base}/static/${name}`);
    expect([name, res.status, res.headers.get('content-type')]).toEqual([name, 200, 'text/javascript; charset=utf-8']);
    const source = await res.text();
    // Each is read by tsc (npm run typecheck) as the browser runs it.
    expect(source.startsWith('// @ts-check\n'), name).toBe(true);
    for (const m of source.matchAll(/^import [^;]*? from '\.\/([\w-]+\.js)';$/gm)) next.push(m[1]!);
  }
  const modules = readdirSync(join(__dirname, '../../cli/console/static')).filter((f) => f.endsWith('.js'));
  expect([...loaded].sort()).toEqual(modules.sort());
  expect(modules).toContain('passkey.js');
  for (const path of ['/static/tsconfig.json', '/static/index.html']) expect([path, (await fetch(`${base}${path}`)).status]).toEqual([path, 404]);
});

test("the start form is the runbook's schema: the CLI's validation message, then the plan, then a passkey-signed start", async () => {
  const alice = people.alice!;
  await alice.page.goto(`${base}/start?runbook=region-failover`);
  await alice.page.locator('#whoami').selectOption('alice');
  await alice.page.locator('#fields select[name="mode"]').selectOption('planned');
  await alice.page.locator('#fields input[name="catchUpTimeoutSeconds"]').fill('999999');
  await alice.page.locator('#start-form button[type="submit"]').click();
  const shown = await alice.page.locator('#start-error').textContent({ timeout: 10_000 });
  const cli = await lifeboatInProcess([
    'run',
    'region-failover',
    '--set',
    'mode=planned',
    '--set',
    'catchUpTimeoutSeconds=999999',
    '--dry-run',
    '--as',
    'alice',
  ]);
  expect(cli.code).toBe(2);
  // The same words as the CLI's error and its fix.
  expect(shown).toContain('catchUpTimeoutSeconds');
  expect(shown!.trim()).toBe(
    cli.stderr
      .replace(/^error: /, '')
      .replace(/\n {2}fix: /, '\nfix: ')
      .trim(),
  );

  await alice.page.goto(`${base}/start?runbook=paging-check`);
  await alice.page.locator('#whoami').selectOption('alice');
  await expect
    .poll(() => alice.page.locator('#fields label').allTextContents())
    .toEqual([expect.stringMatching(/^team.*the roster group whose pager is checked/), expect.stringMatching(/^message/)]);
  await alice.page.locator('#fields input[name="team"]').fill('sre-oncall');
  await alice.page.locator('#start-form button[type="submit"]').click();
  await expect.poll(() => alice.page.locator('#plan').textContent()).toMatch(/Send the test page/);
  await alice.page.locator('#sign-start').click();
  await alice.page.waitForURL(`${base}/run/paging-check/sre-oncall`);
  await expect.poll(() => alice.page.locator('#run-head [data-state]').first().getAttribute('data-state'), { timeout: 20_000 }).toBe('waiting-approval');
  const status = await ctx.client.workflow.getHandle('paging-check/sre-oncall').query(statusQuery);
  expect(status.requestedBy).toBe('alice');
  expect(status.trust?.start.verified?.keyType).toBe('webauthn-es256');
  // Temporal's Web UI links back to the run's page in the console.
  expect(await (await ctx.client.workflow.getHandle('paging-check/sre-oncall').describe()).staticDetails()).toBe(
    `[Open paging-check/sre-oncall in the Lifeboat console](${base}/run/paging-check/sre-oncall)`,
  );
  await ctx.client.workflow.getHandle('paging-check/sre-oncall').terminate('test done');
}, 60_000);

test('drills: schedules and history are shown; without --drill-controls the console will not pause, resume or trigger', async () => {
  const { bob } = { bob: people.bob! };
  await bob.page.goto(`${base}/drills`);
  await expect.poll(() => bob.page.locator('#schedules').textContent()).toMatch(/No drill schedules[\s\S]*Pause, resume and trigger are off/);
  await expect.poll(() => bob.page.locator('#history').textContent()).toMatch(/No finished drills/);
  // No readiness schedule runs in this namespace: the board says so for every runbook.
  await expect.poll(() => bob.page.locator('#readiness tbody tr[data-runbook="region-failover"]').textContent()).toMatch(/region-failover.*not evaluated/);
  const refused = await bob.page.evaluate(async () => {
    const res = await fetch('/api/drills/control', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scheduleId: 'drill/region-failover/booking', action: 'trigger' }),
    });
    return { status: res.status, body: (await res.json()) as { error: { message: string } } };
  });
  expect(refused).toMatchObject({ status: 409, body: { error: { message: 'this console does not control drill schedules' } } });
});

test('beyond loopback the console needs a login token to be viewed, and refuses to start without one', async () => {
  // The console is a long-running server: were this refusal ever lost, a real process is one the test can outlive.
  const open = await lifeboat(['console', '--host', '0.0.0.0', '--port', '0'], { TEMPORAL_ADDRESS: ctx.address });
  expect(open.code).toBe(2);
  expect(open.stderr).toMatch(/--token: a console beyond loopback needs a login token: set LIFEBOAT_CONSOLE_TOKEN/);

  const token = 'a-test-token-of-enough-length';
  const guarded = await startConsoleServer({
    client: ctx.rawClient,
    namespace: ctx.namespace,
    taskQueue,
    host: '127.0.0.1',
    port: 0,
    token,
    rpId: 'localhost',
    drillControls: false,
  });
  try {
    expect((await fetch(`${guarded.url}/api/runs`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const visitor = await browser.newContext();
    const page = await visitor.newPage();
    await page.goto(guarded.url);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.locator('input[name="token"]').fill(token);
    await page.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Runs');
    await visitor.close();
  } finally {
    await guarded.close();
  }
});

test('with --drill-controls the console pauses and resumes a drill schedule', async () => {
  const created = await lifeboatInProcess(['drill', 'schedule', 'paging-check', '--every', '24h', '--set', 'team=sre-oncall', '--as', 'alice', '--json'], {
    TEMPORAL_ADDRESS: ctx.address,
    LIFEBOAT_TASK_QUEUE: taskQueue,
  });
  expect(created.stderr).toBe('');
  const { scheduleId } = JSON.parse(created.stdout) as { scheduleId: string };
  const controlling = await startConsoleServer({
    client: ctx.rawClient,
    namespace: ctx.namespace,
    taskQueue,
    host: '127.0.0.1',
    port: 0,
    rpId: 'localhost',
    drillControls: true,
  });
  const visitor = await browser.newContext();
  try {
    const page = await visitor.newPage();
    await page.goto(`${controlling.url}/drills`);
    const row = page.locator('#schedules tr', { hasText: scheduleId });
    await row.locator('button', { hasText: 'pause' }).click();
    await expect.poll(async () => (await ctx.client.schedule.getHandle(scheduleId).describe()).state.paused).toBe(true);
    await expect.poll(() => row.textContent()).toMatch(/yes \(paused from the lifeboat console\)/);
    await row.locator('button', { hasText: 'resume' }).click();
    await expect.poll(async () => (await ctx.client.schedule.getHandle(scheduleId).describe()).state.paused).toBe(false);
  } finally {
    await visitor.close();
    await controlling.close();
    await ctx.client.schedule.getHandle(scheduleId).delete();
  }
});

test('the runs list follows new runs live, and its filters narrow it', async () => {
  const erin = await openAs(browser, base, 'erin');
  try {
    await erin.page.goto(`${base}/?state=waiting-approval`);
    await expect.poll(() => erin.page.locator('#runs').textContent()).toBeTruthy();
    await erin.page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
    await runAtGate('console-list');
    const row = erin.page.locator('#runs tr[data-run="kit-exercise/console-list"]');
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.locator('[data-state]').getAttribute('data-state')).toBe('waiting-approval');
    expect(await erin.page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await erin.page.locator('#filters select[name="state"]').selectOption('succeeded');
    await expect.poll(() => row.count()).toBe(0);
    expect(new URL(erin.page.url()).search).toBe('?state=succeeded');
  } finally {
    await erin.context.close();
    await ctx.client.workflow.getHandle('kit-exercise/console-list').terminate('test done');
  }
});
