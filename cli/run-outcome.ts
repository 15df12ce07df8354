import { runbooks } from '../runbooks';
import { type RunbookDefinition, type RunState, type RunStatus } from '../kit';
import { entriesOf } from '../kit/trust';

/**
 * How a run ended when Temporal ended it and the kit never saw it: `temporal workflow terminate`, a run timeout,
 * or a cancellation the run did not handle. The run's own last status still says `running`, so it is not believed.
 */
export type EndedByTemporalHow = 'terminated' | 'timed-out' | 'canceled';

/** The state `status`, `list`, the console and the report show: the run's own, unless Temporal ended it. */
export type ShownState = RunState | EndedByTemporalHow;

/** What Temporal says of a run: its execution status (describe or visibility) and, when closed, its close event. */
export interface TemporalFacts {
  /** Temporal's execution status name: `RUNNING`, `COMPLETED`, `TERMINATED`, `TIMED_OUT`, `CANCELLED`, … */
  executionStatus: string;
  /** When Temporal closed the run. */
  closedAt?: string;
  /** From the history's close event: the reason given to `terminate`, and the identity of who sent it. */
  reason?: string;
  identity?: string;
}

/** An undo the run had registered (its step had acted) and never ran, with what it would have done. */
export interface UndoNotRun {
  step: string;
  undo: string;
}

/** Why the run stopped where it did although its status never says so, and what a person does about it. */
export interface EndedByTemporal {
  how: EndedByTemporalHow;
  at?: string;
  /** Who Temporal says ended it (the identity of the client that terminated it), when it says. */
  by?: string;
  reason?: string;
  /** The state the run last published, which no longer holds. */
  lastState: RunState;
  /** The step (or gate) it was in when it was ended. */
  inStep?: string;
  /** Undos registered and never run, newest first (the order the kit runs them); absent when the runbook is unknown here. */
  undosNotRun?: UndoNotRun[];
  /** False when no worker answered the status query and only visibility was read: the steps are then unknown. */
  statusRead: boolean;
  /** What to do next, one command or check per line. */
  next: string[];
}

/** A run's status as shown: the run's own status, with the state Temporal gives it and, when Temporal ended it, why. */
export type ShownStatus = Omit<RunStatus, 'state'> & { state: ShownState; endedByTemporal?: EndedByTemporal };

const endedBy: Record<string, EndedByTemporalHow> = { TERMINATED: 'terminated', TIMED_OUT: 'timed-out', CANCELLED: 'canceled', CANCELED: 'canceled' };

/**
 * The state to show for a run from Temporal's execution status and the run's last state (its status or its
 * LifeboatState search attribute): a run Temporal terminated, timed out or cancelled before the kit recorded a final
 * state is shown as that, whatever it last said. `list` has only these two facts; `shownStatus` builds on the same.
 */
export function stateShown(executionStatus: string, lastState: string): ShownState {
  const how = endedBy[executionStatus];
  if (how && !['succeeded', 'failed', 'aborted'].includes(lastState)) return how;
  return lastState as ShownState;
}

/**
 * A run as listed: a run Temporal terminated, timed out or cancelled shows as that (its last state kept as
 * `lastState`), never as the `running` its search attribute was left at.
 */
export function shownSummary(summary: Record<string, string>): Record<string, string> {
  const state = stateShown(summary.temporalStatus!, summary.state!);
  return state === summary.state ? summary : { ...summary, state, lastState: summary.state! };
}

/**
 * The visibility query clause for a `--state` filter (a keyword already checked by the caller). Runs Temporal ended
 * never recorded that state themselves, so `terminated`, `timed-out` and `canceled` ask Temporal's execution status,
 * and the states of a running run (`running`, `waiting-approval`, …) match only runs Temporal still runs.
 */
export function stateClause(state: string): string {
  const status = { terminated: 'Terminated', 'timed-out': 'TimedOut', canceled: 'Canceled' }[state];
  if (status) return `ExecutionStatus = '${status}' AND LifeboatState NOT IN ('succeeded', 'failed', 'aborted')`;
  // A state a run is in while it runs holds only while Temporal runs it: a terminated run was left at `running`.
  return ['succeeded', 'failed', 'aborted'].includes(state) ? `LifeboatState = '${state}'` : `LifeboatState = '${state}' AND ExecutionStatus = 'Running'`;
}

/**
 * The status `status`, `list`, the console and the report show, from what Temporal says (`facts`) and the last
 * status the run published (a query still answers on a closed run: a worker replays it). A run ended by Temporal
 * gets `endedByTemporal`: where it was, the undos it never ran, and the commands to set things right.
 */
export function shownStatus(
  facts: TemporalFacts,
  last: RunStatus,
  opts: { statusRead?: boolean; catalog?: Record<string, RunbookDefinition> } = {},
): ShownStatus {
  const state = stateShown(facts.executionStatus, last.state);
  if (state === last.state) return last;
  const how = state as EndedByTemporalHow;
  const runbook = (opts.catalog ?? runbooks)[last.runbook];
  const statusRead = opts.statusRead ?? true;
  // Without the run's own status (no worker answered) nothing says which steps acted, so the undos are unknown too.
  const undosNotRun = runbook && statusRead ? undosNeverRun(last, runbook) : undefined;
  const inStep = stepAtEnd(last);
  const ended: EndedByTemporal = {
    how,
    ...(facts.closedAt ? { at: facts.closedAt } : {}),
    ...(facts.identity ? { by: facts.identity } : {}),
    ...(facts.reason ? { reason: facts.reason } : {}),
    lastState: last.state,
    ...(inStep ? { inStep } : {}),
    ...(undosNotRun ? { undosNotRun } : {}),
    statusRead,
    next: nextSteps(last, { undos: undosNotRun, statusRead, left: runbook && statusRead ? stepsLeft(last, runbook) : [] }),
  };
  return {
    ...last,
    state,
    ...(facts.closedAt && !last.finishedAt ? { finishedAt: facts.closedAt } : {}),
    outcome: `${how} by Temporal${facts.identity ? ` (${facts.identity})` : ''}${facts.reason ? `: ${facts.reason}` : ''}, in ${inStep ?? 'no step'}; ${
      undosNotRun === undefined
        ? 'Lifeboat ran none of its undos'
        : undosNotRun.length
          ? `undos never run: ${undosNotRun.map((u) => u.step).join(', ')}`
          : 'no undo was due'
    }`,
    endedByTemporal: ended,
  };
}

/** The step, gate or intervention the run was in when it stopped. */
function stepAtEnd(status: RunStatus): string | undefined {
  if (status.intervention) return status.intervention.step;
  if (status.currentStep) return status.currentStep;
  const gate = status.gates.find((g) => g.status === 'open');
  if (gate) return `gate ${gate.name}`;
  return [...status.steps].reverse().find((s) => s.status !== 'succeeded' && s.status !== 'skipped' && s.status !== 'failed')?.name;
}

/**
 * Undos the kit had registered and never ran: a step whose definition has an undo registers it when it succeeds, or
 * as soon as its state-before read is recorded (see the kit's `StepOptions.before`); the point of no return drops those
 * registered before it; a successful compensation ran one. Newest first, the order the kit would have run them.
 */
export function undosNeverRun(status: RunStatus, runbook: RunbookDefinition): UndoNotRun[] {
  const undoOf = new Map(entriesOf(runbook).flatMap((e) => (e.kind === 'step' && e.undo ? [[e.name, e.undo] as const] : [])));
  const readBefore = new Set(status.audit.filter((a) => a.action === 'state-before').map((a) => (a.detail ?? '').split(':')[0]));
  const pointOfNoReturn = status.pointOfNoReturn;
  // Undos registered before the point of no return were dropped there; only later steps' count.
  const from = pointOfNoReturn
    ? status.steps.map((s) => s.kind === 'step' && s.name === pointOfNoReturn.step && s.status === 'succeeded').lastIndexOf(true) + 1
    : 0;
  const registered = status.steps
    .slice(from)
    .filter((s) => s.kind === 'step' && undoOf.has(s.name) && (s.status === 'succeeded' || readBefore.has(s.name)))
    .map((s) => s.name);
  const compensated = status.compensation.filter((c) => c.status === 'succeeded').map((c) => c.step);
  const notRun: UndoNotRun[] = [];
  for (const name of registered.reverse()) {
    const i = compensated.indexOf(name);
    if (i >= 0) compensated.splice(i, 1);
    else notRun.push({ step: name, undo: undoOf.get(name)! });
  }
  return notRun;
}

const regionRunbooks = new Set(['region-failover', 'region-failback']);

/** The steps of the real procedure after the last one the run finished, in order, with their titles. */
function stepsLeft(status: RunStatus, runbook: RunbookDefinition): string[] {
  const finished = new Set(status.steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped').map((s) => s.name));
  const steps = Object.values(runbook.procedure).filter((e) => e.kind === 'step');
  const last = steps.map((e) => finished.has(e.name)).lastIndexOf(true);
  return steps.slice(last + 1).map((e) => `${e.name} (${e.title})`);
}

/** What a person does after Temporal ended a run: check the estate, do the undos by hand, then the command that finishes. */
function nextSteps(status: RunStatus, known: { undos: UndoNotRun[] | undefined; statusRead: boolean; left: string[] }): string[] {
  const { undos, statusRead } = known;
  const { runbook, target } = status;
  const next: string[] = [];
  if (!statusRead)
    next.push(
      `no worker answered for the run's last status, so its steps are unknown here: start a worker (npm start or lifeboat worker) and run lifeboat status ${status.runId} again`,
    );
  const region = regionRunbooks.has(runbook);
  next.push(
    region
      ? `check the estate now: lifeboat targets check --service ${target}; lifeboat readiness ${runbook} --target ${target}`
      : `check what the run touched now: lifeboat readiness ${runbook} --target ${target}`,
  );
  if (undos === undefined && statusRead)
    next.push(`${runbook} is not in this CLI's catalog: see its steps' undos in its own plan and do by hand those that acted`);
  else if (undos && undos.length > 0) next.push(`undo by hand, in this order: ${undos.map((u, i) => `${i + 1}) ${u.step}: ${u.undo}`).join('; ')}`);
  const pnr = status.pointOfNoReturn;
  if (pnr) {
    next.push(`the point of no return was passed after ${pnr.step}: to go back, ${pnr.undoInstead} --as <you>`);
    // Where the way back is long (a rebuild), finishing by hand what the run had left may restore service sooner.
    if (known.left.length > 0) next.push(`or finish by hand what it had left, in order: ${known.left.join('; ')}`);
  } else if (runbook === 'region-failback') next.push(`then fail back again: lifeboat run region-failback --set service=${target} --as <you>`);
  else if (runbook === 'region-failover')
    next.push(
      `then, if the service must still move: lifeboat run region-failover --set service=${target} --set mode=planned --as <you> (mode=emergency if the source is down)`,
    );
  else
    next.push(`then, if it is still needed, start it again with the same input: lifeboat run ${runbook} --as <you> (lifeboat plan ${runbook} shows its steps)`);
  return next;
}
