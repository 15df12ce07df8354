import { msToNumber } from '@temporalio/common/lib/time';
import { visibleFields } from '../lib/terminal-text';
import { table } from './render';
import type { PlanPreview } from './recovery-plan-preview';

/** A number of seconds as a person reads a duration: `45m`, `1h30m`, `5m12.4s`, `42.1s`, `0s`. */
export function span(seconds: number): string {
  const tenths = Math.round(seconds * 10);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths % 36_000) / 600);
  const s = (tenths % 600) / 10;
  const parts = [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''];
  return parts.join('');
}

/** A policy's duration (`'5 minutes'`, or milliseconds) as {@link span} writes it. */
function durationText(d: Parameters<typeof msToNumber>[0]): string {
  return span(msToNumber(d) / 1000);
}

/** Who decides and what happens when nobody does, with every group the decision requires. */
function decisionLine(p: PlanPreview): string {
  const policy = p.decision.policy;
  return `needs ${p.decision.needs}, never the requester; escalates after ${durationText(policy.escalateAfter)}, then every ${durationText(policy.escalateEvery)}; expires after ${durationText(policy.expireAfter)} and then ${policy.onExpiry === 'abort' ? 'aborts the plan (nothing has moved yet)' : 'proceeds'}`;
}

/** Each member runbook's gates that the plan's approval stands for, once per runbook. */
function delegatedLine(p: PlanPreview): string {
  const byRunbook = new Map<string, string[]>();
  for (const m of p.waves.flat()) if (m.delegatedGates.length) byRunbook.set(m.runbook, m.delegatedGates);
  return byRunbook.size === 0
    ? "  the members' runbooks have no gates of their own"
    : `  it stands for the members' own gates (${[...byRunbook].map(([runbook, gates]) => `${runbook}: ${gates.join(', ')}`).join('; ')}); each member checks the plan's signed approval itself`;
}

/** The `--set` line that would start the plan on the input shown. */
function runCommandFor(p: PlanPreview): string {
  const sets = Object.entries(p.input as Record<string, unknown>).map(([k, v]) => `--set ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `lifeboat run ${p.plan} ${sets.join(' ')}`;
}

/**
 * `lifeboat plan <plan>`: what an incident commander reads before signing. The decision and who makes it come before
 * the members, and the gates the decision does not cover are listed by name, since those still wait for people.
 */
export function renderRecoveryPlan(preview: PlanPreview): string {
  const p = visibleFields(preview);
  const members = p.waves.flat();
  const byName = new Map(members.map((m) => [m.name, m]));
  const o = p.objectives;
  return [
    `${p.plan}: ${p.title}   [recovery plan; runs as ${p.runbook}]`,
    p.description,
    '',
    'Input (--set name=value):',
    table(
      p.fields.map((f) => [f.name, f.required ? 'required' : 'optional', f.values ? f.values.join(' | ') : (f.format ?? ''), f.description ?? '']),
      '  ',
    ),
    `Shown below for ${JSON.stringify(p.input)} (${p.inputFrom === 'given' ? 'as given' : "the plan's first example; --set another input to see it"}):`,
    `  run ID ${p.runId}; start it with: ${runCommandFor(p)}`,
    '',
    `Decision (gate ${p.decision.gate}): ${p.decision.title}`,
    `  ${decisionLine(p)}`,
    delegatedLine(p),
    `  approve with: lifeboat approve ${p.runId} --as <you>`,
    '',
    'Members, in waves (a member starts once every member it waits for has finished; members of a wave run side by side):',
    table(
      [
        ['WAVE', 'MEMBER', 'RUNBOOK', 'TARGET', 'RUN', 'WAITS FOR', 'RTO OBJECTIVE'],
        ...p.waves.flatMap((wave, i) =>
          wave.map((m) => [
            String(i + 1),
            m.name,
            m.runbook,
            m.target,
            m.runId,
            m.after.length ? m.after.join(', ') : 'nobody',
            m.rtoObjectiveSeconds !== undefined ? span(m.rtoObjectiveSeconds) : 'none',
          ]),
        ),
      ],
      '  ',
    ),
    '',
    `Critical path (each member at its runbook's RTO objective): ${p.criticalPath.members
      .map((name) => `${name} (${span(byName.get(name)?.rtoObjectiveSeconds ?? 0)})`)
      .join(' → ')} = ${span(p.criticalPath.seconds)}`,
    `Objectives: RTO ${span(o.rtoSeconds)} from the plan's start${p.fields.some((f) => f.name === 'detectedAt') ? ' (from detection when --set detectedAt is given)' : ''}${o.rpoSeconds !== undefined ? `; RPO ${span(o.rpoSeconds)}` : ''}`,
    ...(p.criticalPath.seconds > o.rtoSeconds
      ? [`  the critical path's objectives add up to more than the plan's RTO objective (${span(p.criticalPath.seconds)} > ${span(o.rtoSeconds)})`]
      : []),
    '',
    ...(p.undelegatedGates.length === 0
      ? ["Gates that still wait for their own people: none; the plan's decision stands for every member's gates."]
      : [
          "Gates that still wait for their own people (delegable: false; the plan's decision does not stand for them):",
          ...p.undelegatedGates.map(
            (g) => `  - ${g.member}: ${g.runbook} gate ${g.gate} — ${g.title}\n    needs ${g.needs}; approve with lifeboat approve ${g.runId} --as <you>`,
          ),
        ]),
    '',
    'Nothing was executed.',
  ].join('\n');
}
