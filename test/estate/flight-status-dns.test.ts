import { GetHealthCheckCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flightStatusActiveRegion, MOTO_CREDENTIALS, setUpFlightStatusDns, stopFlightStatusDns, type FlightStatusDns } from '../../estate/flight-status-dns';
import { MOTO_RECORD, startMotoServer, type MotoServer } from '../../estate/moto-server';
import { takeEstatePort } from '../../estate/ports';
import { isAlive, readRecord, stopRecorded } from '../../estate/processes';
import { createRoute53Traffic } from '../../providers/route53/traffic';
import { Route53Settings } from '../../providers/route53/settings';
import { ensureMoto } from '../helpers/moto';

const dir = mkdtempSync(join(tmpdir(), 'lifeboat-flight-status-'));
const taken = new Set<number>();
const take = () => takeEstatePort(taken, undefined);
/** Where the two flight-status servers would listen; moto stores health checks but never probes them. */
const serverUrls = { A: 'http://127.0.0.1:41801', B: 'http://127.0.0.1:41802' };
const savedEnv = Object.fromEntries(Object.keys(MOTO_CREDENTIALS).map((k) => [k, process.env[k]]));
let moto: MotoServer;
let dns: FlightStatusDns;

/** Lifeboat's own Route 53 provider over the estate's settings, with credentials from the environment as a worker has them. */
const lifeboatTraffic = (d: FlightStatusDns) => createRoute53Traffic(Route53Settings.parse(d.route53), ['A', 'B'], { pollMs: 100 });

beforeAll(async () => {
  ensureMoto();
  Object.assign(process.env, MOTO_CREDENTIALS);
  moto = await startMotoServer({ stateDir: dir, take });
  dns = await setUpFlightStatusDns({ stateDir: dir, endpoint: moto.endpoint, serverUrls });
});

afterAll(async () => {
  await stopRecorded(join(dir, 'run'), MOTO_RECORD);
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("flight-status's DNS failover records on moto", () => {
  it("makes region A's record PRIMARY on a first up, each record carrying a health check on its server's /health", async () => {
    expect(dns.primary).toBe('A');
    expect(await flightStatusActiveRegion(dns.route53)).toBe('A');
    expect((await lifeboatTraffic(dns).active()).region).toBe('A');
    const r53 = new Route53Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'any', secretAccessKey: 'any' },
    });
    for (const region of ['A', 'B'] as const) {
      const check = await r53.send(new GetHealthCheckCommand({ HealthCheckId: dns.route53.regions[region].healthCheckId }));
      const config = check.HealthCheck?.HealthCheckConfig;
      expect(`http://${config?.IPAddress}:${config?.Port}${config?.ResourcePath}`).toBe(`${serverUrls[region]}/health`);
    }
  });

  it('an up while moto still runs keeps its zone and health checks', async () => {
    const again = await setUpFlightStatusDns({ stateDir: dir, endpoint: moto.endpoint, serverUrls });
    expect(again).toEqual(dns);
  });

  it("keeps the PRIMARY region Lifeboat's provider switched to across a down and up, though moto forgets everything", async () => {
    await lifeboatTraffic(dns).switchTo('B');
    expect(await flightStatusActiveRegion(dns.route53)).toBe('B');

    await stopFlightStatusDns(dir);
    expect(isAlive(moto.pid)).toBe(false);
    expect(readRecord(join(dir, 'run'), MOTO_RECORD)).toBeUndefined();

    moto = await startMotoServer({ stateDir: dir, port: moto.port, take });
    const after = await setUpFlightStatusDns({ stateDir: dir, endpoint: moto.endpoint, serverUrls });
    expect(after.primary).toBe('B');
    expect(await flightStatusActiveRegion(after.route53)).toBe('B');
    expect((await lifeboatTraffic(after).active()).region).toBe('B');
  });
});
