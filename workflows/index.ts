/** The workflow bundle's entry: every runbook workflow the worker serves, and the drill launcher. */
export { pagingCheck } from './paging-check';
export { manualBookingMode } from './manual-booking-mode';
export { regionFailback } from './region-failback';
export { regionFailover } from './region-failover';
export { isolateVendorModule } from './isolate-vendor-module';
export { scheduledDrill } from './scheduled-drill';
export { readinessCheck } from './readiness-check';
export { lifeboatStartClaim } from './start-claim';
export { workerFacts } from './worker-facts';
export { recoveryPlan } from './recovery-plan';
export { evidenceArchiver } from './evidence-archiver';
export { runbookFindings } from './runbook-findings';
export { findingNumbers } from './finding-numbers';
export { orchestratorFailover } from './orchestrator-failover';
export { orchestratorDrill } from './orchestrator-drill';
