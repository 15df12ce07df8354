import type { RunbookDefinition } from '../kit';
import { manualBookingMode } from './manual-booking-mode';
import { orchestratorDrill } from './orchestrator-drill';
import { pagingCheck } from './paging-check';
import { regionFailback } from './region-failback';
import { regionFailover } from './region-failover';
import { isolateVendorModule } from './isolate-vendor-module';

/** Every runbook Lifeboat ships, by id. */
export const runbooks: Record<string, RunbookDefinition> = {
  [pagingCheck.id]: pagingCheck,
  [manualBookingMode.id]: manualBookingMode,
  [regionFailover.id]: regionFailover,
  [regionFailback.id]: regionFailback,
  [isolateVendorModule.id]: isolateVendorModule,
  [orchestratorDrill.id]: orchestratorDrill,
};

export { pagingCheck, regionFailback, regionFailover };
