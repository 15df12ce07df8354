import type { temporal } from '@temporalio/proto';
import type { DecisionKind } from '../../kit/trust';

type History = temporal.api.history.v1.IHistory;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

/** Turns a history's payloads into values: the payload codec (if any), then the payload converter. */
export type PayloadDecoder = (payloads: Payload[]) => Promise<unknown[]>;

/**
 * The messages that carry a decision, by signal or update name, and the statement kinds each may carry. The same
 * names the kit and the runbooks register handlers for.
 */
export const decisionMessages: Readonly<Record<string, readonly DecisionKind[]>> = {
  approve: ['approve'],
  reject: ['reject'],
  intervene: ['retry', 'skip', 'abort', 'cancel'],
  resume: ['resume'],
  resolve: ['resolve'],
  task: ['task'],
  // A recovery plan's abort, passed on to its running members as it was signed: for the plan run, not the member.
  'plan-abort': ['abort', 'cancel'],
};

/** The statement kinds a signal or update name may carry, or undefined when it carries no decision. */
export function kindsOfMessage(name: string): readonly DecisionKind[] | undefined {
  const base = name.endsWith('-update') ? name.slice(0, -'-update'.length) : name;
  return Object.hasOwn(decisionMessages, base) ? decisionMessages[base] : undefined;
}

/** One message of the history that carries a decision, with what the run knew when its code read it. */
export interface RecordedDecision {
  source: 'start' | 'signal' | 'update';
  /** `start`, or the signal or update name. */
  name: string;
  eventId: number;
  /** The event's time. */
  at: string;
  /** Workflow time when the run's code handled the message: the start of the workflow task that did. */
  handledAtMs: number;
  /** The decision as sent: the first argument of the signal or update, or the start request's `start`. */
  message: unknown;
  /** Why the payload could not be read, when it could not. */
  unreadable?: string;
  /** Index into {@link RunHistory.rosters} of the roster the run checked the decision against. */
  roster: number | undefined;
  /** For an update: whether its handler has completed, and how. */
  outcome?: 'accepted' | 'completed' | 'failed';
}

/** A roster the run loaded (the `loadRoster` activity's result). */
export interface RosterSnapshot {
  eventId: number;
  at: string;
  roster: unknown;
  unreadable?: string;
}

/** How the run ended, as far as the history says. */
export interface RunClosure {
  state: 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed-out' | 'continued-as-new';
  /** The workflow's result (a runbook's final status), when it completed. */
  result?: unknown;
  failure?: string;
}

/** What `lifeboat verify` needs from a run's history, in history order. */
export interface RunHistory {
  workflowType: string;
  /** The workflow ID, when the server recorded it in the start event. */
  workflowId: string | undefined;
  firstExecutionRunId: string;
  parentWorkflowId: string | undefined;
  startedAt: string;
  /** The start request (a `RunRequest`), as sent. */
  request: unknown;
  /** Whether the run takes only signed decisions: every run since 1.0, and the 0.x runs that recorded the patch. */
  signedDecisions: boolean;
  rosters: RosterSnapshot[];
  decisions: RecordedDecision[];
  closed?: RunClosure;
}

/** The patch 0.x code recorded on every run that took only signed decisions (1.0 takes nothing else, and records none). */
export const SIGNED_DECISIONS_PATCH = 'signed-decisions';

interface WorkflowTask {
  startedAt: number;
  startedMs: number;
  completedAt: number;
}

/**
 * Reads the decisions of a run out of its history. Besides decoding payloads it is pure: the same history gives the
 * same answer anywhere.
 *
 * It also works out what the run knew when it handled each decision. A workflow task hands the code every event
 * since the previous task; the code handles signals and updates before any awaited activity result resumes, so a
 * roster loaded in the same task takes effect only for later tasks. The run's clock is the time the task started.
 */
export async function readRunHistory(history: History, decode: PayloadDecoder): Promise<RunHistory> {
  const events = history.events ?? [];
  const first = events[0]?.workflowExecutionStartedEventAttributes;
  if (!first) throw new HistoryError('the history does not begin with the run being started (WorkflowExecutionStarted)');
  const tasks = completedWorkflowTasks(events);
  /** The task that handed the event at `index` to the code, or undefined when none has yet. */
  const deliveredBy = (index: number) => tasks.findIndex((t) => t.startedAt > index);
  const decodeOne = async (payloads: Payload[] | null | undefined): Promise<{ value?: unknown; unreadable?: string }> => {
    if (!payloads || payloads.length === 0) return { unreadable: 'the payload is empty' };
    try {
      return { value: (await decode(payloads))[0] };
    } catch (err) {
      return { unreadable: `cannot read the payload: ${(err as Error).message}` };
    }
  };

  const rosterTasks: number[] = [];
  const rosters: RosterSnapshot[] = [];
  const scheduledRosterLoads = new Set<number>();
  const pending: (Omit<RecordedDecision, 'roster' | 'handledAtMs'> & { task: number })[] = [];
  const updates = new Map<string, (typeof pending)[number]>();
  let signedDecisions = false;
  let closed: RunClosure | undefined;

  for (const [index, event] of events.entries()) {
    const eventId = Number(event.eventId ?? index + 1);
    const at = timeOf(event);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'loadRoster') scheduledRosterLoads.add(eventId);
    const activityDone = event.activityTaskCompletedEventAttributes;
    if (activityDone && scheduledRosterLoads.has(Number(activityDone.scheduledEventId))) {
      const read = await decodeOne(activityDone.result?.payloads);
      rosters.push({ eventId, at, roster: read.value, ...(read.unreadable ? { unreadable: read.unreadable } : {}) });
      rosterTasks.push(deliveredBy(index));
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_patch' && patchIdOf(marker.details) === SIGNED_DECISIONS_PATCH) signedDecisions = true;
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (signal?.signalName && kindsOfMessage(signal.signalName) && !signal.signalName.endsWith('-update')) {
      const read = await decodeOne(signal.input?.payloads);
      pending.push({
        source: 'signal',
        name: signal.signalName,
        eventId,
        at,
        message: read.value,
        ...(read.unreadable ? { unreadable: read.unreadable } : {}),
        task: deliveredBy(index),
      });
    }
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    const updateName = accepted?.acceptedRequest?.input?.name;
    if (accepted && updateName && kindsOfMessage(updateName)) {
      const read = await decodeOne(accepted.acceptedRequest?.input?.args?.payloads);
      // The update was validated and handled in the workflow task whose completion wrote this event.
      let task = -1;
      for (let t = tasks.length - 1; t >= 0; t--) {
        if (tasks[t]!.completedAt < index) {
          task = t;
          break;
        }
      }
      const record = {
        source: 'update' as const,
        name: updateName,
        eventId,
        at,
        message: read.value,
        ...(read.unreadable ? { unreadable: read.unreadable } : {}),
        outcome: 'accepted' as const,
        task,
      };
      pending.push(record);
      updates.set(accepted.acceptedRequest?.meta?.updateId ?? accepted.protocolInstanceId ?? String(eventId), record);
    }
    const completedUpdate = event.workflowExecutionUpdateCompletedEventAttributes;
    if (completedUpdate) {
      const record = updates.get(completedUpdate.meta?.updateId ?? '');
      if (record) record.outcome = completedUpdate.outcome?.failure ? 'failed' : 'completed';
    }
    closed ??= await closureOf(event, decodeOne);
  }

  const startTask = rosterTasks[0];
  const timeOfTask = (task: number, fallback: string) => (task >= 0 && tasks[task] ? tasks[task]!.startedMs : Date.parse(fallback));
  /** The roster in force for code running in `task`: the last one loaded in an earlier task, and at least the first. */
  const rosterFor = (task: number): number | undefined => {
    if (rosters.length === 0) return undefined;
    let chosen = 0;
    rosterTasks.forEach((loadedIn, i) => {
      if (loadedIn >= 0 && (task < 0 || loadedIn < task)) chosen = i;
    });
    return chosen;
  };
  const runStartedAt = timeOf(events[0]!);
  const request = await decodeOne(first.input?.payloads);
  if (request.unreadable) throw new HistoryError(`the run's start request cannot be read: ${request.unreadable}`);
  const startMessage = (request.value as { start?: unknown } | undefined)?.start;
  const decisions: RecordedDecision[] = [
    {
      source: 'start',
      name: 'start',
      eventId: Number(events[0]!.eventId ?? 1),
      at: runStartedAt,
      // The kit checks the start when the first roster arrives, in that task.
      handledAtMs: startTask !== undefined ? timeOfTask(startTask, runStartedAt) : Date.parse(runStartedAt),
      message: startMessage,
      roster: rosters.length > 0 ? 0 : undefined,
    },
    ...pending.map(({ task, ...decision }) => {
      // Handlers exist only once the start is verified; a message that came earlier waited for them.
      const handledIn = startTask !== undefined && startTask >= 0 && (task < 0 || task < startTask) ? startTask : task;
      return { ...decision, handledAtMs: timeOfTask(handledIn, decision.at), roster: rosterFor(handledIn) };
    }),
  ];

  return {
    workflowType: first.workflowType?.name ?? 'unknown',
    workflowId: (first as { workflowId?: string | null }).workflowId || undefined,
    firstExecutionRunId: first.firstExecutionRunId ?? '',
    parentWorkflowId: first.parentWorkflowExecution?.workflowId || undefined,
    startedAt: runStartedAt,
    request: request.value,
    signedDecisions: signedDecisions || carriesSignedStart(request.value),
    rosters,
    decisions,
    ...(closed ? { closed } : {}),
  };
}

/**
 * Whether a start request carries what only a run that takes signed decisions is started with: a signed start, or the
 * carried-over state of the run it continues. Since 1.0 no run starts without either, and no run before signed
 * decisions had them, so it tells a 1.0 run (which records no patch) from one of those.
 */
function carriesSignedStart(request: unknown): boolean {
  if (typeof request !== 'object' || request === null) return false;
  const { start, carried } = request as { start?: unknown; carried?: unknown };
  return (typeof start === 'object' && start !== null) || (typeof carried === 'object' && carried !== null);
}

/** A history that cannot be read as a run's. */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
}

/** Workflow tasks that completed, in order: a failed or timed-out task handed its events to the next attempt. */
function completedWorkflowTasks(events: HistoryEvent[]): WorkflowTask[] {
  const tasks: WorkflowTask[] = [];
  let started: { at: number; ms: number } | undefined;
  for (const [index, event] of events.entries()) {
    if (event.workflowTaskStartedEventAttributes) started = { at: index, ms: Date.parse(timeOf(event)) };
    else if (event.workflowTaskCompletedEventAttributes && started) {
      tasks.push({ startedAt: started.at, startedMs: started.ms, completedAt: index });
      started = undefined;
    } else if (event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes) started = undefined;
  }
  return tasks;
}

async function closureOf(
  event: HistoryEvent,
  decodeOne: (p: Payload[] | null | undefined) => Promise<{ value?: unknown; unreadable?: string }>,
): Promise<RunClosure | undefined> {
  if (event.workflowExecutionCompletedEventAttributes) {
    const result = await decodeOne(event.workflowExecutionCompletedEventAttributes.result?.payloads);
    return { state: 'completed', ...(result.value !== undefined ? { result: result.value } : {}) };
  }
  if (event.workflowExecutionFailedEventAttributes)
    return { state: 'failed', failure: event.workflowExecutionFailedEventAttributes.failure?.message ?? 'unknown failure' };
  if (event.workflowExecutionCanceledEventAttributes) return { state: 'canceled' };
  if (event.workflowExecutionTerminatedEventAttributes) return { state: 'terminated', failure: event.workflowExecutionTerminatedEventAttributes.reason ?? '' };
  if (event.workflowExecutionTimedOutEventAttributes) return { state: 'timed-out' };
  if (event.workflowExecutionContinuedAsNewEventAttributes) return { state: 'continued-as-new' };
  return undefined;
}

/** The id of a `core_patch` marker: JSON `{"id": ...}` in the current format, raw bytes in the old one. */
function patchIdOf(details: { [key: string]: temporal.api.common.v1.IPayloads } | null | undefined): string | undefined {
  if (!details) return undefined;
  const text = (payload: Payload | undefined) => (payload?.data ? new TextDecoder().decode(payload.data) : undefined);
  for (const [key, payloads] of Object.entries(details)) {
    const raw = text(payloads.payloads?.[0]);
    if (raw === undefined) continue;
    if (key === 'patch_id') return raw;
    try {
      const id = (JSON.parse(raw) as { id?: unknown }).id;
      if (typeof id === 'string') return id;
    } catch {
      // not the JSON form; try the next entry
    }
  }
  return undefined;
}

/** An event's time. Seconds are a Long from the server, and a number or string once a history went through JSON. */
function timeOf(event: HistoryEvent): string {
  const seconds = Number(String(event.eventTime?.seconds ?? 0));
  const nanos = Number(event.eventTime?.nanos ?? 0);
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}
