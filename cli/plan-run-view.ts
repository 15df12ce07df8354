import { PLAN_GATE, planIdOf, runIdFor, type PlanMemberView, type RecoveryPlanDefinition, type RunStatus } from '../kit';
import { criticalPath, describeApprovers } from '../kit/trust';
import { runbooks } from '../runbooks';

/** A member of a plan's run, as the plan's status reads it, with its own run's state when that was read live. */
export interface PlanMemberRow extends PlanMemberView {
  name: string;
  /** The member run's own state, read live from it (its `status` query), for a member that is running or held. */
  ownState?: RunStatus['state'];
}

/** A member that waits for a person, why, and the exact commands that move it on. */
export interface MemberWaiting {
  member: string;
  runId: string;
  /** `plan`: the plan's step for it waits for an operator; `member`: the member's own run does (a step or a gate). */
  on: 'plan' | 'member';
  error: string;
  commands: string[];
}

/** One member on the critical path and the seconds it counts for: measured once it finished, else its runbook's objective. */
export interface PathMember {
  name: string;
  seconds: number;
  measured: boolean;
}

/** What `lifeboat status` adds for a plan's run: its members, the chain that bounds it, its RTO, its decision, who is held. */
export interface PlanRunView {
  plan: string;
  /** The plan's run, which the plan's own decisions (approve, retry, skip, abort) name. */
  runId: string;
  members: PlanMemberRow[];
  criticalPath: { members: PathMember[]; seconds: number };
  rto: { seconds?: number; fromDetectionSeconds?: number; objectiveSeconds?: number; rpoSeconds?: number; rpoWrites?: number };
  decision?: { gate: string; title: string; status: string; needs: string; decidedAt?: string; signers: { by: string; verified: boolean }[] };
  waiting: MemberWaiting[];
  /** Members that finished before the plan ended without finishing: they stay where they moved. */
  movedBeforeEnd: string[];
  /** The plan's RTO forecast in a sentence, when the run publishes one (`details.forecast.summary`). */
  forecast?: string;
}

/** A plan run's status as the CLI shows it: the run's own, or with Temporal's word for how it ended (`terminated`). */
export type PlanRunStatus = Omit<RunStatus, 'state'> & { state: string };

/** Whether a run's status is a recovery plan's: its runbook is `plan/<id>`. */
export function isPlanRun(status: Pick<RunStatus, 'runbook'>): boolean {
  return planIdOf(status.runbook) !== undefined;
}

/** The members the plan run publishes (`details.members`), once its decision is made; undefined before. */
export function publishedMembers(status: PlanRunStatus): Record<string, PlanMemberView> | undefined {
  const members = status.details?.members;
  return typeof members === 'object' && members !== null ? (members as Record<string, PlanMemberView>) : undefined;
}

/**
 * Each member as it will run, before the plan's run publishes them (it does once its decision is made): from the
 * plan's definition and the run's input, all waiting. Undefined when the input does not give every member a target.
 */
export function plannedMembers(plan: RecoveryPlanDefinition, input: unknown): Record<string, PlanMemberView> | undefined {
  try {
    const parsed = plan.input.parse(input);
    return Object.fromEntries(
      Object.entries(plan.members).map(([name, member]) => {
        const target = member.runbook.target(member.runbook.input.parse(member.input(parsed)));
        return [name, { runbook: member.runbook.id, runId: runIdFor(member.runbook.id, target), target, after: [...(member.after ?? [])], state: 'waiting' }];
      }),
    );
  } catch {
    return undefined;
  }
}

/** The member runs worth asking for their own state: those running, and those the plan says wait for an operator. */
export function memberRunsToRead(status: PlanRunStatus): string[] {
  const views = publishedMembers(status) ?? {};
  return Object.values(views)
    .filter((v) => v.state === 'running' || v.state === 'needs-operator')
    .map((v) => v.runId);
}

const held: readonly RunStatus['state'][] = ['needs-intervention', 'waiting-approval'];

/**
 * The plan's part of its status, from the plan run's own status and the live statuses of its members' runs (by run
 * ID; a member whose run could not be read is left out of them), with the members as planned (see
 * {@link plannedMembers}) while the run has published none. Pure, so the renderer is tested on constructed runs.
 */
export function planRunView(
  status: PlanRunStatus,
  memberStatuses: Record<string, RunStatus | undefined> = {},
  planned?: Record<string, PlanMemberView>,
): PlanRunView {
  // Members as planned never started when the plan ended before its decision.
  const views = publishedMembers(status) ?? (planned && planOver(status) ? notStarted(planned) : planned) ?? {};
  const members: PlanMemberRow[] = Object.entries(views).map(([name, v]) => {
    const own = memberStatuses[v.runId]?.state;
    return { ...v, name, ...(own ? { ownState: own } : {}) };
  });
  const m = status.measurements ?? {};
  const gate = status.gates.find((g) => g.name === PLAN_GATE);
  const forecast = (status.details.forecast as { summary?: unknown } | undefined)?.summary;
  // Ended without finishing: by itself (failed, aborted) or by Temporal (terminated, timed out, canceled).
  const ended = planOver(status) && status.state !== 'succeeded';
  return {
    plan: planIdOf(status.runbook)!,
    runId: status.runId,
    members,
    criticalPath: pathOf(views),
    rto: {
      ...(m.rtoSeconds !== undefined ? { seconds: m.rtoSeconds } : {}),
      ...(m.rtoFromDetectionSeconds !== undefined ? { fromDetectionSeconds: m.rtoFromDetectionSeconds } : {}),
      ...(status.objectives?.rtoSeconds !== undefined ? { objectiveSeconds: status.objectives.rtoSeconds } : {}),
      ...(m.rpoSeconds !== undefined ? { rpoSeconds: m.rpoSeconds } : {}),
      ...(m.rpoWrites !== undefined ? { rpoWrites: m.rpoWrites } : {}),
    },
    ...(gate
      ? {
          decision: {
            gate: gate.name,
            title: gate.title,
            status: gate.status,
            needs: describeApprovers(gate),
            ...(gate.decidedAt ? { decidedAt: gate.decidedAt } : {}),
            signers: gate.votes.filter((v) => v.decision === 'approve').map((v) => ({ by: v.by, verified: v.verified !== undefined })),
          },
        }
      : {}),
    waiting: members.flatMap((row) => waitingOf(status, row, memberStatuses[row.runId])),
    movedBeforeEnd: ended ? members.filter((r) => r.state === 'succeeded').map((r) => r.name) : [],
    ...(typeof forecast === 'string' ? { forecast } : {}),
  };
}

/**
 * The critical path over the members' `after`, each member counted at what it took (finished) or at its runbook's
 * RTO objective (not yet): the chain that bounds the plan, and how much of it is still a promise.
 */
function pathOf(views: Record<string, PlanMemberView>): PlanRunView['criticalPath'] {
  const measured = (v: PlanMemberView) =>
    v.state === 'succeeded' && v.startedAt && v.finishedAt ? (Date.parse(v.finishedAt) - Date.parse(v.startedAt)) / 1000 : undefined;
  const secondsOf = (name: string) => {
    const v = views[name]!;
    return measured(v) ?? (v.state === 'skipped' ? 0 : (runbooks[v.runbook]?.objectives?.rtoSeconds ?? 0));
  };
  // The views carry each member's `after`, which is all the path reads of a plan's graph.
  const graph = { members: Object.fromEntries(Object.entries(views).map(([name, v]) => [name, { after: v.after }])) } as unknown as Parameters<
    typeof criticalPath
  >[0];
  const path = criticalPath(graph, secondsOf);
  return {
    members: path.members.map((name) => ({ name, seconds: Math.round(secondsOf(name) * 10) / 10, measured: measured(views[name]!) !== undefined })),
    seconds: Math.round(path.seconds * 10) / 10,
  };
}

/** Whether the plan's run has ended, by itself or by Temporal (terminated, timed out, canceled). */
function planOver(status: PlanRunStatus): boolean {
  return ['succeeded', 'failed', 'aborted', 'terminated', 'timed-out', 'canceled'].includes(status.state);
}

function notStarted(views: Record<string, PlanMemberView>): Record<string, PlanMemberView> {
  return Object.fromEntries(Object.entries(views).map(([name, v]) => [name, { ...v, state: 'not-started' as const }]));
}

/** Why a member waits for a person, and the commands: the plan's retry or skip, or the member run's own decision. */
function waitingOf(status: PlanRunStatus, row: PlanMemberRow, own: RunStatus | undefined): MemberWaiting[] {
  const planRun = status.runId;
  const out: MemberWaiting[] = [];
  const planStep = status.steps.find((s) => s.name === row.name && s.kind === 'step');
  // A plan that has ended takes no more decisions; a member it left running (it outlives its plan) still may.
  if (!planOver(status) && (row.state === 'needs-operator' || planStep?.status === 'needs-intervention')) {
    const pending = status.intervention;
    const options = pending?.step === row.name ? pending.options : ['retry', 'skip'];
    const first = pending && pending.step !== row.name ? `; the plan takes one operator decision at a time, ${pending.step}'s first` : '';
    out.push({
      member: row.name,
      runId: row.runId,
      on: 'plan',
      error: `${row.error ?? planStep?.lastError ?? 'the member did not finish'}${first}`,
      commands: [...options.map((o) => `lifeboat ${o} ${planRun} --reason "..."`), `lifeboat status ${row.runId}`],
    });
  }
  if (own && held.includes(own.state) && !out.length) {
    if (own.state === 'needs-intervention' && own.intervention) {
      out.push({
        member: row.name,
        runId: row.runId,
        on: 'member',
        error: `its step ${own.intervention.step}: ${own.intervention.error}`,
        commands: own.intervention.options.map((o) => `lifeboat ${o} ${row.runId} --reason "..."`),
      });
    }
    const gate = own.gates.find((g) => g.status === 'open');
    if (own.state === 'waiting-approval' && gate) {
      out.push({
        member: row.name,
        runId: row.runId,
        on: 'member',
        error: `its gate ${gate.name} waits for its own people (${gate.title}): needs ${describeApprovers(gate)}`,
        commands: [`lifeboat approve ${row.runId} --as <you>`, `lifeboat reject ${row.runId} --as <you> --comment "why"`],
      });
    }
  }
  return out;
}
