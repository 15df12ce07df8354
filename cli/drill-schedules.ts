import type { Client } from '@temporalio/client';

/** Drill schedules are named `drill/<runbook>/<target>`. */
export const drillSchedulePrefix = 'drill/';

/** One drill schedule as `lifeboat drill list` and the console's drills page show it. */
export interface DrillScheduleRow {
  scheduleId: string;
  runbook: unknown;
  target: unknown;
  drill: unknown;
  paused: boolean;
  note: string | null;
  nextRun: string | null;
  lastRun: string | null;
}

/**
 * Every drill schedule, with its state read from the schedule itself: the list comes from visibility, which catches
 * up with a pause or resume only a moment later, and people list right after they pause.
 */
export async function drillSchedules(client: Client): Promise<DrillScheduleRow[]> {
  const rows: DrillScheduleRow[] = [];
  for await (const listed of client.schedule.list()) {
    if (!listed.scheduleId.startsWith(drillSchedulePrefix)) continue;
    // A schedule deleted since it was listed keeps what the list said.
    const s = await client.schedule
      .getHandle(listed.scheduleId)
      .describe()
      .catch(() => listed);
    rows.push({
      scheduleId: listed.scheduleId,
      runbook: s.memo?.runbook ?? null,
      target: s.memo?.target ?? null,
      drill: s.memo?.drill ?? null,
      paused: s.state.paused,
      note: s.state.note ?? null,
      nextRun: s.info.nextActionTimes[0]?.toISOString() ?? null,
      lastRun: s.info.recentActions.at(-1)?.takenAt.toISOString() ?? null,
    });
  }
  return rows;
}
