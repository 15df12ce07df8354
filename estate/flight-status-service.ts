import type { EstateCatalog, RegionName } from './catalog';
import { flightStatusActiveRegion, MOTO_CREDENTIALS, rememberFlightStatusPrimary, setUpFlightStatusDns } from './flight-status-dns';
import { startMotoServer } from './moto-server';
import { portOf } from './port-plan';
import type { StartContext } from './start-context';

/**
 * Flight-status: a stateless public page in each region, found by clients through a Route 53 failover record on the
 * AWS API emulator (moto), with a health check per region. The servers and moto start side by side; the DNS is set
 * up once both answer, pointing its health checks at the servers' real ports.
 */
export async function startFlightStatusService(ctx: StartContext): Promise<NonNullable<EstateCatalog['services']['flight-status']>> {
  const [moto] = await Promise.all([
    startMotoServer({ stateDir: ctx.dir, port: portOf(ctx.ports, 'moto'), take: ctx.freshPort, log: ctx.log }),
    ...(['A', 'B'] as const).map((r) => ctx.serve(`flightStatus${r}`, ctx.airline('flight-status', r))),
  ]);
  ctx.ports.moto = moto.port;
  const serverUrls = { A: ctx.url('flightStatusA'), B: ctx.url('flightStatusB') };
  const dns = await setUpFlightStatusDns({ stateDir: ctx.dir, endpoint: moto.endpoint, serverUrls });
  ctx.log(`flight-status DNS: ${dns.route53.recordName} on the AWS API emulator at ${moto.endpoint}, PRIMARY in region ${dns.primary}`);
  const { provider: _provider, ...route53 } = dns.route53;
  return { regions: { A: { url: serverUrls.A }, B: { url: serverUrls.B } }, dns: route53 };
}

/** Before moto stops (its state is in memory), which region's record is PRIMARY is written down for the next `up`. */
export async function keepFlightStatusPrimary(dir: string, log: (line: string) => void): Promise<void> {
  await rememberFlightStatusPrimary(dir, log);
}

/** The flight-status server Route 53 sends clients to now: what a client resolving the record would reach. */
export async function flightStatusActiveUrl(catalog: EstateCatalog): Promise<string> {
  const service = catalog.services['flight-status'];
  if (!service) throw new Error('flight-status is not running in this estate');
  const region: RegionName = await flightStatusActiveRegion({ provider: 'route53', ...service.dns });
  return service.regions[region].url;
}

/**
 * What a process acting on the sample estate's flight-status needs in its environment for the Route 53 provider to
 * reach moto: moto's throwaway credentials, unless the environment already names credentials of its own.
 */
export function sampleEstateAwsEnv(catalog: EstateCatalog, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!catalog.services['flight-status'] || env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return {};
  return { ...MOTO_CREDENTIALS };
}
