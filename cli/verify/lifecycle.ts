import { temporal } from '@temporalio/proto';
import type { PayloadDecoder } from './history-decisions';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The `WorkflowTaskFailed` cause the server writes when `temporal workflow reset` made the run. */
const RESET_CAUSE = 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW';

/**
 * Activities the kit calls for itself (roster, notices, lookups of Temporal's records). Every other activity is a
 * runbook step acting on the estate, which is what a reset must not run again on old approvals.
 */
export const KIT_ACTIVITIES: ReadonlySet<string> = new Set(['loadRoster', 'notify', 'describeRun', 'claimStart', 'checkScheduledStart']);

/** A `temporal workflow reset` as the reset run's own history records it. */
export interface ResetRecord {
  eventId: number;
  at: string;
  /** Who the server says did it: for a reset, the server's own history service. */
  identity: string;
  /** The user the stock `temporal` CLI puts before the reason (`root: the reason`), as it sent it: unverified. */
  user?: string;
  reason: string;
  baseRunId: string;
  newRunId: string;
}

/** A `temporal workflow terminate`. */
export interface TerminationRecord {
  eventId: number;
  at: string;
  identity: string;
  reason: string;
}

/** One activity the run scheduled. */
export interface ScheduledActivity {
  eventId: number;
  at: string;
  type: string;
  /** Whether a result, a failure, a timeout or a cancellation closed it. */
  closed: boolean;
}

/**
 * What Temporal itself recorded about one run, read from its history: who and what started it, on which task
 * queue, from which run it continued, and the resets and terminations that happened to it. None of this comes from
 * the workflow's own code, so a run cannot vouch for itself here.
 */
export interface RunLifecycle {
  workflowId: string | undefined;
  workflowType: string;
  taskQueue: string;
  startedAt: string;
  parent?: { workflowId: string; runId: string };
  /** The run this one continued as new from. */
  continuedFrom?: string;
  firstExecutionRunId: string;
  originalExecutionRunId: string;
  /** The start request, decoded (a `RunRequest` for a runbook). */
  request: unknown;
  resets: ResetRecord[];
  terminated?: TerminationRecord;
  /** Why the run failed, when it did: the failure's message and its application error type (`DecisionRefused`, ...). */
  failure?: { message: string; type?: string };
  /** How the run closed: the event's kind, or undefined while it runs. */
  closedAs?: 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed-out' | 'continued-as-new';
  /** For a run that continued as new: the workflow type and task queue of the run it continued as. */
  continuedAs?: { workflowType: string; taskQueue: string; runId: string };
  activities: ScheduledActivity[];
  /** The child runs Temporal started for it, in order: a plan's members, a live drill's failback. */
  children?: { workflowId: string; runId: string; workflowType: string }[];
}

/** Reads a run's lifecycle from its history. Pure besides decoding the start request. */
export async function readLifecycle(history: History, decode: PayloadDecoder): Promise<RunLifecycle> {
  const events = history.events ?? [];
  const first = events[0]?.workflowExecutionStartedEventAttributes;
  if (!first) throw new LifecycleError('the history does not begin with the run being started (WorkflowExecutionStarted)');
  let request: unknown;
  try {
    request = first.input?.payloads?.length ? (await decode(first.input.payloads))[0] : undefined;
  } catch {
    request = undefined;
  }
  const resets: ResetRecord[] = [];
  const activities: ScheduledActivity[] = [];
  const byScheduledId = new Map<number, ScheduledActivity>();
  let terminated: TerminationRecord | undefined;
  let failure: RunLifecycle['failure'];
  let closedAs: RunLifecycle['closedAs'];
  let continuedAs: RunLifecycle['continuedAs'];
  const children: NonNullable<RunLifecycle['children']> = [];
  for (const [index, event] of events.entries()) {
    const child = event.childWorkflowExecutionStartedEventAttributes;
    if (child?.workflowExecution?.workflowId) {
      children.push({
        workflowId: child.workflowExecution.workflowId,
        runId: child.workflowExecution.runId ?? '',
        workflowType: child.workflowType?.name ?? 'unknown',
      });
    }
    const eventId = Number(event.eventId ?? index + 1);
    const at = eventTime(event);
    const failed = event.workflowTaskFailedEventAttributes;
    if (failed && causeName(failed.cause) === RESET_CAUSE) {
      const said = splitReason(failed.failure?.message || '');
      resets.push({
        eventId,
        at,
        identity: failed.identity || 'unknown',
        ...(said.user ? { user: said.user } : {}),
        reason: said.reason || 'no reason given',
        baseRunId: failed.baseRunId ?? '',
        newRunId: failed.newRunId ?? '',
      });
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const activity = { eventId, at, type: scheduled.activityType?.name ?? 'unknown', closed: false };
      activities.push(activity);
      byScheduledId.set(eventId, activity);
    }
    const closing =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    if (closing) {
      const activity = byScheduledId.get(Number(closing.scheduledEventId ?? 0));
      if (activity) activity.closed = true;
    }
    const terminate = event.workflowExecutionTerminatedEventAttributes;
    if (terminate) {
      terminated = { eventId, at, identity: terminate.identity || 'unknown', reason: terminate.reason || 'no reason given' };
      closedAs = 'terminated';
    }
    if (event.workflowExecutionCompletedEventAttributes) closedAs = 'completed';
    const failedRun = event.workflowExecutionFailedEventAttributes;
    if (failedRun) {
      closedAs = 'failed';
      failure = failureOf(failedRun.failure);
    }
    if (event.workflowExecutionCanceledEventAttributes) closedAs = 'canceled';
    if (event.workflowExecutionTimedOutEventAttributes) closedAs = 'timed-out';
    const continued = event.workflowExecutionContinuedAsNewEventAttributes;
    if (continued) {
      closedAs = 'continued-as-new';
      continuedAs = {
        workflowType: continued.workflowType?.name ?? 'unknown',
        taskQueue: continued.taskQueue?.name ?? 'unknown',
        runId: continued.newExecutionRunId ?? '',
      };
    }
  }
  const parent = first.parentWorkflowExecution;
  return {
    workflowId: (first as { workflowId?: string | null }).workflowId || undefined,
    workflowType: first.workflowType?.name ?? 'unknown',
    taskQueue: first.taskQueue?.name ?? 'unknown',
    startedAt: eventTime(events[0]!),
    ...(parent?.workflowId ? { parent: { workflowId: parent.workflowId, runId: parent.runId ?? '' } } : {}),
    ...(first.continuedExecutionRunId ? { continuedFrom: first.continuedExecutionRunId } : {}),
    firstExecutionRunId: first.firstExecutionRunId ?? '',
    originalExecutionRunId: first.originalExecutionRunId ?? '',
    request,
    resets,
    ...(terminated ? { terminated } : {}),
    ...(failure ? { failure } : {}),
    ...(closedAs ? { closedAs } : {}),
    ...(continuedAs ? { continuedAs } : {}),
    activities,
    ...(children.length > 0 ? { children } : {}),
  };
}

/** A history that cannot be read as a run's lifecycle. */
export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

/** A failure's message, and the first application error type along its chain of causes. */
function failureOf(failure: temporal.api.failure.v1.IFailure | null | undefined): RunLifecycle['failure'] {
  const message = failure?.message ?? 'unknown failure';
  for (let f = failure, depth = 0; f && depth < 10; f = f.cause, depth++) {
    const type = f.applicationFailureInfo?.type;
    if (type) return { message, type };
  }
  return { message };
}

/** The step activities (not the kit's own) among a run's activities. */
export function stepActivities(lifecycle: RunLifecycle): ScheduledActivity[] {
  return lifecycle.activities.filter((a) => !KIT_ACTIVITIES.has(a.type));
}

/**
 * The stock CLI sends a reset's reason as `<its OS user>: <reason>`, and the server records its own identity
 * (`history-service`) on the event, so the user before the colon is the only name of who asked.
 */
function splitReason(message: string): { user?: string; reason: string } {
  const match = /^([A-Za-z0-9._@-]{1,64}): (.*)$/s.exec(message);
  return match ? { user: match[1]!, reason: match[2]! } : { reason: message };
}

/** An enum read from the server (a number) or from JSON (its name). */
function causeName(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (typeof cause === 'number') return temporal.api.enums.v1.WorkflowTaskFailedCause[cause] ?? String(cause);
  return '';
}

/** An event's time, ISO 8601. Seconds are a Long from the server, a number or string after JSON. */
export function eventTime(event: HistoryEvent): string {
  const seconds = Number(String(event.eventTime?.seconds ?? 0));
  const nanos = Number(event.eventTime?.nanos ?? 0);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}
