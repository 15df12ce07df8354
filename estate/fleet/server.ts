import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { argValue, HttpError, parseInput, readJson, sendError, sendJson } from '../http-util';
import { Fleet, FleetRequestError } from './model';
import { ChannelChange, ContentUpdate, HostAction, HostSelector, ScratchFleetRequest } from './schemas';

const Reachability = z.object({ scope: HostSelector.default({}), reachable: z.boolean() });

function selectorFrom(params: URLSearchParams): HostSelector {
  return parseInput(HostSelector, {
    ...(params.get('region') ? { region: params.get('region') } : {}),
    ...(params.get('role') ? { role: params.get('role') } : {}),
    ...(params.get('tag') ? { tag: params.get('tag') } : {}),
    ...(params.get('health') ? { health: params.get('health') } : {}),
    ...(params.get('ids') ? { ids: params.get('ids')!.split(',') } : {}),
    ...(params.get('fleet') ? { fleet: params.get('fleet') } : {}),
  });
}

/**
 * The fleet manager's control API, shaped like an EDR console: list hosts, steer the vendor's update channel,
 * and act on hosts in batches (by id list or selector). `/scratch-fleets` builds and removes throwaway copies of
 * a scope's hosts for isolated drills (selected with `fleet=<id>`, never by a production selector).
 * `/sim/*` drives the simulation (faults, reset).
 */
export function createFleetServer(size: number): { server: Server; fleet: Fleet; close: () => Promise<void> } {
  const fleet = new Fleet(size);

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fleet');
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const send = (status: number, body: unknown) => sendJson(res, status, body);

    if (method === 'GET') {
      if (url.pathname === '/health') return send(200, { ok: true, hosts: fleet.size });
      if (url.pathname === '/hosts') {
        const all = fleet.list(selectorFrom(url.searchParams));
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? all.length);
        return send(200, { total: all.length, offset, hosts: all.slice(offset, offset + limit) });
      }
      if (parts[0] === 'hosts' && parts.length === 2) {
        const host = fleet.get(parts[1]!);
        if (!host) throw new HttpError(404, `no host ${parts[1]}`, 'not-found');
        return send(200, { host });
      }
      if (url.pathname === '/summary') return send(200, fleet.summary());
      if (url.pathname === '/counters') return send(200, fleet.counters(url.searchParams.get('fleet') ?? undefined));
      if (url.pathname === '/scratch-fleets') return send(200, { fleets: fleet.scratchFleets() });
      if (parts[0] === 'scratch-fleets' && parts.length === 2) {
        const scratch = fleet.scratchFleet(parts[1]!);
        if (!scratch) throw new HttpError(404, `no scratch fleet ${parts[1]}`, 'not-found');
        return send(200, { ...scratch, counters: fleet.counters(scratch.id).totals });
      }
    }
    if (method === 'POST') {
      const body = await readJson(req);
      switch (url.pathname) {
        case '/channel':
          return send(200, fleet.setChannel(parseInput(ChannelChange, body)));
        case '/content-updates':
          return send(200, fleet.pushContent(parseInput(ContentUpdate, body)));
        case '/actions/quarantine':
          return send(200, fleet.quarantine(parseInput(HostAction, body)));
        case '/actions/rollback':
          return send(200, fleet.rollback(parseInput(HostAction, body)));
        case '/actions/reboot':
          return send(200, fleet.reboot(parseInput(HostAction, body)));
        case '/actions/mark-repaired':
          return send(200, fleet.markRepaired(parseInput(HostAction, body)));
        case '/scratch-fleets': {
          const created = fleet.createScratchFleet(parseInput(ScratchFleetRequest, body));
          return send(created.replayed ? 200 : 201, created);
        }
        case '/sim/reset':
          fleet.reset();
          return send(200, fleet.summary());
        case '/sim/reachability': {
          const r = parseInput(Reachability, body);
          return send(200, fleet.setReachable(r.scope, r.reachable));
        }
      }
    }
    if (method === 'DELETE' && parts[0] === 'scratch-fleets' && parts.length === 2) return send(200, fleet.removeScratchFleet(parts[1]!));
    throw new HttpError(404, `no route for ${method} ${url.pathname}`, 'not-found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => sendError(res, err instanceof FleetRequestError ? new HttpError(err.status, err.message, 'invalid-request') : err));
  });
  return {
    server,
    fleet,
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Entry point when started as a process: `--port N [--hosts 36]`. */
function main(): void {
  const argv = process.argv.slice(2);
  const port = Number(argValue(argv, 'port'));
  if (!port) throw new Error('fleet API needs --port');
  const size = Number(argValue(argv, 'hosts') ?? 36);
  const { server, close } = createFleetServer(size);
  server.listen(port, '127.0.0.1', () => console.log(`fleet API with ${size} hosts on 127.0.0.1:${port}`));
  const stop = () => void close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
