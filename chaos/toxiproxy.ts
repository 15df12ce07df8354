import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../lib/free-port';

/** Where `npm run setup:chaos` (scripts/install-toxiproxy.sh) puts Toxiproxy's server. */
export const toxiproxyBinaryPath = resolve(__dirname, '..', '.tools', 'toxiproxy', 'bin', 'toxiproxy-server');

/** The installed Toxiproxy server, or an error that says how to install it. */
export function requireToxiproxyBinary(path: string = toxiproxyBinaryPath): string {
  if (!existsSync(path)) throw new Error(`Toxiproxy's server is not installed at ${path}: run npm run setup:chaos (it needs Go)`);
  return path;
}

/** Which way a toxic acts: on what the client sends (upstream) or on what it receives (downstream). */
export type ToxicStream = 'upstream' | 'downstream';

/**
 * The toxics the chaos suite injects, with Toxiproxy's own attribute names (milliseconds, KB/s, bytes):
 * - latency: every chunk waits `latency` ± `jitter` ms;
 * - timeout: data stops; the connection closes after `timeout` ms (0: never, it just hangs);
 * - reset_peer: the connection is reset (TCP RST) after `timeout` ms;
 * - bandwidth: at most `rate` KB/s;
 * - slicer: data is cut into pieces of about `average_size` bytes, `delay` µs apart;
 * - limit_data: the connection closes after `bytes` bytes.
 */
export type ToxicKind =
  | { type: 'latency'; attributes: { latency: number; jitter?: number } }
  | { type: 'timeout'; attributes: { timeout: number } }
  | { type: 'reset_peer'; attributes: { timeout: number } }
  | { type: 'bandwidth'; attributes: { rate: number } }
  | { type: 'slicer'; attributes: { average_size: number; size_variation?: number; delay?: number } }
  | { type: 'limit_data'; attributes: { bytes: number } };

/**
 * One toxic to add to a proxy. `toxicity` is the share of connections it affects (0 to 1, default 1); Toxiproxy draws
 * per connection from its seed. Without a name Toxiproxy calls it `<type>_<stream>`.
 */
export type Toxic = ToxicKind & { name?: string; stream?: ToxicStream; toxicity?: number };

/** A proxy as Toxiproxy reports it: clients connect to `listen`, and it forwards to `upstream`. */
export interface ToxiproxyProxy {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** An answer from Toxiproxy's API other than the one asked for, with what it said. */
export class ToxiproxyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ToxiproxyError';
  }
}

/** `host:port` when the host is this machine's loopback (127.0.0.0/8 or localhost), else undefined. */
function loopbackAddress(address: string): string | undefined {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return /^127(\.\d{1,3}){3}$/.test(host) || host === 'localhost' ? address : undefined;
}

/** How many times a proxy is created on a fresh free port when another process took the one picked first. */
const LISTEN_ATTEMPTS = 3;

/** A small typed client of Toxiproxy's HTTP API. */
export class ToxiproxyClient {
  constructor(readonly apiUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (!res.ok) throw new ToxiproxyError(res.status, `Toxiproxy ${method} ${path} answered ${res.status}: ${text.trim()}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The server's version, e.g. `2.5.0`; it answers once the API listens. */
  async version(): Promise<string> {
    const res = await fetch(`${this.apiUrl}/version`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) throw new ToxiproxyError(res.status, `Toxiproxy GET /version answered ${res.status}`);
    const text = (await res.text()).trim();
    // v2.5.0 answers JSON ({"version": ...}); older servers answered the bare version.
    try {
      return String((JSON.parse(text) as { version?: unknown }).version ?? text);
    } catch {
      return text;
    }
  }

  /**
   * A proxy from a free loopback port to `upstream` (`127.0.0.1:5432`). Refuses any upstream off this machine, so no
   * test traffic ever leaves the loopback. The port is fixed for the proxy's life, so disabling and enabling it keeps
   * the address the targets file names.
   */
  async createProxy(name: string, upstream: string): Promise<ToxiproxyProxy> {
    if (!loopbackAddress(upstream))
      throw new Error(`refusing proxy "${name}" to ${upstream}: only loopback upstreams (127.0.0.1:PORT) are proxied, so no test traffic leaves this machine`);
    for (let attempt = 1; ; attempt++) {
      const listen = `127.0.0.1:${await freePort()}`;
      try {
        const created = await this.call<ToxiproxyProxy>('POST', '/proxies', { name, listen, upstream, enabled: true });
        return { name: created.name, listen: created.listen, upstream: created.upstream, enabled: created.enabled };
      } catch (err) {
        // The port was free when asked, but another process may bind it before Toxiproxy does.
        const taken = err instanceof ToxiproxyError && /address already in use/.test(err.message);
        if (!taken || attempt >= LISTEN_ATTEMPTS) throw err;
      }
    }
  }

  /** Deletes a proxy: its address stops listening. */
  async removeProxy(name: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(name)}`);
  }

  /** Adds a toxic to a proxy's new and open connections; returns its name, which {@link removeToxic} takes. */
  async addToxic(proxy: string, toxic: Toxic): Promise<string> {
    const added = await this.call<{ name: string }>('POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, {
      stream: 'downstream',
      toxicity: 1,
      ...toxic,
    });
    return added.name;
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.call('DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
  }

  /** Removes every toxic of one proxy, leaving the others' faults in place. */
  async removeAllToxics(proxy: string): Promise<void> {
    const toxics = await this.call<{ name: string }[]>('GET', `/proxies/${encodeURIComponent(proxy)}/toxics`);
    for (const t of toxics) await this.removeToxic(proxy, t.name);
  }

  /**
   * Takes a link down or brings it back. A disabled proxy closes its open connections and refuses new ones, as a
   * cut link or a dead host would; enabled again, it listens on the same address.
   */
  async setEnabled(proxy: string, enabled: boolean): Promise<void> {
    await this.call('POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled });
  }

  /** Every proxy enabled again and every toxic gone: the network as it was before any fault. */
  async resetAll(): Promise<void> {
    await this.call('POST', '/reset');
  }

  async proxies(): Promise<ToxiproxyProxy[]> {
    const all = await this.call<Record<string, ToxiproxyProxy>>('GET', '/proxies');
    return Object.values(all).map((p) => ({ name: p.name, listen: p.listen, upstream: p.upstream, enabled: p.enabled }));
  }
}

/** A Toxiproxy server this process started: the client of its API, and the process to stop. */
export class Toxiproxy extends ToxiproxyClient {
  constructor(
    apiUrl: string,
    private readonly child: ChildProcess,
    /** Toxiproxy's own log: proxies created, toxics added, links cut. */
    readonly logFile: string,
  ) {
    super(apiUrl);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ends the server: SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const inTime = await Promise.race([gone.then(() => true), sleep(graceMs).then(() => false)]);
  if (!inTime && !exited(child)) {
    child.kill('SIGKILL');
    await gone;
  }
}

/**
 * Starts Toxiproxy's server on a free loopback port, its log in `dir/toxiproxy.log`, and waits until its API
 * answers. `seed` fixes which connections a partial toxicity hits, so a seeded chaos run repeats its faults.
 */
export async function startToxiproxy(opts: { dir: string; seed?: number; binary?: string; readyTimeoutMs?: number }): Promise<Toxiproxy> {
  const binary = requireToxiproxyBinary(opts.binary);
  const port = await freePort();
  const logFile = join(opts.dir, 'toxiproxy.log');
  const out = openSync(logFile, 'a');
  const args = ['-host', '127.0.0.1', '-port', String(port), ...(opts.seed === undefined ? [] : ['-seed', String(opts.seed)])];
  // At its default level (trace) Toxiproxy logs every chunk of every connection; info keeps proxies, toxics and errors.
  // In its own process group, so a Ctrl-C at the chaos runner reaches the runner alone, which stops it in order.
  const child = spawn(binary, args, { stdio: ['ignore', out, out], env: { ...process.env, LOG_LEVEL: 'info' }, detached: true });
  closeSync(out);
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  const running = new Toxiproxy(`http://127.0.0.1:${port}`, child, logFile);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  for (;;) {
    if (spawnError) throw new Error(`could not start Toxiproxy (${binary}): ${spawnError.message}`);
    if (exited(child)) {
      throw new Error(`Toxiproxy exited before its API answered (${child.exitCode ?? child.signalCode}); its log ${logFile}:\n${logTail(logFile)}`);
    }
    try {
      await running.version();
      return running;
    } catch {
      if (Date.now() > deadline) {
        await running.stop();
        throw new Error(`Toxiproxy's API on 127.0.0.1:${port} did not answer; its log ${logFile}:\n${logTail(logFile)}`);
      }
      await sleep(100);
    }
  }
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}
