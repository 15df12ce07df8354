import type { Roster } from '../workflows/kit/roster';
import type { RunState } from '../workflows/kit/status';

export type NotificationKind = 'approval-needed' | 'escalation' | 'intervention-needed' | 'run-finished' | 'drill-failed' | 'info';

/** What the kit tells people; the notification adapter turns it into a webhook post or a log line. */
export interface Notification {
  kind: NotificationKind;
  runId: string;
  runbook: string;
  target: string;
  state: RunState;
  title: string;
  text: string;
  /** People the message is for, when it is for someone in particular (the eligible approvers). */
  audience?: string[];
}

/** The activities every run uses, whatever its runbook. */
export interface KitActivities {
  notify(notification: Notification): Promise<void>;
  loadRoster(): Promise<Roster>;
}
