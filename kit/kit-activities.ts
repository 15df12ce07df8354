import { proxyActivities } from '@temporalio/workflow';
import type { KitActivities } from './activity-contracts';

/** The activities the kit itself calls for every run (notices, the roster a gate reads), with their own retries. */
export const kitActivities = proxyActivities<KitActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});
