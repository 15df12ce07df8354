import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../../lib/http-request';
import { usageError } from '../errors';

/**
 * How many live-update streams the console keeps open. Streams are unauthenticated on loopback and each one holds a
 * connection and a share of a poller, so they are bounded per client address and overall. A refused stream costs the
 * viewer nothing but freshness: the page polls instead. Pages and API calls (reading a run, relaying a signed
 * decision) are never counted, so the person approving always gets through.
 */
export interface StreamBounds {
  /** Streams one remote address may hold at once; the next is refused with 429. */
  perClient: number;
  /** Streams the whole console holds at once; the next is refused with 503. */
  total: number;
}

/** Four per address leaves a browser two of its six connections per host for pages and decisions. */
export const defaultStreamBounds: StreamBounds = { perClient: 4, total: 64 };

const boundVariables = { perClient: 'LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT', total: 'LIFEBOAT_CONSOLE_STREAMS_TOTAL' } as const;

/**
 * The bounds from LIFEBOAT_CONSOLE_STREAMS_PER_CLIENT and LIFEBOAT_CONSOLE_STREAMS_TOTAL, each a whole number from 1
 * to 10000, defaults where unset. A bad value is a usage error naming the variable (exit 2), not a silent default.
 */
export function streamBoundsFromEnv(env: NodeJS.ProcessEnv): StreamBounds {
  const bounds = { ...defaultStreamBounds };
  for (const key of ['perClient', 'total'] as const) {
    const name = boundVariables[key];
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < 1 || value > 10_000) {
      throw usageError(
        `${name} is "${text.slice(0, 40)}", not a whole number from 1 to 10000`,
        `set ${name} to a number such as ${defaultStreamBounds[key]}, or unset it for that default`,
      );
    }
    bounds[key] = value;
  }
  if (bounds.perClient > bounds.total) {
    throw usageError(
      `${boundVariables.perClient} (${bounds.perClient}) is more than ${boundVariables.total} (${bounds.total})`,
      `lower ${boundVariables.perClient} or raise ${boundVariables.total}`,
    );
  }
  return bounds;
}

/** A client that stops reading is cut off once this much is waiting for it, instead of the console buffering on. */
const maxBufferedBytes = 1024 * 1024;

/** What a stream watches: one run, or the list under some filters. */
export type Watched = { run: string } | { filters: Record<string, string | undefined> };

interface Watch {
  clients: Set<ServerResponse>;
  timer: NodeJS.Timeout;
  last: string;
}

/** Live updates: one poller per watched run or list, shared by every page that watches it, within the bounds. */
export class LiveStreams {
  private readonly watches = new Map<string, Watch>();
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly read: (what: Watched) => Promise<unknown>,
    private readonly problemOf: (err: unknown) => unknown,
    private readonly pollMs: number,
    private readonly bounds: StreamBounds,
  ) {}

  /** Opens a stream, or throws 429 (this address has its share) or 503 (the console has its share) before any byte is sent. */
  open(req: IncomingMessage, res: ServerResponse, what: Watched): void {
    const client = req.socket.remoteAddress ?? 'unknown';
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.bounds.perClient) {
      res.setHeader('retry-after', '30');
      throw new HttpError(
        429,
        `this address already has ${mine} live pages open, the most it may (${boundVariables.perClient}); close one, or this page refreshes every few seconds instead`,
      );
    }
    if (this.total >= this.bounds.total) {
      res.setHeader('retry-after', '30');
      throw new HttpError(
        503,
        `the console already serves ${this.total} live pages, the most it may (${boundVariables.total}); this page refreshes every few seconds instead`,
      );
    }
    this.perClient.set(client, mine + 1);
    this.total++;
    // A reverse proxy (nginx) buffers responses by default, which would hold live updates back until the buffer fills:
    // X-Accel-Buffering asks it to pass each event on at once.
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const key = 'run' in what ? `run:${what.run}` : `list:${JSON.stringify(what.filters)}`;
    const watch = this.watches.get(key) ?? this.startWatch(key, what);
    if (watch.last) res.write(watch.last);
    watch.clients.add(res);
    const heartbeat = setInterval(() => this.send(res, ': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(heartbeat);
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
      const w = this.watches.get(key);
      if (!w) return;
      w.clients.delete(res);
      if (w.clients.size === 0) {
        clearInterval(w.timer);
        this.watches.delete(key);
      }
    });
  }

  /** Ends every stream, when the console stops. */
  closeAll(): void {
    for (const w of this.watches.values()) {
      clearInterval(w.timer);
      for (const client of w.clients) client.end();
    }
    this.watches.clear();
  }

  private startWatch(key: string, what: Watched): Watch {
    const poll = async () => {
      const w = this.watches.get(key);
      if (!w) return;
      let event: string;
      try {
        event = `event: update\ndata: ${JSON.stringify(await this.read(what))}\n\n`;
      } catch (err) {
        event = `event: problem\ndata: ${JSON.stringify(this.problemOf(err))}\n\n`;
      }
      if (event !== w.last) {
        w.last = event;
        for (const client of w.clients) this.send(client, event);
      }
    };
    const every = 'run' in what ? this.pollMs : Math.max(this.pollMs, 2000);
    const watch: Watch = { clients: new Set(), timer: setInterval(() => void poll(), every), last: '' };
    this.watches.set(key, watch);
    void poll();
    return watch;
  }

  private send(client: ServerResponse, text: string): void {
    if (client.writableLength > maxBufferedBytes) client.destroy();
    else client.write(text);
  }
}
