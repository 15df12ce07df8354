import type { EstateCatalog } from './catalog';
import type { StartContext } from './start-context';

/** moto takes any credentials; these are the ones the estate uses, and what a worker needs to reach it. */
export const MOTO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'lifeboat-sample-estate',
  AWS_SECRET_ACCESS_KEY: 'lifeboat-sample-estate',
  AWS_REGION: 'us-east-1',
} as const;

/**
 * What a process acting on the sample estate's flight-status needs in its environment for the Route 53 provider to
 * reach moto: moto's throwaway credentials, unless the environment already names credentials of its own.
 */
export function sampleEstateAwsEnv(catalog: EstateCatalog, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!catalog.services['flight-status'] || env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE) return {};
  return { ...MOTO_CREDENTIALS };
}

export async function startFlightStatusService(ctx: StartContext): Promise<NonNullable<EstateCatalog['services']['flight-status']>> {
  await Promise.all((['A', 'B'] as const).map((r) => ctx.serve(`flightStatus${r}`, ctx.airline('flight-status', r))));
  throw new Error('flight-status DNS: not yet');
}

export async function keepFlightStatusPrimary(_dir: string, _log: (line: string) => void): Promise<void> {}
