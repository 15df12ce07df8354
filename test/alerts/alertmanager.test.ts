import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createRosterActivities } from '../../activities/roster';
import { sealTestRoster } from '../helpers/roster-seal';
import type { AlertOutcome } from '../../cli/alerts/receiver';
import { detectedAtOfRun } from '../../cli/runs';
import { loadAlertRules } from '../../cli/alerts/rules';
import { freePort, isListening } from '../../lib/free-port';
import { sampleAlertRulesPath } from '../../lib/paths';
import { generateEd25519KeyPair } from '../../lib/ssh-keys';
import { lifeboat, lifeboatInProcess } from '../helpers/cli';
import { startAlertmanager } from '../helpers/alertmanager';
import { startReceiver } from '../helpers/http-receiver';
import { connectToTestServer, createTestWorker, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * The alert receiver behind the real Alertmanager (Debian's prometheus-alertmanager): alerts posted to
 * Alertmanager's API reach `lifeboat alerts serve` as Alertmanager's own webhook, with its bearer token, and start
 * paging-check runs signed by the receiver's roster entry. Each run waits at its gate for a person.
 */

const suffix = randomUUID().slice(0, 8);
const taskQueue = `alerts-${suffix}`;
const token = randomBytes(24).toString('hex');
const teams = {
  dedupe: `alerts-dedupe-${suffix}`,
  flap: `alerts-flap-${suffix}`,
  bad: `alerts-bad-${suffix}`,
  slow: `alerts-slow-${suffix}`,
  calm: `alerts-calm-${suffix}`,
};

let ctx: TemporalTestContext;
let worker: Worker;
let running: Promise<void>;
let dir: string;
let receiverUrl: string;
let alertmanagerUrl: string;
let receiver: ChildProcess;
let alertmanager: Awaited<ReturnType<typeof startAlertmanager>> | undefined;
let pager: Awaited<ReturnType<typeof startReceiver>>;
const outcomes: AlertOutcome[] = [];
let receiverErr = '';
let rulesPath: string;
let principalKey: string;

/** `lifeboat alerts serve --json` as a child process, each outcome line handed to `onOutcome`. */
function startAlertReceiver(flags: string[], keyFile: string, onOutcome: (o: AlertOutcome) => void): ChildProcess {
  const child = spawn(process.execPath, [resolve(__dirname, '../../bin/lifeboat.js'), 'alerts', 'serve', '--rules', rulesPath, '--json', ...flags], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: ctx.address,
      TEMPORAL_NAMESPACE: ctx.namespace,
      LIFEBOAT_TASK_QUEUE: taskQueue,
      LIFEBOAT_ALERTS_TOKEN: token,
      LIFEBOAT_ALERTS_KEY: keyFile,
      LIFEBOAT_WEBHOOK_URL: pager.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const parsed = JSON.parse(line) as AlertOutcome & { listening?: string };
      if (!parsed.listening) onOutcome(parsed);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (receiverErr += d.toString()));
  return child;
}

beforeAll(async () => {
  ctx = await connectToTestServer('alerts');
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-alerts-'));
  // The receiver is a person of its own in the roster: a key, no groups, so it can start runs and approve nothing.
  const principal = await generateEd25519KeyPair(dir, 'alertmanager');
  const roster = JSON.parse(readFileSync(inject('testRosterPath'), 'utf8')) as {
    groups: Record<string, string>;
    people: { id: string; name: string; groups: string[]; keys: string[] }[];
  };
  for (const team of Object.values(teams)) {
    roster.groups[team] = 'a paging-check team of this test';
    for (const person of roster.people) if (person.id === 'alice' || person.id === 'erin') person.groups.push(team);
  }
  roster.people.push({ id: 'alertmanager', name: 'Alertmanager (alert receiver)', groups: [], keys: [principal.publicKeyLine] });
  const rosterPath = join(dir, 'roster.json');
  writeFileSync(rosterPath, JSON.stringify(roster));
  await sealTestRoster(rosterPath);
  worker = (await createTestWorker(ctx, taskQueue, createRosterActivities({ rosterPath }), undefined, { factsWorker: true })).worker;
  running = worker.run();

  rulesPath = join(dir, 'rules.json');
  principalKey = principal.privateKeyPath;
  writeFileSync(
    rulesPath,
    JSON.stringify({
      rules: [
        { name: 'team-pager-down', match: { alertname: 'TeamPagerDown' }, runbook: 'paging-check', inputFromLabels: { team: 'team' }, minInterval: '10m' },
        { name: 'disk-filling', match: { alertname: 'DiskFilling' }, action: 'notify' },
        {
          name: 'pager-ready-first',
          match: { alertname: 'TeamPagerReadyFirst' },
          runbook: 'paging-check',
          inputFromLabels: { team: 'team' },
          requireReady: true,
        },
        {
          name: 'booking-region-down',
          match: { alertname: 'BookingRegionDown', region: 'A' },
          for: '2m',
          runbook: 'region-failover',
          input: { service: 'booking', mode: 'emergency' },
        },
        { name: 'pager-slow', match: { alertname: 'TeamPagerSlow' }, for: '2s', runbook: 'paging-check', inputFromLabels: { team: 'team' } },
      ],
    }),
  );
  pager = await startReceiver();
  const receiverPort = await freePort();
  receiverUrl = `http://127.0.0.1:${receiverPort}/alerts`;
  receiver = startAlertReceiver(['--port', String(receiverPort)], principal.privateKeyPath, (o) => outcomes.push(o));
  await listening(receiverPort, () => receiverErr);

  alertmanager = await startAlertmanager({ dir, receiverUrl, token, groupBy: ['alertname', 'team'], groupWait: '1s', repeatInterval: '2s' });
  alertmanagerUrl = alertmanager.url;
});

/** Waits for a child process's port; a hook cannot use expect.poll. */
async function listening(port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await isListening(port))) {
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}; the process said:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterAll(async () => {
  await alertmanager?.stop();
  for (const child of [receiver]) {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  await pager?.close();
  worker?.shutdown();
  await running;
  await ctx?.close();
});

/** Posts alerts to Alertmanager's API, as Prometheus does; `endsAt` in the past resolves them. */
async function postToAlertmanager(alerts: { labels: Record<string, string>; startsAt?: string; endsAt?: string }[]): Promise<void> {
  const response = await fetch(`${alertmanagerUrl}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  expect(response.status, await response.text()).toBe(200);
}

function outcomesFor(team: string): AlertOutcome[] {
  return outcomes.filter((o) => o.runId === `paging-check/${team}` || (o.outcome === 'resolved' && o.fingerprint === fingerprints.get(team)));
}
const fingerprints = new Map<string, string>();

/** Every run Temporal holds under the workflow ID, from the latest back along its chain. */
async function runsOf(workflowId: string): Promise<number> {
  let count = 0;
  for await (const _ of ctx.rawClient.workflow.list({ query: `WorkflowId = '${workflowId}'` })) count++;
  return count;
}

test('a firing alert starts exactly one run, signed by the receiver, and repeated notifications start nothing new', async () => {
  const team = teams.dedupe;
  await postToAlertmanager([{ labels: { alertname: 'TeamPagerDown', team, severity: 'page' } }]);
  await expect.poll(() => outcomesFor(team).filter((o) => o.outcome === 'started').length, { timeout: 20_000, interval: 200 }).toBe(1);
  const handle = ctx.rawClient.workflow.getHandle(`paging-check/${team}`);
  const status = await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  expect(status.requestedBy).toBe('alertmanager');
  expect((await handle.describe()).memo?.trigger).toMatchObject({ rule: 'team-pager-down', fingerprint: outcomesFor(team)[0]!.fingerprint });
  const shown = await lifeboatInProcess(['status', handle.workflowId], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
  expect(shown.stdout.split('\n')[1]).toMatch(
    new RegExp(`^triggered by alert rule team-pager-down \\(alert ${outcomesFor(team)[0]!.fingerprint}\\), detected \\d{4}-`),
  );
  // Alertmanager repeats the notification every 2 seconds while the alert fires.
  await expect
    .poll(() => outcomesFor(team).filter((o) => o.outcome === 'already-running').length, { timeout: 30_000, interval: 250 })
    .toBeGreaterThanOrEqual(2);
  expect(outcomesFor(team).filter((o) => o.outcome === 'started')).toHaveLength(1);
  await expect.poll(() => runsOf(`paging-check/${team}`), { timeout: 10_000, interval: 250 }).toBe(1);
  // The receiver has no authority at the gate: it is not an approver, so the run waits for a person.
  expect((await handle.describe()).status.name).toBe('RUNNING');
});

test('anti-flap: fire, resolve and fire again within the rule delay starts one run', async () => {
  const team = teams.flap;
  const labels = { alertname: 'TeamPagerDown', team };
  await postToAlertmanager([{ labels }]);
  await expect.poll(() => outcomesFor(team).filter((o) => o.outcome === 'started').length, { timeout: 20_000, interval: 200 }).toBe(1);
  fingerprints.set(team, outcomesFor(team)[0]!.fingerprint);
  const workflowId = `paging-check/${team}`;
  const handle = ctx.rawClient.workflow.getHandle(workflowId);
  await waitForStatus(handle, (s) => s.state === 'waiting-approval');
  // A person acknowledges, so the run ends and the next alert meets the delay, not a running run.
  const approved = await lifeboatInProcess(['approve', workflowId, '--as', 'alice'], { TEMPORAL_ADDRESS: ctx.address, LIFEBOAT_TASK_QUEUE: taskQueue });
  expect(approved.code, approved.stderr).toBe(0);
  await handle.result();
  await postToAlertmanager([{ labels, endsAt: new Date().toISOString() }]);
  await expect.poll(() => outcomesFor(team).some((o) => o.outcome === 'resolved'), { timeout: 20_000, interval: 200 }).toBe(true);
  await postToAlertmanager([{ labels, startsAt: new Date().toISOString() }]);
  await expect.poll(() => outcomesFor(team).filter((o) => o.outcome === 'anti-flap').length, { timeout: 20_000, interval: 200 }).toBeGreaterThanOrEqual(1);
  expect(outcomesFor(team).filter((o) => o.outcome === 'started')).toHaveLength(1);
  expect(outcomesFor(team).find((o) => o.outcome === 'anti-flap')!.detail).toMatch(/last started \d+s ago; the rule waits 600s between starts/);
  expect(await runsOf(workflowId)).toBe(1);
});

test('a restarted receiver still keeps the delay: it reads the last start from Temporal', async () => {
  const port = await freePort();
  const seen: AlertOutcome[] = [];
  const fresh = startAlertReceiver(['--port', String(port)], principalKey, (o) => seen.push(o));
  try {
    await listening(port, () => receiverErr);
    const response = await fetch(`http://127.0.0.1:${port}/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ alert: 'TeamPagerDown', labels: { team: teams.flap } }),
    });
    expect(((await response.json()) as { outcomes: AlertOutcome[] }).outcomes).toMatchObject([{ outcome: 'anti-flap', rule: 'team-pager-down' }]);
    expect(await runsOf(`paging-check/${teams.flap}`)).toBe(1);
  } finally {
    const exited = new Promise((r) => fresh.once('exit', r));
    fresh.kill('SIGTERM');
    await exited;
  }
});

/** Posts straight to the receiver, bypassing Alertmanager. */
function postToReceiver(body: string, authorization?: string): Promise<Response> {
  return fetch(receiverUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });
}

const webhookBody = (team: string) =>
  JSON.stringify({
    version: '4',
    receiver: 'lifeboat',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'TeamPagerDown', team },
        annotations: {},
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: 'f00dfeed',
      },
    ],
    groupLabels: {},
  });

async function nothingStarted(team: string): Promise<void> {
  await expect(ctx.rawClient.workflow.getHandle(`paging-check/${team}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

test('missing or wrong credentials get 401 and start nothing', async () => {
  const before = outcomes.length;
  for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${Buffer.from(`x:${token}`).toString('base64')}`, token]) {
    const response = await postToReceiver(webhookBody(teams.bad), authorization);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await response.json()) as { error: string }).error).toMatch(/missing or wrong token/);
  }
  expect(outcomes.length).toBe(before);
  await nothingStarted(teams.bad);
});

test('malformed bodies get 400 with what is wrong, and start nothing', async () => {
  const before = outcomes.length;
  const cases: [string, RegExp][] = [
    ['{"version": "4", "alerts": [', /^the body is not JSON/],
    ['[1, 2]', /not a JSON object/],
    [webhookBody(teams.bad).replace('"fingerprint":"f00dfeed"', '"fingerprint":""'), /Alertmanager webhook[\s\S]*alerts\[0\]\.fingerprint/],
    [webhookBody(teams.bad).replace('"status":"firing","labels"', '"status":"burning","labels"'), /alerts\[0\]\.status/],
    ['{"labels": {"team": "x"}}', /generic alert[\s\S]*alert/],
  ];
  for (const [body, message] of cases) {
    const response = await postToReceiver(body, `Bearer ${token}`);
    expect(response.status, body).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  }
  // A body over 1 MiB is refused with 413 before it is parsed, and the receiver goes on serving.
  const huge = await postToReceiver(
    JSON.stringify({ alert: 'TeamPagerDown', labels: { team: teams.bad, pad: 'x'.repeat(2 * 1024 * 1024) } }),
    `Bearer ${token}`,
  );
  expect(huge.status).toBe(413);
  expect(((await huge.json()) as { error: string }).error).toBe('request body over 1048576 bytes');
  expect((await fetch(new URL('/healthz', receiverUrl))).status).toBe(200);
  expect(outcomes.length).toBe(before);
  await nothingStarted(teams.bad);
});

test('a notify-only rule pages and starts nothing; a resolved or unmatched alert does nothing', async () => {
  const response = await postToReceiver(JSON.stringify({ alert: 'DiskFilling', labels: { host: 'db-1' } }), `Bearer ${token}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { outcomes: AlertOutcome[] };
  expect(body.outcomes).toMatchObject([{ outcome: 'notified', rule: 'disk-filling', alertname: 'DiskFilling' }]);
  expect(pager.received).toHaveLength(1);
  expect(JSON.stringify(pager.received[0]!.body)).toMatch(/DiskFilling firing \(rule disk-filling\)/);
  const resolved = await postToReceiver(JSON.stringify({ alert: 'TeamPagerDown', labels: { team: teams.bad }, status: 'resolved' }), `Bearer ${token}`);
  expect(((await resolved.json()) as { outcomes: AlertOutcome[] }).outcomes).toMatchObject([{ outcome: 'resolved' }]);
  const unmatched = await postToReceiver(JSON.stringify({ alert: 'SomethingElse' }), `Bearer ${token}`);
  expect(((await unmatched.json()) as { outcomes: AlertOutcome[] }).outcomes).toMatchObject([{ outcome: 'no-rule' }]);
  await nothingStarted(teams.bad);
  expect(receiverErr).not.toMatch(/ 500 /);
});

test('a page that cannot be delivered answers 503, so the sender retries, and the retry pages', async () => {
  const body = JSON.stringify({ alert: 'DiskFilling', labels: { host: 'db-2' } });
  pager.answerWith(500);
  try {
    const failed = await postToReceiver(body, `Bearer ${token}`);
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { error: string }).error).toMatch(/^could not act on the alerts, so send them again/);
  } finally {
    pager.answerWith(200);
  }
  const retried = await postToReceiver(body, `Bearer ${token}`);
  expect(((await retried.json()) as { outcomes: AlertOutcome[] }).outcomes).toMatchObject([{ outcome: 'notified' }]);
});

test('a rule that requires readiness starts nothing when not ready, and pages why', async () => {
  // No paging check of this team was ever acknowledged, so paging-check is not ready on it.
  const response = await postToReceiver(JSON.stringify({ alert: 'TeamPagerReadyFirst', labels: { team: teams.bad } }), `Bearer ${token}`);
  const {
    outcomes: [outcome],
  } = (await response.json()) as { outcomes: AlertOutcome[] };
  expect(outcome).toMatchObject({ outcome: 'not-ready', rule: 'pager-ready-first', runId: `paging-check/${teams.bad}` });
  expect(outcome!.detail).toMatch(/page-acknowledged/);
  await nothingStarted(teams.bad);
  expect(pager.received.map((r) => JSON.stringify(r.body)).filter((b) => b.includes('not ready'))).toHaveLength(1);
  // Alertmanager repeats the alert while it fires: still not ready for the same reason, so no second page.
  const again = await postToReceiver(JSON.stringify({ alert: 'TeamPagerReadyFirst', labels: { team: teams.bad } }), `Bearer ${token}`);
  expect(((await again.json()) as { outcomes: AlertOutcome[] }).outcomes[0]).toMatchObject({
    outcome: 'not-ready',
    detail: expect.stringMatching(/\(paged already\)$/),
  });
  await nothingStarted(teams.bad);
  expect(pager.received.map((r) => JSON.stringify(r.body)).filter((b) => b.includes('not ready'))).toHaveLength(1);
});

test('a rule with "for" waits until the alert has fired that long, and a resolve before then cancels it', async () => {
  const post = (team: string, status = 'firing') => postToReceiver(JSON.stringify({ alert: 'TeamPagerSlow', labels: { team }, status }), `Bearer ${token}`);
  const first = (await (await post(teams.slow)).json()) as { outcomes: AlertOutcome[] };
  expect(first.outcomes).toMatchObject([{ outcome: 'pending', rule: 'pager-slow' }]);
  await post(teams.calm);
  await post(teams.calm, 'resolved');
  await expect.poll(() => outcomesFor(teams.slow).filter((o) => o.outcome === 'started').length, { timeout: 10_000, interval: 200 }).toBe(1);
  await waitForStatus(ctx.rawClient.workflow.getHandle(`paging-check/${teams.slow}`), (s) => s.state === 'waiting-approval');
  await new Promise((r) => setTimeout(r, 1_000));
  await nothingStarted(teams.calm);
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate it signed, made with openssl. */
function makeCertificates(at: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'rogueCert' | 'rogueKey', string> {
  mkdirSync(at);
  const f = (name: string) => join(at, name);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=lifeboat-test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ossl('req', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`);
    ossl(
      'x509',
      '-req',
      '-in',
      f(`${who}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${who}.crt`),
      '-days',
      '1',
      '-extfile',
      f(`${who}.ext`),
    );
  }
  ossl('req', '-x509', ...ec, '-keyout', f('rogue.key'), '-out', f('rogue.crt'), '-days', '1', '-subj', '/CN=rogue');
  return {
    ca: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    rogueCert: f('rogue.crt'),
    rogueKey: f('rogue.key'),
  };
}

/** POSTs over HTTPS, trusting the test CA, with a client certificate when given one. */
function postTls(url: string, body: string, ca: string, client?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'POST',
        ca: readFileSync(ca),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        ...(client ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolvePost({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('with --client-ca only a sender with a certificate the CA signed is heard (mTLS)', async () => {
  const certs = makeCertificates(join(dir, 'tls'));
  const port = await freePort();
  const seen: AlertOutcome[] = [];
  const tlsReceiver = startAlertReceiver(
    ['--port', String(port), '--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--client-ca', certs.ca],
    principalKey,
    (o) => seen.push(o),
  );
  try {
    await listening(port, () => receiverErr);
    const url = `https://127.0.0.1:${port}/alerts`;
    const body = JSON.stringify({ alert: 'NothingMatchesThis' });
    const heard = await postTls(url, body, certs.ca, { cert: certs.clientCert, key: certs.clientKey });
    expect(heard.status).toBe(200);
    expect(JSON.parse(heard.body)).toMatchObject({ outcomes: [{ outcome: 'no-rule' }] });
    await expect(postTls(url, body, certs.ca)).rejects.toThrow();
    await expect(postTls(url, body, certs.ca, { cert: certs.rogueCert, key: certs.rogueKey })).rejects.toThrow();
    expect(seen).toHaveLength(1);
  } finally {
    const exited = new Promise((r) => tlsReceiver.once('exit', r));
    tlsReceiver.kill('SIGTERM');
    await exited;
  }
});

test('BookingRegionDown{region="A"} firing for 2 minutes starts an emergency region-failover detected at the alert\'s startsAt', async () => {
  const startsAt = new Date(Date.now() - 3 * 60_000).toISOString();
  const response = await postToReceiver(JSON.stringify({ alert: 'BookingRegionDown', labels: { region: 'A' }, startsAt }), `Bearer ${token}`);
  expect(((await response.json()) as { outcomes: AlertOutcome[] }).outcomes).toMatchObject([
    { outcome: 'started', rule: 'booking-region-down', runId: 'region-failover/booking' },
  ]);
  const handle = ctx.rawClient.workflow.getHandle('region-failover/booking');
  try {
    expect(await detectedAtOfRun(ctx.rawClient, 'region-failover/booking')).toBe(startsAt);
    const status = await waitForStatus(handle, (s) => s.requestedBy === 'alertmanager');
    expect(status.state).not.toBe('failed');
  } finally {
    // No estate here: the run would wait for an operator; it has shown what it needed to.
    await handle.terminate('test over');
  }
});

test('a rules file with a mistake is refused with its path and the fix', async () => {
  const bad = join(dir, 'bad-rules.json');
  writeFileSync(
    bad,
    JSON.stringify({
      rules: [
        { name: 'x', match: { region: 'A' }, runbook: 'region-failovr', minInterval: 'soon' },
        { name: 'y', match: { alertname: 'TeamPagerDown' }, runbook: 'paging-check', input: { teem: 'sre-oncall' } },
      ],
    }),
  );
  // alerts serve is a long-running server, so its refusals run in a real process here and below: were one lost,
  // the test would not be stuck behind a server running inside it.
  const result = await lifeboat(['alerts', 'serve', '--rules', bad], { LIFEBOAT_ALERTS_TOKEN: token, LIFEBOAT_ALERTS_KEY: join(dir, 'alertmanager') });
  expect(result.code).toBe(2);
  expect(result.stderr.replace(bad, '<rules>')).toMatchInlineSnapshot(`
    "error: invalid rules file <rules>:
    ✖ name the alert: "match": {"alertname": "BookingRegionDown", ...}
      → at rules[0].match
    ✖ a runbook id: one of paging-check, manual-booking-mode, region-failover, region-failback, isolate-vendor-module, orchestrator-drill
      → at rules[0].runbook
    ✖ a duration such as "90s", "2m" or "1h"
      → at rules[0].minInterval
    ✖ paging-check has no input field "teem"; its fields are team, message (see lifeboat plan paging-check)
      → at rules[1].input.teem
      fix: fix the fields named above; see "Alert-triggered runs" in the README for an example
    "
  `);
});

test('the sample rules the demo serves load', () => {
  expect(loadAlertRules(sampleAlertRulesPath).rules.map((r) => [r.name, r.action, r.runbook ?? '-'])).toEqual([
    ['booking-region-down', 'start', 'region-failover'],
    ['pager-down', 'start', 'paging-check'],
    ['disk-filling', 'notify', '-'],
  ]);
});

test('alerts serve without its token, key or rules says which is missing and how to give it', async () => {
  const result = await lifeboat(['alerts', 'serve', '--port', 'x'], {
    LIFEBOAT_ALERTS_TOKEN: 'short',
    LIFEBOAT_ALERTS_KEY: undefined,
    LIFEBOAT_ALERT_RULES: undefined,
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatchInlineSnapshot(`
    "error: invalid alerts serve options:
      --rules (or LIFEBOAT_ALERT_RULES): missing: the JSON file of rules (see alert-rules.sample.json)
      --port: a port is a number from 0 to 65535
      --token (or LIFEBOAT_ALERTS_TOKEN): a token is at least 16 characters; make one with \`openssl rand -hex 32\`
      --key (or LIFEBOAT_ALERTS_KEY): missing: the receiver's own private key, whose public half its roster entry lists; it signs every start
      fix: usage: lifeboat alerts serve --rules FILE [--port 9095] [--host 127.0.0.1] [--token TOKEN] [--as alertmanager] [--key FILE] [--tls-cert FILE --tls-key FILE [--client-ca FILE]] [--json]
    "
  `);
});

test('alerts serve refuses to start as someone the roster does not list with a key, since every start it signed would be refused', async () => {
  const result = await lifeboat(['alerts', 'serve', '--rules', sampleAlertRulesPath, '--as', 'pagerbot'], {
    LIFEBOAT_ALERTS_TOKEN: token,
    LIFEBOAT_ALERTS_KEY: join(dir, 'alertmanager'),
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`error: the roster ${inject('testRosterPath')} has no pagerbot, so every start this receiver signs would be refused`);
  expect(result.stderr).toContain('fix: add pagerbot to the roster as a service principal with the public key of --key');
});
