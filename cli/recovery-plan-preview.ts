import { z } from 'zod';
import { PLAN_GATE, planRunbookOf, runIdFor, type ApprovalPolicy, type RecoveryPlanDefinition } from '../kit';
import { criticalPath, describeApprovers, planLayers } from '../kit/trust';
import { parseRunbookInput } from './input';

/** One input field of a plan, as `--set name=value` takes it. */
export interface PlanInputField {
  name: string;
  required: boolean;
  /** The values it takes, when it is a choice. */
  values?: string[];
  /** A format it must have, such as `date-time`. */
  format?: string;
  description?: string;
}

/** One member as it would run for the input shown: its runbook, on what, its own run ID and what it waits for. */
export interface PlanMemberPreview {
  name: string;
  runbook: string;
  runbookTitle: string;
  target: string;
  runId: string;
  after: string[];
  /** Its runbook's own RTO objective: what the critical path counts for it before it has ever run. */
  rtoObjectiveSeconds?: number;
  /** The member's gates the plan's approval stands for (each member checks that approval itself). */
  delegatedGates: string[];
}

/** A member's gate that is `delegable: false`: it still waits for its own people, whatever the plan's approval. */
export interface UndelegatedGate {
  member: string;
  runbook: string;
  runId: string;
  gate: string;
  title: string;
  needs: string;
}

/**
 * What an incident commander reads before signing a plan: what it does, what it takes, who decides, what runs in
 * which order on what, the chain that bounds its time, and the decisions the plan's signature does not make.
 */
export interface PlanPreview {
  plan: string;
  runbook: string;
  title: string;
  description: string;
  /** The plan input the members below are derived from, and whether it was given or is the plan's first example. */
  input: unknown;
  inputFrom: 'given' | 'example';
  runId: string;
  target: string;
  fields: PlanInputField[];
  decision: { gate: string; title: string; needs: string; policy: ApprovalPolicy };
  /** The members by the wave they can start in: wave 1 waits for nobody, wave n for some member of wave n - 1. */
  waves: PlanMemberPreview[][];
  /** The longest chain of members, each counted at its runbook's RTO objective. */
  criticalPath: { members: string[]; seconds: number };
  objectives: RecoveryPlanDefinition['objectives'];
  undelegatedGates: UndelegatedGate[];
}

/**
 * The plan's view for an input: the one given with `--set`/`--input` (checked against the plan's schema, so a bad
 * field is named with its fix), or, when `raw` is undefined (no input given), the plan's first example.
 */
export function previewPlan(plan: RecoveryPlanDefinition, raw: Record<string, unknown> | undefined): PlanPreview {
  const runbook = planRunbookOf(plan);
  const given = raw !== undefined;
  const input = given ? parseRunbookInput(runbook, raw) : plan.input.parse(plan.examples[0]);
  const target = plan.target(input);
  const members = Object.fromEntries(Object.keys(plan.members).map((name) => [name, memberPreview(plan, name, input)]));
  const path = criticalPath(plan, (name) => members[name]!.rtoObjectiveSeconds ?? 0);
  return {
    plan: plan.id,
    runbook: runbook.id,
    title: plan.title,
    description: plan.description,
    input,
    inputFrom: given ? 'given' : 'example',
    runId: runIdFor(runbook.id, target),
    target,
    fields: inputFieldsOf(plan),
    decision: { gate: PLAN_GATE, title: plan.gate.title, needs: describeApprovers(plan.gate.policy), policy: plan.gate.policy },
    waves: planLayers(plan).map((wave) => wave.map((name) => members[name]!)),
    criticalPath: { members: path.members, seconds: path.seconds },
    objectives: plan.objectives,
    undelegatedGates: Object.values(members).flatMap((m) => undelegatedGatesOf(plan, m)),
  };
}

function memberPreview(plan: RecoveryPlanDefinition, name: string, planInput: unknown): PlanMemberPreview {
  const member = plan.members[name]!;
  const runbook = member.runbook;
  const target = runbook.target(runbook.input.parse(member.input(planInput)));
  const rto = runbook.objectives?.rtoSeconds;
  return {
    name,
    runbook: runbook.id,
    runbookTitle: runbook.title,
    target,
    runId: runIdFor(runbook.id, target),
    after: [...(member.after ?? [])],
    ...(rto !== undefined ? { rtoObjectiveSeconds: rto } : {}),
    delegatedGates: Object.values(runbook.procedure)
      .filter((e) => e.kind === 'gate' && e.delegable !== false)
      .map((e) => e.name),
  };
}

function undelegatedGatesOf(plan: RecoveryPlanDefinition, member: PlanMemberPreview): UndelegatedGate[] {
  const runbook = plan.members[member.name]!.runbook;
  return Object.values(runbook.procedure).flatMap((e) =>
    e.kind === 'gate' && e.delegable === false
      ? [{ member: member.name, runbook: runbook.id, runId: member.runId, gate: e.name, title: e.title, needs: describeApprovers(e.policy) }]
      : [],
  );
}

/** The plan's input fields, read from its schema as JSON Schema: what `--set` takes, and which values. */
function inputFieldsOf(plan: RecoveryPlanDefinition): PlanInputField[] {
  const schema = z.toJSONSchema(plan.input, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { enum?: unknown[]; format?: string; description?: string }>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([name, field]) => ({
    name,
    required: (schema.required ?? []).includes(name),
    ...(field.enum ? { values: field.enum.map(String) } : {}),
    ...(field.format ? { format: field.format } : {}),
    ...(field.description ? { description: field.description } : {}),
  }));
}
