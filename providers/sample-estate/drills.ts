import { join } from 'node:path';
import type { IsolatedDrillProvider } from '../contracts/isolated-drills';
import { createFailoverDrillActivities } from './drill-clones';
import { countLostAcknowledged } from './load-counter';
import { sampleCatalog } from './rebuild';
import { bookingFor, createScratchBookingActivities } from './scratch-booking';
import type { SampleEstateSettings } from './settings';

/**
 * The sample estate's isolated drills, lost-booking counter and ledger, as the registry opens them from
 * `services.<name>.sampleEstate`. The estate's catalog is read at each call, so a drill sees the estate as it is now.
 */
export function createSampleEstateDrills(settings: SampleEstateSettings): IsolatedDrillProvider {
  const catalog = () => sampleCatalog(settings);
  return {
    ...createFailoverDrillActivities(() => settings),
    ...createScratchBookingActivities(catalog),
    bookingFor: (target, production) => bookingFor(catalog(), target, production),
    countLostAcknowledged: (region) => countLostAcknowledged(settings, region),
    ledgerDir: (region) => join(settings.stateDir, 'ledger', region),
  };
}
