import type { Roster } from './roster';
import type { RunState } from './status';

/*
 * What the kit's workflow code and its activities agree on: the activities every run uses, whatever its runbook, and
 * what they exchange. The kit calls them from workflow code and activities/ implements them, so the contract lives in
 * the kit, where workflow code may import it, and activities import it from the kit's entry.
 */

export type NotificationKind = 'approval-needed' | 'escalation' | 'intervention-needed' | 'run-finished' | 'drill-failed' | 'readiness' | 'info';

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

/** Why one notification channel did not deliver, in words safe for history, status and the channel itself. */
export interface ChannelFailure {
  /** The channel's public name: `webhook #2 (https://hooks.example.com)`, never its URL; or `notify command`. */
  channel: string;
  error: string;
  attempts: number;
  /** The receiver refused the post (a 4xx): retrying will not help. */
  permanent: boolean;
}

/** Which channel delivered a notification, and which failed before it: a broken primary channel is to be seen, not lost. */
export interface NotifyReceipt {
  deliveredBy: string;
  attempts: number;
  failed: ChannelFailure[];
}

/** The activities every run uses, whatever its runbook. */
export interface KitActivities {
  /** Test fakes may return nothing; the real adapter returns a receipt. */
  notify(notification: Notification): Promise<NotifyReceipt | void>;
  loadRoster(): Promise<Roster>;
}

/** What Temporal's own records say about one run (activities/run-lookup.ts). */
export interface RunFacts {
  workflowType: string;
  taskQueue: string;
  /** Temporal's status name: RUNNING, COMPLETED, CONTINUED_AS_NEW, TERMINATED, … */
  status: string;
  /** When Temporal started the run, ISO 8601. */
  startTime: string;
  /** The run's first argument, as it was started with. */
  argument: unknown;
  /** Temporal's first run ID of the run's chain (the same after a reset or a continue-as-new): what statements name. */
  firstRunId: string;
}

export interface ClaimStartRequest {
  nonce: string;
  workflowId: string;
  runId: string;
  expiresAt: string;
}

export type ClaimStartResult = { claimed: true } | { claimed: false; heldBy: string };

export interface ScheduledStartCheck {
  scheduleId: string;
  workflowId: string;
  firstExecutionRunId: string;
}

/** What a run asks Temporal while it decides whether to trust its own start or its carried-over state. */
export interface RunLookupActivities {
  describeRun(request: { workflowId: string; runId: string }): Promise<RunFacts>;
  claimStart(request: ClaimStartRequest): Promise<ClaimStartResult>;
  checkScheduledStart(request: ScheduledStartCheck): Promise<{ ok: true } | { ok: false; reason: string }>;
}
