/**
 * The estate-side invariants of a chaos run: no two writable primaries of one database at any time (watched through
 * the run), traffic in exactly one region at the end, no acknowledged write lost beyond what the run allows, and the
 * run's report agreeing with what the checker's own load measured.
 */
export { watchPrimaries, databasePairs, postmasterPid, TWO_WRITABLE_PRIMARIES, type PrimariesWatch, type NodeSample } from './primaries';
export { checkTrafficOneRegion, TRAFFIC_ONE_REGION } from './traffic';
export { startChaosLoad, type ChaosLoad, type ServiceLoadMeasure } from './load';
export {
  checkLostWrites,
  recordedRpoOf,
  PLANNED_LOSES_NOTHING,
  EMERGENCY_WITHIN_RPO,
  LOSS_UNCHECKED,
  type LossExpectation,
  type RecordedRpo,
} from './lost-writes';
export { checkReportNumbers, reportedOutage, measuredOutage, REPORT_MATCHES_WORLD } from './report-numbers';
