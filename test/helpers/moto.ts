import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../lib/free-port';
import { repoRoot, toolsDir } from '../../lib/paths';
import { Route53Settings } from '../../providers/route53/settings';

/** Where `scripts/install-moto.sh` puts moto, and the version the tests were written against. */
export const motoDir = join(toolsDir, 'moto');
const motoSpec = 'moto[server]==5.2.5';

/**
 * Credentials for moto: it accepts any. Put them in `process.env` (or a worker's or CLI's child environment) so
 * the provider's standard credential chain finds them, exactly as it finds real ones.
 */
export const motoEnv = { AWS_ACCESS_KEY_ID: 'moto-test', AWS_SECRET_ACCESS_KEY: 'moto-test', AWS_REGION: 'us-east-1' } as const;

/** Installs moto into `.tools/moto` when it is not there (about 40 s once). Fails loudly: a CI without moto is broken. */
export function ensureMoto(): void {
  const marker = join(motoDir, '.installed');
  if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === motoSpec) return;
  try {
    execFileSync('bash', [join(repoRoot, 'scripts/install-moto.sh')], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    throw new Error(
      `moto is not installed and scripts/install-moto.sh failed (needs python3 and pip): ${e.stderr?.toString() || e.stdout?.toString() || e.message}`,
    );
  }
}

/** A moto server on loopback. */
export interface Moto {
  /** Its base URL, for `Route53Settings.endpoint` and SDK clients. */
  endpoint: string;
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts moto's server mode (every AWS API, state in memory) on a free loopback port, installing moto first when
 * needed, and resolves once it answers HTTP. One per test file: state is shared by everything that talks to it.
 */
export async function startMoto(): Promise<Moto> {
  ensureMoto();
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, PYTHONPATH: motoDir, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4_000)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answered = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (answered) return { endpoint, stop };
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`moto did not answer on ${endpoint}; it said:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An SDK client on moto with static credentials: for setting up and checking state behind the provider's back. */
export function motoRoute53(endpoint: string): Route53Client {
  return new Route53Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: motoEnv.AWS_ACCESS_KEY_ID, secretAccessKey: motoEnv.AWS_SECRET_ACCESS_KEY },
  });
}

/** What a region's health check probes (moto stores it but never probes it). */
export interface HealthCheckTarget {
  ip: string;
  port: number;
  path: string;
}

export interface Route53SetupOptions {
  /** Two regions for failover (the first is PRIMARY); any number for weighted (the first carries the weight). */
  regions?: string[];
  routing?: 'failover' | 'weighted';
  /** A zone name unique within the moto server; default `example-<n>.com`. */
  zoneName?: string;
  /** The record's first label; default `booking`. */
  label?: string;
  healthChecks?: Record<string, HealthCheckTarget>;
}

/** A zone with the record set up, and the settings the provider takes for it. */
export interface Route53Setup {
  settings: Route53Settings;
  zoneId: string;
  recordName: string;
  regions: string[];
  healthCheckIds: Record<string, string>;
  client: Route53Client;
}

let zones = 0;

/**
 * Creates what an operator would have before Lifeboat touches anything: a hosted zone, one HTTP health check per
 * region and a CNAME with one record set per region carrying its health check: PRIMARY/SECONDARY failover records
 * (first region PRIMARY), or weights 100/0. Returns the `Route53Settings` a targets file would hold for it.
 */
export async function setUpRoute53(endpoint: string, options: Route53SetupOptions = {}): Promise<Route53Setup> {
  const regions = options.regions ?? ['A', 'B'];
  const routing = options.routing ?? 'failover';
  const client = motoRoute53(endpoint);
  const zoneName = options.zoneName ?? `example-${process.pid}-${++zones}.com`;
  const recordName = `${options.label ?? 'booking'}.${zoneName}`;
  const zone = await client.send(new CreateHostedZoneCommand({ Name: zoneName, CallerReference: `lifeboat-${zoneName}-${Date.now()}` }));
  const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
  const healthCheckIds: Record<string, string> = {};
  for (const [i, region] of regions.entries()) {
    const target = options.healthChecks?.[region] ?? { ip: `192.0.2.${i + 1}`, port: 80, path: '/health' };
    const hc = await client.send(
      new CreateHealthCheckCommand({
        CallerReference: `lifeboat-${zoneName}-${region}`,
        HealthCheckConfig: { Type: 'HTTP', IPAddress: target.ip, Port: target.port, ResourcePath: target.path, RequestInterval: 10, FailureThreshold: 3 },
      }),
    );
    healthCheckIds[region] = hc.HealthCheck!.Id!;
  }
  const valueOf = (region: string) => `${region.toLowerCase()}.${recordName}.lb.example.net`;
  const changes = regions.map((region, i): { Action: 'CREATE'; ResourceRecordSet: ResourceRecordSet } => ({
    Action: 'CREATE',
    ResourceRecordSet: {
      Name: recordName,
      Type: 'CNAME',
      TTL: 60,
      SetIdentifier: `${region}-${recordName}`,
      ...(routing === 'failover' ? { Failover: i === 0 ? 'PRIMARY' : 'SECONDARY' } : { Weight: i === 0 ? 100 : 0 }),
      HealthCheckId: healthCheckIds[region],
      ResourceRecords: [{ Value: valueOf(region) }],
    },
  }));
  await client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: changes } }));
  const settings = Route53Settings.parse({
    provider: 'route53',
    hostedZoneId: zoneId,
    recordName,
    recordType: 'CNAME',
    routing,
    endpoint,
    regions: Object.fromEntries(regions.map((r) => [r, { setIdentifier: `${r}-${recordName}`, value: valueOf(r), healthCheckId: healthCheckIds[r] }])),
  });
  return { settings, zoneId, recordName, regions, healthCheckIds, client };
}
