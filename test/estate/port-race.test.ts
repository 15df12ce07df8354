import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postmasterPids } from '../../estate/estate';
import { readRecord } from '../../estate/processes';
import { isListening } from '../../estate/ports';
import { freeRange, listeningPorts } from '../helpers/listening-ports';
import { estateLayout } from '../../estate/state-dir';
import { startTestEstate, type TestEstate } from '../../estate/testing';

/**
 * The other processes of the race, one per server the estate starts that can lose its port: PostgreSQL A, PostgreSQL
 * B, booking A, HAProxy. Each hangs up on whoever connects, so the estate's probes get no answer from it.
 */
const stealers = [
  /^initdb booking primary \(region A\) on port (\d+)/,
  /^pg_basebackup booking standby \(region B\) on port (\d+)/,
  /^start booking-A on port (\d+)/,
  /^start HAProxy: booking on port (\d+)/,
];
const holders: Server[] = stealers.map(() => createServer((socket) => socket.destroy()));
let estate: TestEstate | undefined;

afterAll(async () => {
  await estate?.stop();
  for (const holder of holders) if (holder.listening) await new Promise((r) => holder.close(r));
});

describe('estate up when another process takes a port it picked', () => {
  it('PostgreSQL A and B, booking A and HAProxy come up on fresh ports in the range, and the targets file names the ports they listen on', async () => {
    const range = await freeRange(12);
    const lines: string[] = [];
    const stolen: (number | undefined)[] = stealers.map(() => undefined);
    estate = await startTestEstate({
      ports: range,
      fleetHosts: 6,
      log: (line) => {
        lines.push(line);
        // The race, made certain: the port was picked free, and another process binds it just before the server does.
        // Listening without a host binds synchronously, on every address, so the server's bind on 127.0.0.1 fails.
        stealers.forEach((pattern, i) => {
          const m = pattern.exec(line);
          if (m && stolen[i] === undefined) holders[i]!.listen((stolen[i] = Number(m[1])));
        });
      },
    });
    const [stolenFromPgA, stolenFromPgB, stolenFromBooking, stolenFromHaproxy] = stolen;
    const log = lines.join('\n');
    expect(
      stolen.every((p) => p !== undefined),
      log,
    ).toBe(true);

    expect(log).toContain("another process took one of HAProxy's ports before it bound them; trying fresh ports");
    expect(log).toContain(`another process took port ${stolenFromPgA} before PostgreSQL bound it`);
    expect(log).toContain(`another process took port ${stolenFromPgB} before PostgreSQL bound it`);
    expect(log).toContain(`another process took port ${stolenFromBooking} before booking-A bound it; trying a fresh port`);

    const targets = JSON.parse(readFileSync(join(estate.dir, 'lifeboat.targets.json'), 'utf8'));
    const traffic = targets.services.booking.traffic;
    const entryPort = Number(new URL(traffic.entryUrl).port);
    const runtimePort: number = traffic.runtimeApi.port;
    expect(entryPort).not.toBe(stolenFromHaproxy);
    for (const port of [entryPort, runtimePort]) {
      expect(port).toBeGreaterThanOrEqual(range.from);
      expect(port).toBeLessThanOrEqual(range.to);
    }

    // HAProxy itself holds both ports the file names: its pid owns the listening sockets.
    const haproxy = readRecord(estateLayout(estate.dir).run, 'haproxy');
    expect(haproxy).toBeDefined();
    expect(listeningPorts(haproxy!.pid).sort((a, b) => a - b)).toEqual([entryPort, runtimePort].sort((a, b) => a - b));
    expect(await isListening(entryPort)).toBe(true);

    // Booking A runs on the port the file names, not the one taken from it, and HAProxy sends clients there.
    const bookingA = readRecord(estateLayout(estate.dir).run, 'booking-A');
    const bookingAUrl: string = targets.services.booking.serviceMode.regions.A.url;
    const bookingAPort = Number(new URL(bookingAUrl).port);
    expect(bookingAPort).not.toBe(stolenFromBooking);
    expect(bookingAPort).toBeGreaterThanOrEqual(range.from);
    expect(bookingAPort).toBeLessThanOrEqual(range.to);
    expect(listeningPorts(bookingA!.pid)).toEqual([bookingAPort]);
    // Both databases run on the ports the file names.
    const dbPorts: number[] = ['A', 'B'].map((r) => targets.services.booking.database.regions[r].port);
    expect(dbPorts).not.toContain(stolenFromPgA);
    expect(dbPorts).not.toContain(stolenFromPgB);
    for (const port of dbPorts) expect(port).toBeGreaterThanOrEqual(range.from);
    for (const port of dbPorts) expect(port).toBeLessThanOrEqual(range.to);
    expect(
      postmasterPids(estate.dir)
        .flatMap(listeningPorts)
        .sort((a, b) => a - b),
    ).toEqual([...dbPorts].sort((a, b) => a - b));
    const live = await fetch(`${traffic.entryUrl}/live`);
    expect(live.status).toBe(200);
    expect(await (await fetch(`${bookingAUrl}/live`)).json()).toMatchObject({ region: 'A' });
  });
});
