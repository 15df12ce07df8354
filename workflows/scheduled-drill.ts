import { executeChild, ParentClosePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { runbooks } from '../runbooks';
import { plans } from '../plans';
import { type DrillMode, type Objectives, planIdOf, planRunbookOf, runIdFor, type RunbookDefinition, type RunResult } from '../kit';
import { type SignedDecision, verifyScheduledDrillStart, runSearchAttributes } from '../kit/trust';

/** What a drill schedule starts: which runbook (or plan, as `plan/<id>`), with what input, as what kind of drill. */
export interface DrillSpec {
  runbook: string;
  input: unknown;
  drill: DrillMode;
  requestedBy: string;
  objectives?: Objectives;
  /**
   * The requester's signed authorisation of this schedule's drills: a start statement naming the schedule, valid
   * until the date it gives. Each drill run checks it; without it a drill refuses to start.
   */
  start?: SignedDecision;
}

/**
 * The runbook a schedule names: one of the catalog's, or a recovery plan as the runbook it runs as (`plan/<id>`,
 * workflow type recoveryPlan), whose run `plan/<id>/<target>` hands the drill to each of its members.
 */
function drilledRunbook(id: string): RunbookDefinition | undefined {
  if (Object.hasOwn(runbooks, id)) return runbooks[id];
  const planId = planIdOf(id);
  return planId !== undefined && Object.hasOwn(plans, planId) ? planRunbookOf(plans[planId]!) : undefined;
}

export type ScheduledDrillResult = { ran: true; runId: string; result: RunResult } | { ran: false; runId: string; reason: string };

/**
 * Started by a drill schedule. Runs the drill as a child under the same workflow ID a real run of
 * that runbook and target would use, so Temporal itself keeps a drill from overlapping a real run
 * (or another drill): if the ID is taken, this drill is skipped and says why.
 */
export async function scheduledDrill(spec: DrillSpec): Promise<ScheduledDrillResult> {
  const runbook = drilledRunbook(spec.runbook);
  if (!runbook) return { ran: false, runId: spec.runbook, reason: `unknown runbook ${spec.runbook}` };
  const parsed = runbook.input.safeParse(spec.input);
  if (!parsed.success) return { ran: false, runId: spec.runbook, reason: `the schedule's input is invalid: ${parsed.error.message}` };
  const target = runbook.target(parsed.data);
  const runId = runIdFor(runbook.id, target);
  // Anyone with namespace access can start this launcher by hand: it checks that a schedule started it, for exactly
  // what it is about to start, before it starts anything. A refusal fails the launcher run, where people see it.
  await verifyScheduledDrillStart({ ...spec, childWorkflowId: runId });
  try {
    const result = await executeChild<(request: unknown) => Promise<RunResult>>(runbook.workflowType, {
      workflowId: runId,
      args: [
        {
          input: spec.input,
          requestedBy: spec.requestedBy,
          drill: spec.drill,
          ...(spec.objectives ? { objectives: spec.objectives } : {}),
          ...(spec.start ? { start: spec.start } : {}),
        },
      ],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: runSearchAttributes({
        runbook: runbook.id,
        target,
        state: 'running',
        requestedBy: spec.requestedBy,
        drill: spec.drill.kind,
      }),
    });
    return { ran: true, runId, result };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { ran: false, runId, reason: `${runId} was already running, so this drill was skipped to avoid overlapping it` };
    }
    throw err;
  }
}
