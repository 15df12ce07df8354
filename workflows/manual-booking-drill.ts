import { CancellationScope, isCancellation, workflowInfo, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { ManualBookingActivities } from '../activities/manual-booking';
import type { RegionName } from '../activities/manual-booking-types';
import type { BookingTarget, ScratchBookingRemoval } from '../activities';
import { manualBookingMode, type ManualBookingModeInput } from '../runbooks/manual-booking-mode';
import { type RunbookRun, RunAborted } from '../kit';

const steps = manualBookingMode.drills.isolated.steps;

/** Counter bookings each station records in the scratch ledger during a drill. */
export const DRILL_BOOKINGS_PER_STATION = 2;

/**
 * What the drill's steps call, with the timeouts and retries their steps declare. Each call is idempotent (keyed by the
 * workflow id), so neither Temporal's retries nor the kit's ever start a second service.
 */
type ScratchBookingActivities = Pick<ManualBookingActivities, 'startScratchBooking' | 'seedScratchLedger' | 'removeScratchBooking'>;

/** What status shows once the scratch booking service is gone (`drillCleanup`). */
export interface DrillCleanup extends ScratchBookingRemoval {
  /** `cleanup` after a finished drill; `undo` after an abort, a rejection or a failure. */
  via: 'cleanup' | 'undo';
  at: string;
}

/**
 * An isolated drill of `manual-booking-mode`: the procedure acts on a scratch booking service that this builds
 * (the same server, its own port, database and ledger) and removes at the end. The removal is also the build
 * step's undo, so an abort, a rejected gate or a failure removes it too.
 */
export class IsolatedBookingDrill {
  private readonly key = workflowInfo().workflowId;

  constructor(
    private readonly run: RunbookRun<ScratchBookingActivities>,
    private readonly input: ManualBookingModeInput,
  ) {}

  /** With approvals by policy nobody types `resume`: the policy resumes after the input's hold. */
  get resumesByPolicy(): boolean {
    return this.run.status.drill?.approvals === 'policy';
  }

  /** Runs `procedure` on the scratch service, and makes sure the service is removed whatever happens. */
  async around<T>(procedure: () => Promise<T>): Promise<T> {
    try {
      const output = await procedure();
      await this.run.step(steps.drillCleanup, (scratch) => this.remove(scratch, 'cleanup'));
      return output;
    } catch (err) {
      // An abort or a cancellation runs the undos in the kit; any other failure would not, so run them here.
      if (!(err instanceof RunAborted) && !isCancellation(err)) await CancellationScope.nonCancellable(() => this.run.compensate());
      throw err;
    }
  }

  /** Starts the scratch service standing in for `region`; its undo removes it. */
  async build(region: RegionName): Promise<BookingTarget> {
    const built = await this.run.step(steps.drillBuild, (scratch) => scratch.startScratchBooking({ key: this.key, runId: workflowInfo().runId, region }), {
      undo: (scratch) => this.remove(scratch, 'undo'),
    });
    this.run.report('drillScratchBooking', { url: built.url, port: built.port, database: built.database.name, ledger: built.stateDir, standsInFor: region });
    if (built.replacedLeftover)
      this.run.audit('lifeboat', 'drill-leftover-removed', `a scratch booking service left by an earlier run of ${this.key} was removed first`);
    return { region, scratch: this.key };
  }

  /** The stations' counter bookings, recorded in the scratch ledger only. */
  async seedLedger(): Promise<void> {
    const seeded = await this.run.step(steps.drillSeedLedger, (scratch) =>
      scratch.seedScratchLedger({ key: this.key, stations: this.input.stations, perStation: DRILL_BOOKINGS_PER_STATION }),
    );
    this.run.report('drillCounterBookings', { stations: seeded.stations, perStation: DRILL_BOOKINGS_PER_STATION });
  }

  private async remove(scratch: ActivityInterfaceFor<ScratchBookingActivities>, via: DrillCleanup['via']): Promise<DrillCleanup> {
    const removal = await scratch.removeScratchBooking({ key: this.key });
    const cleanup: DrillCleanup = { ...removal, via, at: new Date(Date.now()).toISOString() };
    this.run.report('drillCleanup', cleanup);
    const what = removal.removed
      ? `stopped the service on port ${removal.service?.port}, dropped database ${removal.database?.name}, deleted a ledger of ${removal.ledger?.entries} entries`
      : 'already gone';
    this.run.audit('lifeboat', 'drill-cleanup', `scratch booking service: ${what}`);
    return cleanup;
  }
}
