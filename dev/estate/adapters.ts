import { createBookingActivities } from '../../activities/booking';
import { createDatabaseActivities } from '../../activities/database';
import { createFleetActivities } from '../../activities/fleet';
import { fixedTargetsAccess } from '../../activities/targets';
import { createTrafficActivities } from '../../activities/traffic';
import type { EstateCatalog } from '../../estate/catalog';
import { sampleEstateAwsEnv } from '../../estate/flight-status-service';
import { sampleTargets } from '../../providers/sample-estate/targets';

/**
 * The estate's own tools (status, the yardstick, `estate fleet`) look at it through the same activities the runbooks
 * use, built from the targets the estate writes, so what they show is what a runbook would see.
 */
export function estateAdapters(catalog: EstateCatalog) {
  // The Route 53 provider finds moto's throwaway credentials where it would find real ones: in the environment.
  for (const [name, value] of Object.entries(sampleEstateAwsEnv(catalog, process.env))) process.env[name] = value;
  const access = fixedTargetsAccess(sampleTargets(catalog));
  return { ...createBookingActivities(access), ...createDatabaseActivities(access), ...createTrafficActivities(access), ...createFleetActivities(access) };
}
