import { createServer, Socket } from 'node:net';
import type { EstateCatalog } from './catalog';

/** The variable that confines the estate's ports to a range, so the estate can live beside other services. */
export const ESTATE_PORTS_VAR = 'LIFEBOAT_ESTATE_PORTS';

/**
 * How many ports `up` listens on: PostgreSQL A and B, booking A and B, the fleet API, HAProxy's client port and
 * its runtime API. A range smaller than this is refused before anything starts.
 */
export const ESTATE_PORT_COUNT = 7;

/** A range of ports, both ends included. */
export interface PortRange {
  from: number;
  to: number;
}

const LOWEST = 1024;
const HIGHEST = 65535;

/** The fix every refusal ends with: the shape of the value and how many ports the estate needs. */
const HOW = `write ${ESTATE_PORTS_VAR}=FROM-TO with ${LOWEST} <= FROM <= TO <= ${HIGHEST}, at least ${ESTATE_PORT_COUNT} ports (the estate listens on ${ESTATE_PORT_COUNT}; leave a few more for drills), e.g. ${ESTATE_PORTS_VAR}=41000-41019, or unset it to take ports the OS assigns`;

/**
 * Parses `FROM-TO` (unset or blank: no range, the OS assigns ports). A malformed value, or a range that cannot hold
 * the estate, is refused with the variable, the value and the fix, since a typo here would otherwise surface later
 * as a port clash with the very service the range was meant to avoid.
 */
export function parseEstatePorts(value: string | undefined): PortRange | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const shown = `${ESTATE_PORTS_VAR}=${JSON.stringify(value)}`;
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(value);
  if (!m) throw new Error(`${shown} is not a port range: ${HOW}`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from < LOWEST || to > HIGHEST) throw new Error(`${shown} reaches outside ${LOWEST}-${HIGHEST}: ${HOW}`);
  if (from > to) throw new Error(`${shown} ends before it starts: ${HOW}`);
  const size = to - from + 1;
  if (size < ESTATE_PORT_COUNT) {
    throw new Error(
      `${shown} holds ${size} port${size === 1 ? '' : 's'}; the estate needs ${ESTATE_PORT_COUNT} (PostgreSQL A and B, booking A and B, ` +
        `the fleet API, HAProxy's client and runtime API ports): widen it to at least ${from}-${from + ESTATE_PORT_COUNT - 1}, ` +
        `better with room for drills, e.g. ${from}-${Math.min(HIGHEST, from + 19)}`,
    );
  }
  return { from, to };
}

/** The range from the environment, if one is set (throws on a bad value; see `parseEstatePorts`). */
export function estatePortRange(env: NodeJS.ProcessEnv = process.env): PortRange | undefined {
  return parseEstatePorts(env[ESTATE_PORTS_VAR]);
}

/** A loopback port the OS says is free now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('the OS assigned no port'))));
    });
  });
}

/** Whether something accepts TCP connections on host:port now: a server the estate started is up. */
export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = new Socket();
    const done = (result: boolean) => {
      socket.destroy();
      resolveListening(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Whether nothing holds `port` on 127.0.0.1 now: a listen there succeeds (a listener on 0.0.0.0 makes it fail too). */
export function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolveFree(true)));
  });
}

/**
 * A free loopback port for the estate, not in `taken`: the lowest free one in `range` when there is one (see
 * `estatePortRange`), else one the OS assigns. The port is added to `taken`, so one plan never hands out a port twice. Throws, naming the
 * variable and the fix, when the range has no free port left.
 */
export async function takeEstatePort(taken: Set<number>, range: PortRange | undefined): Promise<number> {
  if (!range) {
    for (;;) {
      const port = await freePort();
      if (!taken.has(port)) return (taken.add(port), port);
    }
  }
  for (let port = range.from; port <= range.to; port++) {
    if (taken.has(port)) continue;
    if (await canListen(port)) return (taken.add(port), port);
  }
  throw new Error(
    `no free port left in ${ESTATE_PORTS_VAR}=${range.from}-${range.to} on 127.0.0.1 (the estate itself needs ${ESTATE_PORT_COUNT}, ` +
      `drills one more each): stop what else listens there, or widen or move the range`,
  );
}

/** Whether a port lies in the range (no range: any port does). */
export function inRange(port: number, range: PortRange | undefined): boolean {
  return !range || (port >= range.from && port <= range.to);
}

/**
 * The ports the estate's catalog holds for its own servers. A drill picking a port in the range passes these as
 * taken: a region broken on purpose leaves its ports free for a while, and its servers must get them back.
 */
export function catalogPorts(catalog: EstateCatalog): Set<number> {
  const { A, B } = catalog.services.booking.regions;
  const port = (url: string) => Number(new URL(url).port);
  const ports = [A.postgres.port, B.postgres.port, port(A.url), port(B.url), port(catalog.fleet.url)];
  if (catalog.loadBalancer) ports.push(port(catalog.loadBalancer.clientUrl), catalog.loadBalancer.runtimeApi.port);
  return new Set(ports);
}
