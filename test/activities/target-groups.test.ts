import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { createBookingActivities } from '../../activities/booking';
import { createDatabaseActivities } from '../../activities/database';
import { createRegionSwitchActivities } from '../../activities/region-switch';
import { fixedTargetsAccess } from '../../activities/targets';
import { createTrafficActivities } from '../../activities/traffic';
import { freePort } from '../../lib/free-port';
import { parseTargets } from '../../providers/targets/load';

/**
 * Each service's load balancer and service modes are the `command` provider running test/fixtures/command-estate.mjs,
 * a user's own switch, each over its own state file: what the activities did is read back from those files. booking
 * and loyalty share one PostgreSQL server per region (a port nothing listens on: no step below needs it to answer).
 */
const fixture = resolve(__dirname, '..', 'fixtures', 'command-estate.mjs');
const dir = mkdtempSync(join(tmpdir(), 'lifeboat-groups-'));
const stateOf = (service: string) => join(dir, `${service}.json`);
type EstateState = { active: string; regions: Record<string, { serving: string; mode: string }> };
const read = (service: string) => JSON.parse(readFileSync(stateOf(service), 'utf8')) as EstateState;
const edit = (service: string, change: (s: EstateState) => void) => {
  const s = read(service);
  change(s);
  writeFileSync(stateOf(service), JSON.stringify(s));
};
const command = (service: string) => ({
  provider: 'command',
  command: ['/usr/bin/env', `COMMAND_ESTATE_STATE=${stateOf(service)}`, process.execPath, fixture],
});

let closedPort: number;
let lookup: Server;
let lookupUrl: string;
/** The keys `POST /records/lookup` of the small loyalty server says it lacks. */
let missingKeys: string[] = [];

beforeAll(async () => {
  closedPort = await freePort();
  // A loyalty region as the airline server answers: health with a writable database, and the records lookup.
  lookup = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/records/lookup' && req.method === 'POST') {
        const { keys } = JSON.parse(body) as { keys: string[] };
        res.end(JSON.stringify({ missing: keys.filter((k) => missingKeys.includes(k)) }));
      } else if (req.url === '/health') res.end(JSON.stringify({ service: 'flight-status', region: 'B', status: 'ok', mode: 'normal' }));
      else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => lookup.listen(0, '127.0.0.1', r));
  lookupUrl = `http://127.0.0.1:${(lookup.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => lookup.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const service of ['booking', 'loyalty', 'checkin', 'flight-status']) {
    writeFileSync(
      stateOf(service),
      JSON.stringify({ active: 'A', regions: { A: { serving: 'ready', mode: 'normal' }, B: { serving: 'ready', mode: 'normal' } } }),
    );
  }
});

const database = (name: string, port = closedPort) => ({
  provider: 'postgres',
  timeoutMs: 500,
  regions: { A: { host: '127.0.0.1', port, user: 'postgres', database: name }, B: { host: '127.0.0.1', port, user: 'postgres', database: name } },
});
const onCommands = (service: string) => ({ regions: ['A', 'B'], traffic: command(service), serviceMode: command(service) });

const targets = () =>
  parseTargets({
    version: 1,
    services: {
      booking: { ...onCommands('booking'), database: database('booking') },
      loyalty: { ...onCommands('loyalty'), database: database('loyalty') },
      checkin: { ...onCommands('checkin'), database: database('checkin', closedPort + 1), dependsOn: ['booking'] },
      'flight-status': { ...onCommands('flight-status'), stateless: true },
    },
  });

test('a failover of either member of a group moves both: traffic drained and switched, modes set, for each', async () => {
  const access = fixedTargetsAccess(targets());
  const regionSwitch = createRegionSwitchActivities(access);
  const traffic = createTrafficActivities(access);
  const modes = createBookingActivities(access);

  expect(await regionSwitch.resolveRegions({ service: 'loyalty' })).toEqual({
    service: 'loyalty',
    source: 'A',
    target: 'B',
    activeBefore: 'A',
    group: ['booking', 'loyalty'],
    stateless: false,
  });
  expect(await regionSwitch.resolveRegions({ service: 'checkin' })).toMatchObject({ group: ['checkin'], stateless: false });

  // An operator had put loyalty's A in maintenance: the read before the drain keeps each member's own state.
  edit('loyalty', (s) => (s.regions.A!.serving = 'maint'));
  const before = await regionSwitch.readServerState({ service: 'booking', region: 'A' });
  expect(before).toMatchObject({
    state: 'ready',
    members: [
      { service: 'booking', state: 'ready' },
      { service: 'loyalty', state: 'maint' },
    ],
  });

  const drained = await traffic.drainBackend({ service: 'booking', region: 'A' });
  expect(drained.members.map((m) => m.service)).toEqual(['booking', 'loyalty']);
  expect([read('booking').regions.A!.serving, read('loyalty').regions.A!.serving]).toEqual(['drain', 'drain']);
  expect(read('checkin').regions.A!.serving).toBe('ready');

  // The undo puts back each member's own state, not the named service's for all.
  await traffic.drainBackend({
    service: 'booking',
    region: 'A',
    state: 'ready',
    memberStates: Object.fromEntries(before.members.map((m) => [m.service, m.state])),
  });
  expect([read('booking').regions.A!.serving, read('loyalty').regions.A!.serving]).toEqual(['ready', 'maint']);

  const modeSet = await modes.setMode({ service: 'loyalty', region: 'B', mode: 'read-only' });
  expect(modeSet).toMatchObject({ region: 'B', mode: 'read-only', previous: 'normal', changed: true });
  expect([read('booking').regions.B!.mode, read('loyalty').regions.B!.mode]).toEqual(['read-only', 'read-only']);
  await modes.setMode({ service: 'booking', region: 'B', mode: 'manual', alone: true });
  expect([read('booking').regions.B!.mode, read('loyalty').regions.B!.mode]).toEqual(['manual', 'read-only']);

  const switched = await traffic.setActiveBackend({ service: 'loyalty', region: 'B' });
  expect(switched).toMatchObject({ region: 'B', previous: 'A', changed: true });
  expect(switched.members.map((m) => [m.service, m.changed])).toEqual([
    ['loyalty', true],
    ['booking', true],
  ]);
  expect([read('booking').active, read('loyalty').active, read('checkin').active]).toEqual(['B', 'B', 'A']);
}, 60_000);

test('the target of a group is ready only when every member reaches it; the preflight names the member that does not', async () => {
  const access = fixedTargetsAccess(targets());
  const regionSwitch = createRegionSwitchActivities(access);
  expect(await regionSwitch.targetReach({ service: 'booking', region: 'B' })).toMatchObject({ reaches: true, serving: 'ready' });

  edit('loyalty', (s) => (s.regions.B!.serving = 'maint'));
  const reach = await regionSwitch.targetReach({ service: 'booking', region: 'B' });
  expect(reach).toMatchObject({ reaches: false, serving: 'ready' });
  expect(reach.reason).toBe('loyalty: the traffic provider sees pool-B (region B) as MAINT: an operator put it in maintenance (MAINT)');
  expect(reach.members?.map((m) => [m.service, m.reaches])).toEqual([
    ['booking', true],
    ['loyalty', false],
  ]);

  // The shared database is checked once, through the named service; loyalty's maintenance is named as its own.
  const refused = await regionSwitch.preflightTarget({ service: 'booking', region: 'B', requireStreaming: true }).catch((e: Error) => e);
  expect(refused).toBeInstanceOf(Error);
  expect((refused as Error).message).toMatch(/^target region B is not ready: its database is unreachable \(.+\); loyalty: the traffic provider sees pool-B/);
}, 60_000);

test('a stateless service is preflighted and verified without a database, and database steps refuse, saying it keeps no data', async () => {
  const access = fixedTargetsAccess(targets());
  const regionSwitch = createRegionSwitchActivities(access);
  const traffic = createTrafficActivities(access);
  expect(await regionSwitch.resolveRegions({ service: 'flight-status' })).toMatchObject({ group: ['flight-status'], stateless: true });

  const preflight = await regionSwitch.preflightTarget({ service: 'flight-status', region: 'B', requireStreaming: true });
  expect(preflight).toMatchObject({ region: 'B', stateless: true, service: { reachable: true, status: 'ok' }, loadBalancer: { status: 'READY' } });

  const refusal = await createDatabaseActivities(access)
    .nodeStatus({ service: 'flight-status', region: 'B' })
    .catch((e: { message: string; type?: string; nonRetryable?: boolean }) => e);
  expect(refusal).toMatchObject({
    message:
      'service "flight-status" keeps no data (stateless in the targets file), so it has no database to act on: a failover of it moves only its traffic and modes',
    type: 'Precondition',
    nonRetryable: true,
  });

  const verify = { service: 'flight-status', region: 'B', idempotencyKey: 'verify-1', windowSeconds: 0, servedWithinSeconds: 0 };
  await expect(regionSwitch.verifyThroughLoadBalancer(verify)).rejects.toThrow(/sends clients to A, not region B/);
  await traffic.setActiveBackend({ service: 'flight-status', region: 'B' });
  expect(await regionSwitch.verifyThroughLoadBalancer(verify)).toMatchObject({ bookingRegion: 'B', healthChecks: 1, replayed: false });
  edit('flight-status', (s) => (s.regions.B!.mode = 'read-only'));
  await expect(regionSwitch.verifyThroughLoadBalancer(verify)).rejects.toThrow(/health is not green in region B/);
}, 60_000);

test('over HTTP, a stateless service is green without a database; lost writes of a group are counted per member and summed', async () => {
  const stateDir = join(dir, 'estate');
  rmSync(stateDir, { recursive: true, force: true });
  const http = { provider: 'http', regions: { A: { url: lookupUrl }, B: { url: lookupUrl } } };
  const sampleEstate = { provider: 'sample-estate', stateDir, dataDirs: { A: join(stateDir, 'pg', 'A'), B: join(stateDir, 'pg', 'B') } };
  const access = fixedTargetsAccess(
    parseTargets({
      version: 1,
      services: {
        booking: { regions: ['A', 'B'], traffic: command('booking'), database: database('booking') },
        loyalty: { regions: ['A', 'B'], traffic: command('loyalty'), serviceMode: http, database: database('loyalty'), sampleEstate },
        'flight-status': { regions: ['A', 'B'], traffic: command('flight-status'), serviceMode: http, stateless: true },
      },
    }),
  );
  const regionSwitch = createRegionSwitchActivities(access);
  await createTrafficActivities(access).setActiveBackend({ service: 'flight-status', region: 'B' });
  // The small server's health has no `db`: enough for a service that keeps none.
  expect(await regionSwitch.verifyThroughLoadBalancer({ service: 'flight-status', region: 'B', idempotencyKey: 'v', windowSeconds: 0 })).toMatchObject({
    healthChecks: 1,
  });

  // No load counter files yet: nothing measured, for either member.
  expect(await regionSwitch.countLostAcknowledged({ service: 'loyalty', region: 'B' })).toEqual({
    present: false,
    members: [
      { service: 'loyalty', loss: { present: false } },
      { service: 'booking', loss: { present: false } },
    ],
  });

  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, 'load-loyalty.json'), JSON.stringify({ lastAcknowledged: { at: '2026-12-05T10:00:00.000Z' } }));
  writeFileSync(join(stateDir, 'load-loyalty-acked.jsonl'), ['"m-1"', '"m-2"', '"m-3"', ''].join('\n'));
  missingKeys = ['m-2'];
  expect(await regionSwitch.countLostAcknowledged({ service: 'booking', region: 'B' })).toEqual({
    present: true,
    checked: 3,
    lost: 1,
    lostKeys: ['m-2'],
    lastAcknowledgedAt: '2026-12-05T10:00:00.000Z',
    members: [
      { service: 'booking', loss: { present: false } },
      { service: 'loyalty', loss: { present: true, checked: 3, lost: 1, lostKeys: ['m-2'], lastAcknowledgedAt: '2026-12-05T10:00:00.000Z' } },
    ],
  });
}, 60_000);
