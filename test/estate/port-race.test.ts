import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecord } from '../../estate/processes';
import { canListen, isListening, type PortRange } from '../../estate/ports';
import { estateLayout } from '../../estate/state-dir';
import { startTestEstate, type TestEstate } from '../../estate/testing';

/** `size` consecutive ports free on 127.0.0.1 now, below the OS's ephemeral range so no outgoing connection takes one. */
async function freeRange(size: number): Promise<PortRange> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const from = 20_000 + Math.floor(Math.random() * 12_000);
    const ports = Array.from({ length: size }, (_, i) => from + i);
    if ((await Promise.all(ports.map((p) => canListen(p)))).every(Boolean)) return { from, to: from + size - 1 };
  }
  throw new Error(`no ${size} consecutive free ports found between 20000 and 32000`);
}

/** The other processes of the race: one takes HAProxy's client port, one booking A's port. */
// They hang up on whoever connects, so the estate's probes get no answer and closing them waits for no client.
const holders: Server[] = [createServer((socket) => socket.destroy()), createServer((socket) => socket.destroy())];
let estate: TestEstate | undefined;

afterAll(async () => {
  await estate?.stop();
  for (const holder of holders) if (holder.listening) await new Promise((r) => holder.close(r));
});

describe('estate up when another process takes a port it picked', () => {
  it('HAProxy and booking A come up on fresh ports in the range, and the targets file names the ports they really listen on', async () => {
    const range = await freeRange(12);
    const lines: string[] = [];
    let stolen: number | undefined;
    let stolenFromBooking: number | undefined;
    estate = await startTestEstate({
      ports: range,
      fleetHosts: 6,
      log: (line) => {
        lines.push(line);
        const m = /^start HAProxy on port (\d+)/.exec(line);
        // The race, made certain: the port was picked free, and another process binds it just before HAProxy does.
        // Listening without a host binds synchronously, on every address, so HAProxy's bind on 127.0.0.1 fails.
        if (m && stolen === undefined) {
          stolen = Number(m[1]);
          holders[0]!.listen(stolen);
        }
        const b = /^start booking-A on port (\d+)/.exec(line);
        if (b && stolenFromBooking === undefined) {
          stolenFromBooking = Number(b[1]);
          holders[1]!.listen(stolenFromBooking);
        }
      },
    });

    expect(stolen, lines.join('\n')).toBeDefined();
    expect(stolenFromBooking, lines.join('\n')).toBeDefined();
    expect(lines.join('\n')).toContain('before HAProxy bound it; trying fresh ports');
    expect(lines.join('\n')).toContain(`another process took port ${stolenFromBooking} before booking-A bound it; trying a fresh port`);

    const targets = JSON.parse(readFileSync(join(estate.dir, 'lifeboat.targets.json'), 'utf8'));
    const traffic = targets.services.booking.traffic;
    const entryPort = Number(new URL(traffic.entryUrl).port);
    const runtimePort: number = traffic.runtimeApi.port;
    expect(entryPort).not.toBe(stolen);
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
    const live = await fetch(`${traffic.entryUrl}/live`);
    expect(live.status).toBe(200);
    expect(await (await fetch(`${bookingAUrl}/live`)).json()).toMatchObject({ region: 'A' });
  });
});

/** Every TCP port a process listens on: its socket inodes (/proc/<pid>/fd) matched against /proc/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[9] && inodes.has(f[9])) ports.push(parseInt(f[1]!.split(':').at(-1)!, 16));
    }
  }
  return ports;
}
