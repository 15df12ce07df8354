import { RECOVERY_PLAN_TYPE } from '../../kit';
import { CLOCK_SKEW_MS, digestOf, planMemberFor, type Statement } from '../../kit/trust';
import type { RunLifecycle } from './lifecycle';
import { planOfRun, runbookOfRun } from './runbook-of';
import { checkStartIdentity } from './start-identity';
import { runName, sameSignedStart, startRequestOf } from './start-statement';

/** The workflow a drill schedule starts; it starts the drill run as its child. */
export const SCHEDULED_DRILL = 'scheduledDrill';
/** A live region-failover drill starts its way back, `regionFailback`, as a child. */
const LIVE_DRILL_PARENT = 'regionFailover';
const LIVE_DRILL_CHILD = 'regionFailback';
/** How many parents verify follows up: a failback of a scheduled live drill has two. */
const MAX_DEPTH = 5;

/** Fetches a run's lifecycle from Temporal, by workflow and run ID. */
export type LifecycleFetcher = (workflowId: string, runId: string) => Promise<RunLifecycle>;

/**
 * The runs a schedule says it started (its running and recent actions: Temporal keeps the last few), or undefined
 * when no such schedule exists.
 */
export type ScheduleActions = (scheduleId: string) => Promise<{ workflowId: string; firstExecutionRunId: string; takenAt: string }[] | undefined>;

/** How many recent actions Temporal keeps on a schedule; an older run may have dropped off the list. */
const SCHEDULE_RECENT_ACTIONS = 10;

/** What the delegation check asks Temporal. */
export interface DelegationLookups {
  run: LifecycleFetcher;
  scheduleActions: ScheduleActions;
}

/**
 * Checks a run that another workflow started (a delegated start), against its real parent as Temporal recorded it:
 * the parent's history, not the child's word. Only three parents may delegate: a drill schedule's `scheduledDrill`
 * (whose schedule authorisation must name this child's runbook, exact input and drill), a live drill's
 * `regionFailover` starting its `regionFailback` (whose own start, passed on unchanged, must be a live drill of
 * region-failover for the same service), and a recovery plan's run starting one of its members (whose own start must
 * be for that plan run, and whose definition must list this runbook on this input; its approval is checked in
 * plan-delegation.ts). All on the child's task queue. Any other parent is an attacker's workflow under a borrowed ID
 * as far as verify can tell. Walks up, since a parent may have a parent of its own.
 * Returns the problems, in sentences; a run with no parent has none here.
 */
export async function checkDelegation(
  run: RunLifecycle,
  lookups: DelegationLookups,
  runbookOf: (workflowType: string) => string | undefined,
): Promise<{ notes: string[]; problems: string[] }> {
  const problems = await checkParents(run, lookups.run, runbookOf);
  if (problems.length > 0 || !run.parent) return { notes: [], problems };
  // A scheduledDrill can be started by hand under any ID with a real schedule's authorisation: the schedule must list it.
  return checkScheduleStarted(run, lookups);
}

async function checkParents(run: RunLifecycle, fetch: LifecycleFetcher, runbookOf: (workflowType: string) => string | undefined): Promise<string[]> {
  let child = run;
  for (let depth = 0; child.parent && depth < MAX_DEPTH; depth++) {
    const { workflowId, runId } = child.parent;
    let parent: RunLifecycle;
    try {
      parent = await fetch(workflowId, runId);
    } catch (err) {
      return [
        `${childName(child, depth)} was started by ${runName(workflowId, runId)}, whose history cannot be read (${(err as Error).message}), so the delegated start cannot be checked`,
      ];
    }
    const problems = checkLink(child, parent, runbookOf, depth);
    if (problems.length > 0) return problems;
    if (!parent.parent)
      return parent.workflowType === SCHEDULED_DRILL
        ? []
        : checkStartIdentity(parent, runbookOfRun(parent, runbookOf)).map(
            (p) => `its parent ${runName(parent.workflowId, parent.originalExecutionRunId)}: ${p}`,
          );
    child = parent;
  }
  return child.parent ? [`the chain of parents is longer than ${MAX_DEPTH}; no Lifeboat run is started that deep`] : [];
}

function childName(child: RunLifecycle, depth: number): string {
  return depth === 0 ? 'this run' : `its ancestor ${runName(child.workflowId, child.originalExecutionRunId)}`;
}

/** One link of the chain: may this parent have started this child with this start? */
function checkLink(child: RunLifecycle, parent: RunLifecycle, runbookOf: (workflowType: string) => string | undefined, depth: number): string[] {
  const who = childName(child, depth);
  const parentName = `${runName(parent.workflowId, parent.originalExecutionRunId)}, a ${parent.workflowType} on task queue ${parent.taskQueue}`;
  if (parent.workflowType === RECOVERY_PLAN_TYPE) return checkPlanLink(child, parent, runbookOf, who, parentName);
  const allowed =
    (parent.workflowType === SCHEDULED_DRILL && !parent.parent) || (parent.workflowType === LIVE_DRILL_PARENT && child.workflowType === LIVE_DRILL_CHILD);
  if (!allowed) {
    return [
      `${who} was started by ${parentName}: only a drill schedule's ${SCHEDULED_DRILL} or a live drill's ${LIVE_DRILL_PARENT} (starting ${LIVE_DRILL_CHILD}) may start a run`,
    ];
  }
  if (parent.taskQueue !== child.taskQueue) {
    return [`${who} was started by ${parentName}, not on the task queue ${child.taskQueue} that ${who} runs on: that is not Lifeboat's worker`];
  }
  const mine = startRequestOf(child.request);
  const theirs = startRequestOf(parent.request);
  if (!sameSignedStart(mine.start, theirs.start)) {
    return [`${who}'s signed start is not the one its parent ${runName(parent.workflowId, parent.originalExecutionRunId)} was started with`];
  }
  const statement = mine.statement;
  if (!statement) return [`${who} was started by ${parentName} with no readable start statement`];
  const problems: string[] = [];
  if (parent.workflowType === SCHEDULED_DRILL) {
    const runbook = runbookOf(child.workflowType);
    const schedule = statement.body.schedule;
    if (statement.body.runbook !== runbook) {
      problems.push(
        `${who} (${child.workflowType}, runbook ${runbook ?? 'unknown'}) was started by ${parentName} with a start statement for runbook ${String(statement.body.runbook)}`,
      );
    }
    if (typeof schedule !== 'string') {
      problems.push(`${who} was started by ${parentName} with a start statement that is no drill schedule's authorisation (it names no schedule)`);
    } else if (!(parent.workflowId ?? '').startsWith(`${schedule}-`)) {
      problems.push(`${who}'s start is drill schedule ${schedule}'s authorisation, but its parent ${parent.workflowId} is not a run of that schedule`);
    }
    if (statement.workflowId !== child.workflowId) problems.push(`${who}'s start statement is for workflow ${statement.workflowId}, not ${child.workflowId}`);
    if (statement.inputDigest !== digestOf(mine.input))
      problems.push(`${who}'s start statement was signed for another input (${statement.inputDigest}) than the one it runs (${digestOf(mine.input)})`);
    if ((statement.body.drill ?? 'none') !== mine.drill)
      problems.push(`${who}'s start statement is for drill ${String(statement.body.drill ?? 'none')}, but it runs as drill ${mine.drill}`);
    problems.push(...validityAt(statement, parent, who));
    return problems;
  }
  // A live drill's failback: the failover's own start, for that failover run, as a live drill, on the same service.
  if (statement.body.runbook !== runbookOf(LIVE_DRILL_PARENT))
    problems.push(`${who}'s start statement is for runbook ${String(statement.body.runbook)}, not its parent's region-failover`);
  if (statement.workflowId !== parent.workflowId)
    problems.push(`${who}'s start statement is for workflow ${statement.workflowId}, not its parent ${parent.workflowId}`);
  if (statement.inputDigest !== digestOf(theirs.input)) problems.push(`${who}'s start statement was not signed for its parent's input`);
  if (statement.body.drill !== 'live' || theirs.drill !== 'live' || mine.drill !== 'live') {
    problems.push(
      `${who} is a failback started by ${parentName}, but only a live drill starts its own failback (statement drill ${String(statement.body.drill ?? 'none')}, parent drill ${theirs.drill}, this drill ${mine.drill})`,
    );
  }
  problems.push(...validityAt(statement, parent, who));
  const service = (value: unknown) => (value as { service?: unknown } | undefined)?.service;
  if (service(mine.input) !== service(theirs.input)) {
    problems.push(`${who} fails back service ${String(service(mine.input))}, but its parent failed over ${String(service(theirs.input))}`);
  }
  return problems;
}

/**
 * A member a recovery plan's run started: on the child's task queue, carrying the plan run's own signed start, which
 * must be for that plan run and its input, and for the member's drill; and the plan the run ID names must list this
 * runbook on this input among its members. Whether the plan's approval the member carries holds is checked apart, with
 * the plan's status (plan-delegation.ts).
 */
function checkPlanLink(
  child: RunLifecycle,
  parent: RunLifecycle,
  runbookOf: (workflowType: string) => string | undefined,
  who: string,
  parentName: string,
): string[] {
  if (parent.taskQueue !== child.taskQueue) {
    return [`${who} was started by ${parentName}, not on the task queue ${child.taskQueue} that ${who} runs on: that is not Lifeboat's worker`];
  }
  const plan = planOfRun(parent.workflowId);
  if (!plan) return [`${who} was started by ${parentName}, whose ID names no recovery plan Lifeboat ships`];
  const mine = startRequestOf(child.request);
  const theirs = startRequestOf(parent.request);
  if (!sameSignedStart(mine.start, theirs.start)) {
    return [`${who}'s signed start is not the one its plan run ${runName(parent.workflowId, parent.originalExecutionRunId)} was started with`];
  }
  const statement = mine.statement;
  if (!statement) return [`${who} was started by ${parentName} with no readable start statement`];
  const problems: string[] = [];
  const planRunbook = runbookOfRun(parent, runbookOf);
  if (statement.body.runbook !== planRunbook)
    problems.push(`${who}'s start statement is for runbook ${String(statement.body.runbook)}, not its plan's ${planRunbook}`);
  if (statement.workflowId !== parent.workflowId)
    problems.push(`${who}'s start statement is for workflow ${statement.workflowId}, not its plan run ${parent.workflowId}`);
  if (statement.inputDigest !== digestOf(theirs.input)) problems.push(`${who}'s start statement was not signed for its plan run's input`);
  if ((statement.body.drill ?? 'none') !== mine.drill)
    problems.push(`${who}'s start statement is for drill ${String(statement.body.drill ?? 'none')}, but it runs as drill ${mine.drill}`);
  problems.push(...validityAt(statement, parent, who));
  const runbook = runbookOf(child.workflowType);
  if (!runbook || !planMemberFor(plan, theirs.input, runbook, mine.input)) {
    problems.push(`plan ${plan.id} lists no member that runs ${runbook ?? child.workflowType} on ${who}'s input, for its plan run's input`);
  }
  return problems;
}

/**
 * The top of a delegated chain is a `scheduledDrill`: the schedule its authorisation names must list that run among
 * the runs it started. Temporal keeps only a schedule's last few actions, so an older drill that has dropped off the
 * list, or whose schedule has been deleted since, is shown as unconfirmed rather than failed (the kit asked the
 * schedule when the drill started); a schedule that lists newer runs but not this one fails.
 */
async function checkScheduleStarted(run: RunLifecycle, lookups: DelegationLookups): Promise<{ notes: string[]; problems: string[] }> {
  let top: RunLifecycle | undefined;
  for (let child = run, depth = 0; child.parent && depth < MAX_DEPTH; depth++) {
    const parent = await lookups.run(child.parent.workflowId, child.parent.runId).catch(() => undefined);
    if (!parent) return { notes: [], problems: [] };
    top = parent;
    child = parent;
  }
  if (!top || top.workflowType !== SCHEDULED_DRILL) return { notes: [], problems: [] };
  const schedule = startRequestOf(top.request).statement?.body.schedule;
  if (typeof schedule !== 'string') return { notes: [], problems: [] };
  const name = runName(top.workflowId, top.originalExecutionRunId);
  let actions;
  try {
    actions = await lookups.scheduleActions(schedule);
  } catch (err) {
    return { notes: [], problems: [`drill schedule ${schedule} cannot be read (${(err as Error).message}), so that it started ${name} cannot be confirmed`] };
  }
  if (!actions) {
    // The kit asks the schedule when the drill starts, so a run it let go had its schedule then; it may be gone since.
    return { notes: [`drill schedule ${schedule} no longer exists, so that it started ${name} cannot be confirmed now`], problems: [] };
  }
  if (actions.some((a) => a.workflowId === top.workflowId && a.firstExecutionRunId === top.firstExecutionRunId)) return { notes: [], problems: [] };
  const oldest = actions.map((a) => a.takenAt).sort()[0];
  if (actions.length >= SCHEDULE_RECENT_ACTIONS && oldest !== undefined && top.startedAt < oldest) {
    return {
      notes: [
        `drill schedule ${schedule} keeps only its last ${SCHEDULE_RECENT_ACTIONS} runs, and ${name} is older: that the schedule started it is not confirmed`,
      ],
      problems: [],
    };
  }
  return {
    notes: [],
    problems: [`drill schedule ${schedule} did not start ${name}: it is not among the runs the schedule took, so someone started it by hand`],
  };
}

/**
 * A delegated start is as good as the parent's start: the statement must have been valid when Temporal started the
 * parent (by the server's clock, not a time the statement gives), within the clock skew the kit allows.
 */
function validityAt(statement: Statement, parent: RunLifecycle, who: string): string[] {
  const started = Date.parse(parent.startedAt);
  if (started + CLOCK_SKEW_MS < Date.parse(statement.issuedAt) || started - CLOCK_SKEW_MS > Date.parse(statement.expiresAt)) {
    return [
      `${who}'s start statement was valid from ${statement.issuedAt} to ${statement.expiresAt}, but Temporal started its parent ${runName(parent.workflowId, parent.originalExecutionRunId)} at ${parent.startedAt}`,
    ];
  }
  return [];
}
