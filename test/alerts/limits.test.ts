import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AlertOutcome } from '../../cli/alerts/receiver';
import { AlertRules, loadAlertRules } from '../../cli/alerts/rules';
import { serveAlerts, type ServingAlerts } from '../../cli/commands/alerts';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { startReceiver } from '../helpers/http-receiver';
import { connectToTestServer, type TemporalTestContext } from '../helpers/temporal';

/*
 * The receiver's own limits, with alerts posted to it directly: a rule starts at most its rateLimit across targets
 * and pages once when it trips, and a label value that could not be part of a run ID starts nothing. Runs are
 * started on a task queue no worker polls; the test counts them in Temporal and terminates them after.
 */

const suffix = randomUUID().slice(0, 8);
const taskQueue = `alert-limits-${suffix}`;
const token = randomBytes(24).toString('hex');
let ctx: TemporalTestContext;
let pager: Awaited<ReturnType<typeof startReceiver>>;
let serving: ServingAlerts;
const started = new Set<string>();

beforeAll(async () => {
  ctx = await connectToTestServer('alerts');
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-alert-limits-'));
  const principal = await generateEd25519KeyPair(dir, 'alertmanager');
  pager = await startReceiver();
  const rules = AlertRules.parse({
    rules: [
      { name: 'team-pager-storm', match: { alertname: 'TeamPagerStorm' }, runbook: 'paging-check', inputFromLabels: { team: 'team' } },
      {
        name: 'team-pager-brief',
        match: { alertname: 'TeamPagerBrief' },
        runbook: 'paging-check',
        inputFromLabels: { team: 'team' },
        rateLimit: { starts: 1, perSeconds: 3 },
      },
      { name: 'team-pager-labels', match: { alertname: 'TeamPagerLabels' }, runbook: 'paging-check', inputFromLabels: { team: 'team' } },
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
    log: (o) => {
      if (o.outcome === 'started' && o.runId) started.add(o.runId);
    },
    say: () => undefined,
  });
});

afterAll(async () => {
  await serving?.close();
  for (const runId of started)
    await ctx.rawClient.workflow
      .getHandle(runId)
      .terminate('alert limits test done')
      .catch(() => undefined);
  await pager?.close();
  await ctx?.close();
});

async function post(body: unknown): Promise<{ status: number; outcomes: AlertOutcome[] }> {
  const res = await fetch(serving.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { outcomes: AlertOutcome[] };
  return { status: res.status, outcomes: json.outcomes };
}

/** Alertmanager's webhook body with one firing alert per team, as a group of alerts arrives together. */
function webhook(alertname: string, teams: string[]) {
  const now = new Date().toISOString();
  return {
    version: '4',
    receiver: 'lifeboat',
    status: 'firing',
    alerts: teams.map((team, i) => ({
      status: 'firing',
      labels: { alertname, team },
      annotations: {},
      startsAt: now,
      endsAt: '0001-01-01T00:00:00Z',
      fingerprint: `${suffix}${String(i).padStart(4, '0')}`,
    })),
    groupLabels: { alertname },
  };
}

async function exists(workflowId: string): Promise<boolean> {
  try {
    await ctx.rawClient.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

const pages = () => pager.received.map((r) => JSON.stringify(r.body));

test('25 alerts for 25 teams start 3 runs (the default rateLimit), hold back 22 and page once saying so; later alerts start nothing and page no more', async () => {
  const teams = Array.from({ length: 25 }, (_, i) => `storm-${i}-${suffix}`);
  const burst = await post(webhook('TeamPagerStorm', teams));
  expect(burst.status).toBe(200);
  expect(burst.outcomes.filter((o) => o.outcome === 'started')).toHaveLength(3);
  const held = burst.outcomes.filter((o) => o.outcome === 'rate-limited');
  expect(held).toHaveLength(22);
  expect(held[0]!.detail).toMatch(/^rule team-pager-storm has started 3 runs in the last 600s, its rateLimit; paging-check\/storm-3-\S+ was not started/);
  const inTemporal = await Promise.all(teams.map((t) => exists(`paging-check/${t}`)));
  expect(inTemporal.filter(Boolean)).toHaveLength(3);

  const stormPages = () => pages().filter((p) => p.includes('team-pager-storm'));
  expect(stormPages()).toHaveLength(1);
  expect(stormPages()[0]).toMatch(/Alert rule team-pager-storm hit its rate limit: 22 alerts held back/);
  expect(stormPages()[0]).toMatch(/may start 3 runs per 600s across targets/);

  // The storm goes on, one alert per request: each is answered 200 (Alertmanager does not retry it), none starts.
  for (const team of ['late-a', 'late-b']) {
    const later = await post({ alert: 'TeamPagerStorm', labels: { team: `${team}-${suffix}` } });
    expect(later.status).toBe(200);
    expect(later.outcomes).toMatchObject([{ outcome: 'rate-limited', rule: 'team-pager-storm', runId: `paging-check/${team}-${suffix}` }]);
    expect(await exists(`paging-check/${team}-${suffix}`)).toBe(false);
  }
  expect(stormPages()).toHaveLength(1);
});

test('when the window ends, a second page says how many were held back in all, and the rule starts again', async () => {
  const team = (name: string) => ({ alert: 'TeamPagerBrief', labels: { team: `brief-${name}-${suffix}` } });
  expect((await post(team('a'))).outcomes).toMatchObject([{ outcome: 'started' }]);
  expect((await post(team('b'))).outcomes).toMatchObject([{ outcome: 'rate-limited' }]);
  expect((await post(team('c'))).outcomes).toMatchObject([{ outcome: 'rate-limited' }]);
  const briefPages = () => pages().filter((p) => p.includes('team-pager-brief'));
  expect(briefPages()).toHaveLength(1);
  expect(briefPages()[0]).toMatch(/hit its rate limit: 1 alert held back/);
  await expect.poll(() => briefPages().length, { timeout: 10_000, interval: 200 }).toBe(2);
  expect(briefPages()[1]).toMatch(/Alert rule team-pager-brief held back 2 alerts in all \(1 after the first page\)/);
  expect(briefPages()[1]).toMatch(new RegExp(`brief-b-${suffix}, brief-c-${suffix}`));
  expect((await post(team('d'))).outcomes).toMatchObject([{ outcome: 'started' }]);
  expect(await exists(`paging-check/brief-d-${suffix}`)).toBe(true);
});

test('a label value that could not be part of a run ID starts nothing, and the answer names the label and the rule', async () => {
  const before = pager.received.length;
  for (const value of ['<script>alert(1)</script>', 'sre oncall', 'sre-\u0430ncall', `x${'y'.repeat(200)}`]) {
    const answer = await post({ alert: 'TeamPagerLabels', labels: { team: value } });
    expect(answer.status).toBe(200);
    expect(answer.outcomes).toHaveLength(1);
    expect(answer.outcomes[0]).toMatchObject({ outcome: 'refused', rule: 'team-pager-labels' });
    expect(answer.outcomes[0]!.runId).toBeUndefined();
    expect(answer.outcomes[0]!.detail).toMatch(/^label "team" is ".*", which rule team-pager-labels would put into input field team: .*nothing was started$/);
    if (value.length < 64) expect(answer.outcomes[0]!.detail).toContain(JSON.stringify(value));
    expect(await exists(`paging-check/${value}`)).toBe(false);
  }
  expect(pager.received.length).toBe(before);
  // The refusals used none of the rule's budget: a good label still starts.
  const good = await post({ alert: 'TeamPagerLabels', labels: { team: `labels-ok-${suffix}` } });
  expect(good.outcomes).toMatchObject([{ outcome: 'started', runId: `paging-check/labels-ok-${suffix}` }]);
});

test('a rateLimit that is not whole numbers in range is refused with its path in the rules file', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'lifeboat-alert-limits-')), 'rules.json');
  writeFileSync(
    file,
    JSON.stringify({ rules: [{ name: 'x', match: { alertname: 'X' }, runbook: 'paging-check', rateLimit: { starts: 0, perSeconds: 1.5 } }] }),
  );
  expect(() => loadAlertRules(file)).toThrow(
    /at least 1 start\n.*at rules\[0\]\.rateLimit\.starts\n.*a whole number of seconds, such as 600\n.*at rules\[0\]\.rateLimit\.perSeconds/,
  );
});
