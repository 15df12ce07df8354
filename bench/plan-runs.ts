import type { Client, WorkflowHandle } from '@temporalio/client';
import { approveUpdate, PLAN_GATE, type PlanMemberView, type RunResult, type RunStatus, statusQuery } from '../kit';
import { workSecondsOf } from '../lib/run-work-time';

/** The plan's gate policy in the sample roster: two SRE leads, then one of airline operations. */
const PLAN_SIGNERS = ['bob', 'carol', 'dave'];
/** A failover's gate: two SRE leads. */
const FAILOVER_SIGNERS = ['bob', 'carol'];

/** One plan run as the bench reads it. */
export interface PlanRun {
  result: RunResult<Record<string, PlanMemberView>>;
  /** From the gate's decision to the last member's end: the recovery's own time, people's time left out. */
  rtoFromApprovalSeconds: number;
  /** Signatures people gave: the plan's gate's votes, plus any member gate that did not stand on the plan's. */
  signatures: number;
  /** Each member's own result (its gates and audit), by member name. */
  members: Record<string, RunResult>;
}

/** One runbook run alone, approved as soon as its gate opens. */
export interface SoloRun {
  result: RunResult;
  /** Its wall time less its wait for approvers, as a member inside a plan would take (lib/run-work-time.ts). */
  workSeconds: number;
  signatures: number;
}

/** Polls a run's status every 20 ms until `done` holds; a run not started yet counts as not done. */
async function statusWhen(handle: WorkflowHandle, done: (s: RunStatus) => boolean, what: string, timeoutMs = 180_000): Promise<RunStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery).catch(() => undefined);
    if (status && done(status)) return status;
    if (Date.now() > deadline)
      throw new Error(`bench: ${handle.workflowId} never reached ${what} (last: ${status?.state ?? 'no status'}: ${status?.outcome ?? ''})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Gate votes people gave on a run: a gate that stood on a plan's approval counts none of its own. */
export const signaturesOf = (status: Pick<RunStatus, 'gates'>): number =>
  status.gates.filter((g) => !g.delegatedFrom).reduce((n, g) => n + g.votes.filter((v) => v.decision === 'approve').length, 0);

/**
 * Runs plan `planId` on `input` (run `plan/<planId>/<target>`): started as alice, its gate approved by bob, carol and
 * dave the moment it opens (each signs with their own key through the signing client), and waited for.
 */
export async function runPlan(client: Client, taskQueue: string, planId: string, target: string, input: unknown): Promise<PlanRun> {
  const handle = await client.workflow.start('recoveryPlan', {
    taskQueue,
    workflowId: `plan/${planId}/${target}`,
    args: [{ input, requestedBy: 'alice' }],
  });
  await statusWhen(handle, (s) => s.state !== 'running', 'its gate');
  for (const by of PLAN_SIGNERS) await handle.executeUpdate(approveUpdate, { args: [{ by }] });
  const result = (await handle.result()) as RunResult<Record<string, PlanMemberView>>;
  if (result.state !== 'succeeded') throw new Error(`bench: ${handle.workflowId} ended ${result.state}: ${result.outcome}`);
  const gate = result.gates.find((g) => g.name === PLAN_GATE)!;
  const views = Object.entries(result.output ?? {});
  const lastEnd = Math.max(...views.map(([, v]) => Date.parse(v.finishedAt!)));
  const members: Record<string, RunResult> = {};
  for (const [name, view] of views) members[name] = (await client.workflow.getHandle(view.runId, view.temporalRunId).result()) as RunResult;
  return {
    result,
    rtoFromApprovalSeconds: (lastEnd - Date.parse(gate.decidedAt!)) / 1000,
    signatures: signaturesOf(result) + Object.values(members).reduce((n, m) => n + signaturesOf(m), 0),
    members,
  };
}

/** Runs one region failover alone, as an operator would without a plan: its gate approved by two leads when it opens. */
export async function runFailoverAlone(client: Client, taskQueue: string, input: { service: string } & Record<string, unknown>): Promise<SoloRun> {
  const handle = await client.workflow.start('regionFailover', {
    taskQueue,
    workflowId: `region-failover/${input.service}`,
    args: [{ input, requestedBy: 'alice' }],
  });
  const waiting = await statusWhen(handle, (s) => s.state !== 'running', 'its gate');
  if (waiting.state === 'waiting-approval') for (const by of FAILOVER_SIGNERS) await handle.executeUpdate(approveUpdate, { args: [{ by }] });
  const result = (await handle.result()) as RunResult;
  if (result.state !== 'succeeded') throw new Error(`bench: ${handle.workflowId} ended ${result.state}: ${result.outcome}`);
  return { result, workSeconds: workSecondsOf(result)!, signatures: signaturesOf(result) };
}

/** A member's time inside the plan: from its start to its end, as the plan's view recorded it. */
export const memberSeconds = (view: PlanMemberView): number => (Date.parse(view.finishedAt!) - Date.parse(view.startedAt!)) / 1000;

/**
 * How long each member that waits for others started after the last of them ended, in milliseconds: the plan's own
 * hand-over from one member to the next (noticing the end, starting the child, the child checking its delegation).
 */
export function startLagsMs(views: Record<string, PlanMemberView>): number[] {
  return Object.values(views)
    .filter((view) => view.after.length > 0)
    .map((view) => Date.parse(view.startedAt!) - Math.max(...view.after.map((before) => Date.parse(views[before]!.finishedAt!))));
}
