import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startConsoleServer, type ConsoleServer } from '../../cli/console/server';
import { findOnPath } from '../../dev/executables';
import { approveSignal } from '../../kit';
import { copyTestRoster, startConsoleWorker } from '../helpers/console';
import { decisionStatement, signAs } from '../helpers/signing';
import { connectToTestServer, testTaskQueue, waitForStatus, type TemporalTestContext } from '../helpers/temporal';

/*
 * The console behind Debian's nginx with TLS, configured from docs/examples/nginx-console.conf with only its ports,
 * host name and certificate paths substituted: the login, a page and the API answer over HTTPS through the proxy, and
 * a live stream opened through it delivers bob's approval while the stream is still open.
 */

const example = resolve(__dirname, '../../docs/examples/nginx-console.conf');
const token = randomUUID();
const suffix = randomUUID().slice(0, 8);
let ctx: TemporalTestContext;
let dir: string;
let ca: Buffer;
let nginx: ChildProcess | undefined;
let nginxPort: number;
let server: ConsoleServer;
let worker: Awaited<ReturnType<typeof startConsoleWorker>>;
let taskQueue: string;

/** Debian's nginx lives in /usr/sbin, which a non-root PATH often lacks. */
function nginxBinary(): string {
  const found = findOnPath('nginx', process.env, ['/usr/sbin', '/usr/local/sbin']);
  if (!found) throw new Error('nginx is missing; install it with: apt-get install nginx (.ci/run does)');
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

/** Replaces what must match in the example, failing if the example no longer has it (so the test keeps testing it). */
function substitute(text: string, pattern: RegExp, replacement: string): string {
  expect(text, `docs/examples/nginx-console.conf has ${pattern}`).toMatch(pattern);
  return text.replace(pattern, replacement);
}

/** The example's server block for this test: nginx's port, the test certificate, the console's port. */
function serverBlock(consolePort: number): string {
  let conf = readFileSync(example, 'utf8');
  conf = substitute(conf, /listen 443 ssl http2;/g, `listen 127.0.0.1:${nginxPort} ssl http2;`);
  conf = substitute(conf, /\n\s*listen \[::\]:443 ssl http2;/g, '');
  conf = substitute(conf, /server_name console\.example\.com;/, 'server_name localhost;');
  conf = substitute(conf, /ssl_certificate\s+\S+;/, `ssl_certificate ${join(dir, 'localhost.pem')};`);
  conf = substitute(conf, /ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${join(dir, 'localhost.key')};`);
  conf = substitute(conf, /proxy_pass http:\/\/127\.0\.0\.1:8090;/g, `proxy_pass http://127.0.0.1:${consolePort};`);
  return conf;
}

/** A whole nginx.conf around the server block, everything it writes kept in the temp dir. */
function nginxConf(consolePort: number): string {
  const tmp = (name: string) => join(dir, 'tmp', name);
  for (const name of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(tmp(name), { recursive: true });
  writeFileSync(join(dir, 'console.conf'), serverBlock(consolePort));
  return [
    // As root, nginx's workers would switch to nobody, who cannot read the temp dir: keep them as this user.
    ...(process.getuid?.() === 0 ? [`user ${userInfo().username};`] : []),
    'worker_processes 1;',
    `error_log ${join(dir, 'error.log')} info;`,
    'events { worker_connections 64; }',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    `  client_body_temp_path ${tmp('body')};`,
    `  proxy_temp_path ${tmp('proxy')};`,
    `  fastcgi_temp_path ${tmp('fastcgi')};`,
    `  uwsgi_temp_path ${tmp('uwsgi')};`,
    `  scgi_temp_path ${tmp('scgi')};`,
    `  include ${join(dir, 'console.conf')};`,
    '}',
    '',
  ].join('\n');
}

/** A self-signed certificate for localhost, which the test's HTTPS requests trust as their only CA. */
async function makeCertificate(): Promise<void> {
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    join(dir, 'localhost.key'),
    '-out',
    join(dir, 'localhost.pem'),
  ]);
  ca = readFileSync(join(dir, 'localhost.pem'));
}

async function startNginx(consolePort: number): Promise<void> {
  const binary = nginxBinary();
  writeFileSync(join(dir, 'nginx.conf'), nginxConf(consolePort));
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
  const checked = await promisify(execFile)(binary, [...args, '-t']).catch((err: { stderr?: string }) => {
    throw new Error(`nginx -t refused the example: ${err.stderr ?? String(err)}`);
  });
  expect(checked.stderr).toMatch(/test is successful/);
  let output = '';
  nginx = spawn(binary, [...args, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  nginx.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}): ${output}${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    const answered = await get('/login').then(
      () => true,
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${nginxPort} within 10 s: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One HTTPS request to nginx, as a browser at https://localhost:PORT sends it, trusting only the test certificate. */
function get(path: string, opts: RequestOptions & { body?: string } = {}): Promise<Answer> {
  return new Promise((resolveAnswer, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port: nginxPort, path, ca, agent: false, ...opts }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setHeader('host', `localhost:${nginxPort}`);
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Who has voted at the run's gate, in an update event's run. */
function votersOf(event: unknown): string[] {
  const { status } = event as { status: { gates: { name: string; votes: { by: string }[] }[] } };
  return status.gates.filter((g) => g.name === 'approve').flatMap((g) => g.votes.map((v) => v.by));
}

const authorised = () => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  nginxBinary();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-nginx-'));
  ctx = await connectToTestServer('console');
  const rosterPath = copyTestRoster();
  taskQueue = testTaskQueue();
  [, nginxPort, worker] = await Promise.all([makeCertificate(), freePort(), startConsoleWorker(ctx, taskQueue, rosterPath)]);
  // As `lifeboat console --host 127.0.0.1 --origin https://localhost:PORT` with LIFEBOAT_CONSOLE_TOKEN, as the example says.
  server = await startConsoleServer({
    client: ctx.rawClient,
    namespace: ctx.namespace,
    taskQueue,
    host: '127.0.0.1',
    port: 0,
    rosterPath,
    rpId: 'localhost',
    publicOrigin: `https://localhost:${nginxPort}`,
    token,
    drillControls: false,
    pollMs: 250,
  });
  await startNginx(server.port);
}, 60_000);

afterAll(async () => {
  // SIGTERM is nginx's fast shutdown: it does not wait for open streams to end. SIGKILL if it hangs on anyway.
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx!.once('exit', r));
    nginx.kill('SIGTERM');
    const killer = setTimeout(() => nginx!.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
  await server?.close();
  await worker?.stop();
  await ctx?.close();
});

test('through nginx over TLS: logging in sets a Secure cookie, the page loads with it, and the API answers', async () => {
  const origin = `https://localhost:${nginxPort}`;
  const login = await get('/login', {
    method: 'POST',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${token}`,
  });
  expect(login.status).toBe(303);
  const cookie = String(login.headers['set-cookie']);
  expect(cookie).toMatch(/^lifeboat_console=.*; Secure$/);

  const page = await get('/', { headers: { cookie: cookie.split(';')[0] } });
  expect(page.status).toBe(200);
  expect(page.body).toContain('<script type="module" src="/static/index.js">');
  expect(page.headers['strict-transport-security']).toBe('max-age=31536000');

  const config = await get('/api/config', { headers: authorised() });
  expect(config.status).toBe(200);
  expect(JSON.parse(config.body)).toMatchObject({ rpId: 'localhost' });
  // Without the token the proxy does not open the console up.
  expect((await get('/api/runs')).status).toBe(401);
});

test('a live stream opened through nginx delivers an approval while it stays open', async () => {
  const runId = `kit-exercise/behind-nginx-${suffix}`;
  const handle = await ctx.client.workflow.start('kitExercise', {
    taskQueue,
    workflowId: runId,
    args: [{ input: { target: `behind-nginx-${suffix}` }, requestedBy: 'alice' }],
  });
  const open = await waitForStatus(handle, (s) => s.state === 'waiting-approval');

  const run = await get(`/api/run?run=${encodeURIComponent(runId)}`, { headers: authorised() });
  expect(run.status).toBe(200);
  expect(JSON.parse(run.body)).toMatchObject({ status: { state: 'waiting-approval' } });

  const events: unknown[] = [];
  let ended = false;
  const stream = request({
    host: '127.0.0.1',
    servername: 'localhost',
    port: nginxPort,
    path: `/api/events?run=${encodeURIComponent(runId)}`,
    ca,
    agent: false,
    headers: { host: `localhost:${nginxPort}`, ...authorised() },
  });
  // A proxy that buffers the stream holds back even its headers until its buffer fills: say so, rather than wait.
  const opened = new Promise<IncomingMessage>((r, reject) => {
    const timer = setTimeout(() => reject(new Error('the stream sent nothing through nginx within 10 s: is nginx buffering /api/events?')), 10_000);
    stream.on('response', (res) => {
      clearTimeout(timer);
      r(res);
    });
    stream.on('error', reject);
  });
  stream.end();
  const res = await opened;
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  let pending = '';
  res.on('data', (d: Buffer) => {
    pending += d.toString();
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = /^event: update\ndata: (.*)$/m.exec(event)?.[1];
      if (data) events.push(JSON.parse(data));
    }
  });
  res.on('end', () => (ended = true));
  res.on('error', () => (ended = true));
  try {
    await expect.poll(() => events.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(votersOf(events[0])).toEqual([]);

    await handle.signal(approveSignal, signAs(decisionStatement(open, 'approve', 'bob', { gate: 'approve' })));
    // The vote arrives on the stream opened before it, which is still open: nginx passed the event on, not the end.
    await expect.poll(() => votersOf(events.at(-1)), { timeout: 15_000 }).toEqual(['bob']);
    expect(ended).toBe(false);
  } finally {
    stream.destroy();
  }
}, 45_000);
