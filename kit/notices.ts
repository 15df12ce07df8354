import { CancellationScope, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Notification, NotificationKind } from './activity-contracts';
import { describeError } from './errors';
import { kitActivities } from './kit-activities';
import { SYSTEM, type RunRecord } from './run-record';
import type { DrillMode } from './status';

/** What a runbook tells people; the kit adds which run it comes from, and labels a drill's. */
export interface Notice {
  /** Default `info`. */
  kind?: NotificationKind;
  title: string;
  text: string;
  /** People the notice is for, when it is for someone in particular. */
  audience?: string[];
}

/**
 * The title a notice of the run goes out with. A drill's notices say it is a drill, whoever sends them: someone reading
 * "booking now serves from region B" during a game day must see that it is a rehearsal.
 */
export function titleFor(drill: DrillMode | undefined, title: string): string {
  return drill ? `[DRILL ${drill.kind}] ${title}` : title;
}

/**
 * A step's activities whose `notify` labels a drill's notices, so a notice a runbook sends as a step (the switch's
 * summary, a page) carries the label as the kit's own notices do. Other activities pass through untouched.
 */
export function labellingNotices<A>(activities: ActivityInterfaceFor<A>, drill: DrillMode | undefined): ActivityInterfaceFor<A> {
  if (!drill) return activities;
  return new Proxy(activities, {
    get: (target, name, receiver) => {
      const call = Reflect.get(target, name, receiver) as unknown;
      if (name !== 'notify' || typeof call !== 'function') return call;
      return (notification: Notification, ...rest: unknown[]) =>
        (call as (...a: unknown[]) => unknown)({ ...notification, title: titleFor(drill, notification.title) }, ...rest);
    },
  });
}

/** The run's notices to the channel: what it sends, and what it records when a delivery fails. */
export class Notices {
  constructor(private readonly record: RunRecord) {}

  /**
   * Tells the channel. A delivery that failed, wholly or on a channel a backup then covered, is shown in status and
   * audited, and the next escalation names it: a webhook that is down must never mean that nobody knows.
   */
  async send(kind: NotificationKind, title: string, text: string, audience?: string[]): Promise<void> {
    const { status } = this.record;
    try {
      const receipt = await CancellationScope.nonCancellable(() =>
        kitActivities.notify({
          kind,
          runId: status.runId,
          runbook: status.runbook,
          target: status.target,
          state: status.state,
          title: titleFor(status.drill, title),
          text,
          ...(audience ? { audience } : {}),
        }),
      );
      if (receipt && receipt.failed.length > 0) {
        const error = receipt.failed.map((f) => `${f.channel}: ${f.error}`).join('; ');
        this.noteFailure(kind, `delivered by ${receipt.deliveredBy} after ${error}`, false);
      }
    } catch (err) {
      this.noteFailure(kind, describeError(err), true);
    }
  }

  private noteFailure(kind: NotificationKind, error: string, undelivered: boolean): void {
    const { status } = this.record;
    const record = { kind, at: this.record.now(), error: error.slice(0, 500), undelivered };
    const previous = status.notifications;
    status.notifications = {
      failures: (previous?.failures ?? 0) + 1,
      ...(undelivered ? { lastFailure: record } : previous?.lastFailure ? { lastFailure: previous.lastFailure } : {}),
      last: record,
    };
    this.record.audit(SYSTEM, undelivered ? 'notification-failed' : 'notification-degraded', `${kind}: ${record.error}`);
  }
}
