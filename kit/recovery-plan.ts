import type { z } from 'zod';
import { defaultApprovalPolicy, type ApprovalPolicy, type RunbookDefinition, type ScenarioTag } from './definition';
import { PLAN_GATE } from './plan-names';

/**
 * One member of a recovery plan: a runbook run on an input derived from the plan's, started once the members it waits
 * for have finished. Members with no path of `after` between them run side by side.
 */
export interface RecoveryPlanMember<PlanInput = unknown> {
  readonly runbook: RunbookDefinition;
  /**
   * The runbook's input for this plan's input: what `lifeboat run <runbook> --set …` would be given by hand. A method,
   * so a plan with a particular input is still a RecoveryPlanDefinition (methods compare bivariantly).
   */
  input(planInput: PlanInput): unknown;
  /** The members this one waits for, by name; left out, it starts with the plan. */
  readonly after?: readonly string[];
}

/** The plan's one decision: who signs the whole recovery, instead of each member's gates one by one. */
export interface RecoveryPlanGate {
  readonly title: string;
  readonly policy: ApprovalPolicy;
}

/** What the whole plan is measured against, from the first member's start (or from detection) to the last one's end. */
export interface RecoveryPlanObjectives {
  readonly rtoSeconds: number;
  readonly rpoSeconds?: number;
}

/**
 * A recovery across services, as reviewed code: which runbooks run, on what, in which order, under whose signature.
 * Built by {@link definePlan}, which refuses a plan that could not run as written.
 */
export interface RecoveryPlanDefinition<Input extends z.ZodType = z.ZodType> {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly input: Input;
  /** What the plan acts on; the plan's run is `plan/<id>/<target>`, one at a time per pair. A method, as for members. */
  target(input: z.output<Input>): string;
  readonly members: Readonly<Record<string, RecoveryPlanMember<z.output<Input>>>>;
  readonly gate: RecoveryPlanGate;
  readonly objectives: RecoveryPlanObjectives;
  /** The disruptions a run of the plan rehearses, as for a runbook (see RunbookDefinition.scenarios). */
  readonly scenarios?: readonly ScenarioTag[];
  /**
   * Plan inputs an operator would give (at least one), checked when the plan is defined: each member's input derived
   * from each example must pass its runbook's schema, so a plan cannot ship with a member that would refuse to start.
   */
  readonly examples: readonly z.input<Input>[];
}

/**
 * A runbook as its workflow runs it when plans may start it as a member: with the plans whose definitions list it, by
 * plan id. The plans' catalog makes it (plans/membership.ts, `asPlanMember`), since plans import runbooks and not the
 * reverse; a run started by any other plan is refused (start-trust.ts).
 */
export type PlanMemberDefinition = RunbookDefinition & { readonly plans?: Readonly<Record<string, RecoveryPlanDefinition>> };

type PlanInit<Input extends z.ZodType> = Omit<RecoveryPlanDefinition<Input>, 'gate'> & {
  gate: { title: string; policy: Partial<ApprovalPolicy> & Pick<ApprovalPolicy, 'approvers'> };
};

/**
 * Builds a recovery plan, frozen, after checking it could run as written. It throws, naming the plan, the member and
 * the fix, for: a member whose runbook is not a runbook definition; an `after` naming no member; members that wait for
 * each other in a circle; no examples; an example the plan's own input refuses; a member input, derived from an
 * example, with a field its runbook does not take or that its runbook's schema refuses; and two members acting on the
 * same target.
 *
 * The last rule is deliberately simple: two members whose runbooks' targets (`runbook.target(memberInput)`) are equal
 * act on the same service, whatever the runbooks. Failover and failback of one service in one plan would move it twice,
 * and their run IDs differ by runbook, so nothing else would stop the two runs moving it at once. A recovery that
 * needs two runbooks on one service is two plans, one after the other.
 */
export function definePlan<Input extends z.ZodType>(init: PlanInit<Input>): RecoveryPlanDefinition<Input> {
  const where = `plan ${init.id}`;
  const names = Object.keys(init.members);
  if (names.length === 0) throw new Error(`${where} has no members; name at least one runbook to run`);
  for (const [name, member] of Object.entries(init.members)) {
    if (!isRunbookDefinition(member.runbook)) {
      throw new Error(`${where}, member ${name}: its runbook is not a runbook definition; import one from runbooks/ (built with defineRunbook)`);
    }
    for (const waitsFor of member.after ?? []) {
      if (!Object.hasOwn(init.members, waitsFor)) {
        throw new Error(
          `${where}, member ${name}: after names ${waitsFor}, which is not a member (members: ${names.join(', ')}); fix the name or add the member`,
        );
      }
    }
  }
  const circle = circleOf(init.members);
  if (circle) {
    throw new Error(
      `${where}: members ${circle.join(' → ')} wait for each other in a circle (each waits for the next), so none of them could start; remove one of those after entries`,
    );
  }
  if (Object.hasOwn(init.members, PLAN_GATE)) throw new Error(`${where}: a member may not be named ${PLAN_GATE}, the name of the plan's gate; rename it`);
  if (init.gate.policy.quorum !== undefined && (!Number.isInteger(init.gate.policy.quorum) || init.gate.policy.quorum < 1)) {
    throw new Error(`${where}: the gate's quorum is ${init.gate.policy.quorum}; it is a whole number of people, at least 1`);
  }
  checkRequirements(where, init.gate.policy);
  if (init.examples.length === 0)
    throw new Error(`${where} has no examples; give at least one plan input an operator would type, so its members' inputs are checked`);
  init.examples.forEach((example, index) => checkExample(init, example, index));

  const members = Object.fromEntries(
    Object.entries(init.members).map(([name, member]) => [
      name,
      Object.freeze({ ...member, ...(member.after ? { after: Object.freeze([...member.after]) } : {}) }),
    ]),
  );
  return Object.freeze({
    ...init,
    members: Object.freeze(members),
    gate: Object.freeze({ title: init.gate.title, policy: Object.freeze({ ...defaultApprovalPolicy, ...init.gate.policy }) }),
    objectives: Object.freeze({ ...init.objectives }),
    ...(init.scenarios ? { scenarios: Object.freeze([...init.scenarios]) } : {}),
    examples: Object.freeze([...init.examples]),
  });
}

/** A gate's group requirements must name groups the gate accepts, and fit in its quorum. */
function checkRequirements(where: string, policy: Partial<ApprovalPolicy> & Pick<ApprovalPolicy, 'approvers'>): void {
  const quorum = policy.quorum ?? defaultApprovalPolicy.quorum;
  let total = 0;
  for (const r of policy.requires ?? []) {
    if (!(policy.approvers.groups ?? []).includes(r.group)) {
      throw new Error(`${where}: the gate requires approvers from group ${r.group}, which its approvers do not name; add it to gate.policy.approvers.groups`);
    }
    if (!Number.isInteger(r.atLeast) || r.atLeast < 1)
      throw new Error(`${where}: the gate requires ${r.atLeast} of group ${r.group}; it is a whole number, at least 1`);
    total += r.atLeast;
  }
  if (total > quorum) throw new Error(`${where}: the gate's group requirements add up to ${total} approvers, more than its quorum ${quorum}; raise the quorum`);
}

/** The member names of a plan in the order they were declared, which every view keeps so its output is stable. */
export function memberNamesOf(plan: Pick<RecoveryPlanDefinition, 'members'>): string[] {
  return Object.keys(plan.members);
}

/** Each member's input and target for one example, refused with the member and field, then checked for two members on one target. */
function checkExample<Input extends z.ZodType>(init: PlanInit<Input>, example: unknown, index: number): void {
  const where = `plan ${init.id}`;
  const planInput = init.input.safeParse(example);
  if (!planInput.success) {
    throw new Error(
      `${where}: example ${index + 1} fails the plan's own input at ${fieldOf(planInput.error)}: ${planInput.error.issues[0]?.message}; fix the example`,
    );
  }
  const actingOn = new Map<string, string>();
  for (const [name, member] of Object.entries(init.members)) {
    const runbook = member.runbook;
    const memberInput = member.input(planInput.data as z.output<Input>);
    const untaken = untakenFieldOf(runbook, memberInput);
    if (untaken !== undefined) {
      const why = runbook.removedInputs?.[untaken] ?? 'the schema does not declare it';
      throw new Error(
        `${where}, member ${name}: for example ${index + 1} its input has field ${untaken}, which ${runbook.id} does not take (${why}); the run would refuse it, so remove it from members.${name}.input`,
      );
    }
    const parsed = runbook.input.safeParse(memberInput);
    if (!parsed.success) {
      throw new Error(
        `${where}, member ${name}: for example ${index + 1} its input fails ${runbook.id}'s schema at field ${fieldOf(parsed.error)}: ${parsed.error.issues[0]?.message}; fix members.${name}.input`,
      );
    }
    const target = runbook.target(parsed.data);
    const other = actingOn.get(target);
    if (other !== undefined) {
      throw new Error(
        `${where}, member ${name}: it acts on ${target}, as member ${other} does (${init.members[other]!.runbook.id} and ${runbook.id}); a plan acts on each service once, so drop one or make it a plan of its own`,
      );
    }
    actingOn.set(target, name);
  }
}

/**
 * The first top-level field of an object input its runbook's schema does not declare. Zod would drop it silently here,
 * but the runbook's workflow refuses it (parseInput), so a plan that passed it would fail when its member starts.
 */
function untakenFieldOf(runbook: RunbookDefinition, input: unknown): string | undefined {
  const shape = (runbook.input as unknown as { shape?: Record<string, unknown> }).shape;
  if (!shape || typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  return Object.keys(input).find((key) => !Object.hasOwn(shape, key));
}

/** The path of a zod error's first issue, as a person names the field: `mode`, `regions.0`. */
function fieldOf(error: z.ZodError): string {
  const path = error.issues[0]?.path ?? [];
  return path.length === 0 ? '(the input itself)' : path.map(String).join('.');
}

/** A runbook definition as defineRunbook builds it: checked by shape, since plans and runbooks may come from different bundles. */
function isRunbookDefinition(value: unknown): value is RunbookDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<RunbookDefinition>;
  return (
    typeof candidate.id === 'string' &&
    typeof candidate.target === 'function' &&
    typeof candidate.input?.safeParse === 'function' &&
    typeof candidate.procedure === 'object' &&
    candidate.procedure !== null
  );
}

/**
 * The first circle of `after` found, walking members in declaration order, as the members on it in order, the first
 * repeated at the end (`a → b → a`: a waits for b, which waits for a); undefined when there is none. A member that
 * waits for itself is a circle of one.
 */
function circleOf(members: Readonly<Record<string, Pick<RecoveryPlanMember, 'after'>>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 'open');
    path.push(name);
    for (const next of members[name]?.after ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(members)) {
    if (state.has(name)) continue;
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}
