import type { IsolatedDrillProvider } from '../providers/contracts/isolated-drills';
import { need } from '../providers/registry';
import { MANUAL_BOOKING_SERVICE } from '../runbooks/manual-booking-mode';
import type { TargetsAccess } from './targets';
import type { OnService } from './traffic';

type Drills = IsolatedDrillProvider;

// Each activity is async so that a service without the provider rejects the call (need() throws) instead of throwing
// before a promise exists, as every other activity fails.

/**
 * The isolated drill of a region failover: a clone of the target standby, promoted and written to instead of the real
 * one. Only an estate that can copy itself offers it (the targets file's `sampleEstate` section); elsewhere each call
 * fails with the hint to run a live drill. The provider is looked up at each call, like every other capability.
 */
export function createFailoverDrillActivities(access: TargetsAccess) {
  // Runs recorded before these calls named their service had one service in the file, which `service()` still finds.
  const drills = (on: OnService) => need(access.service(on.service), 'sampleEstate');
  return {
    cloneStandby: async ({ service, ...args }: Parameters<Drills['cloneStandby']>[0] & OnService) => drills({ service }).cloneStandby(args),
    promoteClone: async ({ service, ...args }: Parameters<Drills['promoteClone']>[0] & OnService) => drills({ service }).promoteClone(args),
    verifyClone: async ({ service, ...args }: Parameters<Drills['verifyClone']>[0] & OnService) => drills({ service }).verifyClone(args),
    removeClone: async ({ service, ...args }: Parameters<Drills['removeClone']>[0] & OnService) => drills({ service }).removeClone(args),
  };
}

export type FailoverDrillActivities = ReturnType<typeof createFailoverDrillActivities>;

/**
 * The isolated drill of manual booking mode: a scratch booking service the drill switches and fills, never
 * production's. Keyed by the drill's workflow id; the provider is looked up at each call.
 */
export function createScratchBookingActivities(access: TargetsAccess) {
  const drills = () => need(access.service(MANUAL_BOOKING_SERVICE), 'sampleEstate');
  return {
    startScratchBooking: async (args: Parameters<Drills['startScratchBooking']>[0]) => drills().startScratchBooking(args),
    removeScratchBooking: async (args: Parameters<Drills['removeScratchBooking']>[0]) => drills().removeScratchBooking(args),
    setScratchMode: async (args: Parameters<Drills['setScratchMode']>[0]) => drills().setScratchMode(args),
    seedScratchLedger: async (args: Parameters<Drills['seedScratchLedger']>[0]) => drills().seedScratchLedger(args),
  };
}
