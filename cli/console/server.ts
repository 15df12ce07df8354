import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { HttpError, readBody, sameToken } from '../../lib/http-request';
import { CliError } from '../errors';
import { ConsoleApi, type ConsoleApiOptions } from './api';
import { defaultStreamBounds, LiveStreams, type StreamBounds } from './live-streams';

/** Where the console listens and who may look. */
export interface ConsoleServerOptions extends ConsoleApiOptions {
  host: string;
  port: number;
  /**
   * When set, every page and API call needs it (a cookie set by /login, or `Authorization: Bearer`). Without it the
   * boundary is the network: the console refuses to listen beyond loopback.
   */
  token?: string;
  /** The origin people open the console at when it is not on loopback, such as https://lifeboat.example.com. */
  publicOrigin?: string;
  /** How often a watched run is re-read for live updates. */
  pollMs?: number;
  /** How many live-update streams one address and the whole console may hold (streamBoundsFromEnv); 4 and 64 by default. */
  streamBounds?: StreamBounds;
}

export interface ConsoleServer {
  /** What to open in a browser: http://localhost:PORT (passkeys are made for the host name, not an address). */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const staticDir = join(__dirname, 'static');
/**
 * What /static/ serves, by ending: the stylesheet and the browser modules, each with the type a module script needs
 * (with `nosniff`, the browser runs nothing served as anything else). Nothing else in the folder is served: not its
 * tsconfig.json, not the pages (they have their own paths).
 */
const staticTypes: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const pages = new Set(['/', '/start', '/drills', '/enrol']);

/** No inline script, no framing, nothing fetched from elsewhere. */
const pageCsp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** The HTML report is one self-contained file with inline styles and no script at all. */
const reportCsp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const svgCsp = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'";

const MAX_BODY = 32 * 1024;
const COOKIE = 'lifeboat_console';

/**
 * The console's HTTP server: pages, a JSON API, and server-sent events for live runs (bounded per address and overall,
 * so streams never crowd out the pages and API calls people decide through). It relays signed decisions and
 * signs nothing; it is read-only to anyone without a passkey in the roster.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const api = new ConsoleApi(options);
  const assets = staticAssets();
  const indexHtml = readFileSync(join(staticDir, 'index.html'));
  const loginHtml = readFileSync(join(staticDir, 'login.html'));
  const streams = new LiveStreams(
    (what) => ('run' in what ? api.run(what.run) : api.runs(what.filters)),
    problemOf,
    options.pollMs ?? 500,
    options.streamBounds ?? defaultStreamBounds,
  );
  let port = options.port;

  const allowedHosts = () => {
    const hosts = [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`];
    if (options.publicOrigin) hosts.push(new URL(options.publicOrigin).host);
    return hosts;
  };
  const allowedOrigins = () => [
    `http://localhost:${port}`,
    `http://127.0.0.1:${port}`,
    `http://[::1]:${port}`,
    ...(options.publicOrigin ? [new URL(options.publicOrigin).origin] : []),
  ];

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setCommonHeaders(res);
    // A page on another site cannot reach us through a name that points here (DNS rebinding).
    if (!allowedHosts().includes(req.headers.host ?? ''))
      throw new HttpError(421, `this console answers as ${allowedHosts()[0]}, not ${String(req.headers.host).slice(0, 100)}`);
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if (!origin || !allowedOrigins().includes(origin)) throw new HttpError(403, 'cross-site requests are refused');
    }
    if (path === '/login') return login(req, res);
    // Scripts and styles hold no data, so the login page may use them too.
    const asset = assets[path];
    if (req.method === 'GET' && asset) return send(res, 200, asset.type, asset.body, 'no-cache');
    if (options.token && !authorised(req)) {
      if (path.startsWith('/api/')) throw new HttpError(401, 'log in first: open /login, or send Authorization: Bearer <token>');
      res.writeHead(303, { location: '/login' }).end();
      return;
    }
    if (req.method === 'GET' && (pages.has(path) || path.startsWith('/run/'))) return send(res, 200, 'text/html; charset=utf-8', indexHtml);
    if (!path.startsWith('/api/')) throw new HttpError(404, 'no such page');
    return route(req, res, path.slice('/api/'.length), url.searchParams);
  }

  async function route(req: IncomingMessage, res: ServerResponse, name: string, q: URLSearchParams): Promise<void> {
    const run = () => requireParam(q, 'run');
    const get = req.method === 'GET';
    const post = req.method === 'POST';
    if (get && name === 'config') return json(res, await api.config());
    if (get && name === 'runs') return json(res, await api.runs(filtersOf(q)));
    if (get && name === 'run') return json(res, await api.run(run()));
    if (get && name === 'timeline.svg') return send(res, 200, 'image/svg+xml; charset=utf-8', await api.timelineSvg(run()), 'no-store', svgCsp);
    if (get && name === 'report.html') return send(res, 200, 'text/html; charset=utf-8', await api.reportHtml(run()), 'no-store', reportCsp);
    if (get && name === 'events') return streams.open(req, res, q.has('run') ? { run: run() } : { filters: filtersOf(q) });
    if (get && name === 'runbook') return json(res, await api.runbook(requireParam(q, 'id')));
    if (get && name === 'drills') return json(res, await api.drills());
    if (get && name === 'readiness') return json(res, await api.readiness());
    if (get && name === 'drill-history') return json(res, await api.drillHistory(requireParam(q, 'runbook')));
    if (get && name === 'drill-history.svg')
      return send(res, 200, 'image/svg+xml; charset=utf-8', await api.drillHistorySvg(requireParam(q, 'runbook')), 'no-store', svgCsp);
    if (post && name === 'decision/prepare') return json(res, await api.prepareDecision(run(), await jsonBody(req)));
    if (post && name === 'task/prepare') return json(res, await api.prepareTask(run(), await jsonBody(req)));
    if (post && name === 'decision/submit') return json(res, await api.submitDecision(run(), await jsonBody(req)));
    if (post && name === 'start/prepare') return json(res, await api.prepareStart(await jsonBody(req)));
    if (post && name === 'start/submit') return json(res, await api.submitStart(await jsonBody(req)));
    if (post && name === 'drills/control') {
      const body = (await jsonBody(req)) as { scheduleId?: unknown; action?: unknown };
      return json(res, await api.controlSchedule(String(body.scheduleId ?? ''), String(body.action ?? '')));
    }
    throw new HttpError(404, `no API ${name.slice(0, 100)}`);
  }

  function authorised(req: IncomingMessage): boolean {
    const token = options.token!;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && sameToken(bearer, token)) return true;
    const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
    return cookie !== undefined && sameToken(decodeURIComponent(cookie.slice(COOKIE.length + 1)), token);
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') return send(res, 200, 'text/html; charset=utf-8', loginHtml);
    if (req.method !== 'POST' || !options.token) throw new HttpError(404, 'no login here');
    const token = new URLSearchParams(await readBody(req, 4096)).get('token') ?? '';
    if (!sameToken(token, options.token)) {
      res.writeHead(303, { location: '/login?failed=1' }).end();
      return;
    }
    const secure = options.publicOrigin?.startsWith('https:') ? '; Secure' : '';
    res.writeHead(303, { location: '/', 'set-cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/${secure}` }).end();
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  api.consoleUrl = options.publicOrigin ?? `http://localhost:${port}`;
  return {
    url: api.consoleUrl,
    port,
    server,
    async close() {
      streams.closeAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Every module and stylesheet in the static folder, read once at start, by the path the pages load it from. */
function staticAssets(): Record<string, { type: string; body: Buffer }> {
  const assets: Record<string, { type: string; body: Buffer }> = {};
  for (const entry of readdirSync(staticDir, { withFileTypes: true })) {
    const type = staticTypes[extname(entry.name)];
    if (entry.isFile() && type) assets[`/static/${entry.name}`] = { type, body: readFileSync(join(staticDir, entry.name)) };
  }
  return assets;
}

function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', pageCsp);
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'same-origin');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-store', csp?: string): void {
  if (csp) res.setHeader('content-security-policy', csp);
  res.writeHead(status, { 'content-type': type, 'cache-control': cache });
  res.end(body);
}

function json(res: ServerResponse, value: unknown): void {
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
}

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'send JSON (Content-Type: application/json)');
  const text = await readBody(req, MAX_BODY);
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the body is not JSON');
  }
}

function requireParam(q: URLSearchParams, name: string): string {
  const value = q.get(name);
  if (!value || value.length > 300) throw new HttpError(400, `name the ${name} (?${name}=...)`);
  return value;
}

function filtersOf(q: URLSearchParams): Record<string, string | undefined> {
  const pick = (k: string) => q.get(k) || undefined;
  return { runbook: pick('runbook'), target: pick('target'), state: pick('state'), drill: pick('drill') };
}

const statusOfCode: Record<string, number> = {
  usage: 400,
  'invalid-input': 400,
  'not-found': 404,
  refused: 409,
  'already-running': 409,
  finished: 409,
  'no-worker': 503,
  unreachable: 503,
};

function problemOf(err: unknown): { status: number; code: string; message: string; suggestion?: string } {
  if (err instanceof HttpError) return { status: err.status, code: 'http', message: err.message };
  if (err instanceof CliError)
    return { status: statusOfCode[err.code] ?? 500, code: err.code, message: err.message, ...(err.suggestion ? { suggestion: err.suggestion } : {}) };
  return { status: 500, code: 'failed', message: err instanceof Error ? err.message : String(err) };
}

function sendError(res: ServerResponse, err: unknown): void {
  const problem = problemOf(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  // A body over the limit is not read on: answer and close the connection.
  if (problem.status === 413) res.setHeader('connection', 'close');
  send(res, problem.status, 'application/json; charset=utf-8', JSON.stringify({ error: problem }));
}
