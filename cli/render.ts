import { type DrillKind, type ProcedureEntry, type RunbookDefinition, type RunStatus, type StepRecord, terminalStates } from '../kit';
import { approvalsOf, describeApprovers, drillsOf, entriesOf, planOf, readinessOf, retryPolicyOf } from '../kit/trust';
import { msToNumber } from '@temporalio/common/lib/time';
import { visibleFields, visibleLine } from '../lib/terminal-text';
import type { ReadinessAtRun } from './readiness-at';
import { pathLines, type PathPoint } from './report/path';
import { actsThrough, type ProviderNames } from './providers-of';
import type { EndedByTemporal, ShownStatus } from './run-outcome';

/** What `lifeboat status` shows beside the run's own status: the incident's path and readiness before the run. */
export interface StatusContext {
  path?: PathPoint[];
  readinessBeforeRun?: ReadinessAtRun;
  /** Each step's providers, from the targets file this CLI reads (`acts through traffic: haproxy (…)`). */
  stepProviders?: Record<string, string>;
  /** Sections of a run of a kind of its own, shown before the details (a recovery plan's members: render-plan-run.ts). */
  sections?: string[][];
}

/** Step statuses a step is left in when Temporal ends the run under it. */
const cutOff = new Set<StepRecord['status']>(['running', 'retrying', 'needs-intervention']);

const marks: Record<StepRecord['status'], string> = {
  running: '>',
  retrying: '~',
  'needs-intervention': '!',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
};

/** Aligns rows of cells into columns. A cell is one line: control characters, newlines and tabs in it are shown as escapes. */
export function table(cells: string[][], indent = ''): string {
  const rows = cells.map((r) => r.map(visibleLine));
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

function clock(iso: string | undefined): string {
  return iso ? iso.slice(11, 19) + 'Z' : '';
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * The readable `lifeboat status`: state, steps, the open gate, what to do next, the recent audit. Every field is
 * made inert first (see `visibleFields`): comments, reasons, names and errors come from people and systems outside.
 */
/** A vote as status shows it: who, what, and the key that signed it (verified by the run) or that nothing did. */
function voteText(v: RunStatus['gates'][number]['votes'][number]): string {
  const proof = v.verified
    ? `verified, ${v.verified.keyType.startsWith('webauthn-') ? 'passkey' : 'key'} ${v.verified.fingerprint}`
    : v.by === 'drill-policy'
      ? 'by the drill policy'
      : 'unsigned (a run older than signed decisions)';
  return `${v.by} ${v.decision}d (${proof})`;
}

export function renderStatus(status: ShownStatus, auditLines = 8, around: StatusContext = {}): string {
  const s = visibleFields(status);
  const out: string[] = [];
  out.push(`${s.runId}  ${s.title}${s.drill ? `   [DRILL: ${s.drill.kind}, gates approved by ${s.drill.approvals === 'policy' ? 'policy' : 'people'}]` : ''}`);
  out.push(`state: ${s.state}   requested by ${s.requestedBy}   started ${s.startedAt}${s.finishedAt ? `   finished ${s.finishedAt}` : ''}`);
  if (s.endedByTemporal) out.push(...endedByTemporalLines(s.endedByTemporal));
  if (around.readinessBeforeRun) out.push(`readiness before the run: ${visibleLine(around.readinessBeforeRun.summary)}`);
  if (around.path && around.path.length > 0) out.push('path:', ...pathLines(visibleFields(around.path)));
  if (s.trust) {
    const start = s.trust.start;
    const how = start.verified
      ? `signed by ${s.requestedBy}, ${start.verified.keyType.startsWith('webauthn-') ? 'passkey' : 'key'} ${start.verified.fingerprint}`
      : 'not verified';
    out.push(
      `trust: start ${how}${start.delegatedBy ? ` (through ${start.delegatedBy})` : ''}${start.schedule ? ` (drill schedule ${start.schedule})` : ''}; roster ${s.trust.rosterDigest.slice(0, 19)}…`,
    );
  }
  if (s.refused)
    out.push(
      `refused: ${s.refused.count} decision${s.refused.count === 1 ? '' : 's'} (last from ${s.refused.lastBy} at ${s.refused.lastAt}: ${s.refused.lastReason})`,
    );
  if (s.outcome) out.push(`outcome: ${s.outcome}`);
  if (s.abortRequested && !s.finishedAt && !s.endedByTemporal) out.push(`abort requested by ${s.abortRequested.by}; the run stops after the current step`);
  out.push('', 'steps:');
  out.push(
    s.steps.length === 0
      ? '  (none yet)'
      : table(
          s.steps.map((step) => [
            marks[step.status],
            step.name,
            s.endedByTemporal && cutOff.has(step.status) ? `${step.status}, then ${s.endedByTemporal.how}` : step.status,
            seconds(step.durationMs),
            `${step.attempts} attempt${step.attempts === 1 ? '' : 's'}`,
            step.lastError && step.status !== 'succeeded' ? `last error: ${step.lastError}` : (around.stepProviders?.[step.name] ?? ''),
          ]),
          '  ',
        ),
  );
  const gate = s.endedByTemporal ? undefined : s.gates.find((g) => g.status === 'open');
  if (gate) {
    out.push('', `gate ${gate.name}: ${gate.title}`);
    out.push(`  ${approvalsOf(gate)}/${gate.quorum} approvals; needs ${describeApprovers(gate)}`);
    out.push(`  may approve: ${gate.eligible.join(', ') || 'nobody'}; votes: ${gate.votes.map(voteText).join(', ') || 'none'}`);
    out.push(`  escalations: ${gate.escalations}; expires ${gate.expiresAt} (then ${gate.onExpiry})`);
    out.push(`  next: lifeboat approve ${s.runId} --as <you>   or   lifeboat reject ${s.runId} --as <you> --comment "why"`);
  }
  const decided = s.gates.filter((g) => g.status !== 'open' && g.votes.length > 0);
  if (decided.length > 0) {
    out.push('', 'approvals:');
    for (const g of decided) out.push(`  ${g.name} ${g.status}: ${g.votes.map(voteText).join(', ')}`);
  }
  if (s.intervention && !s.endedByTemporal) {
    out.push('', `step ${s.intervention.step} needs an operator since ${s.intervention.since}:`);
    out.push(`  error: ${s.intervention.error}`);
    out.push(`  next: ${s.intervention.options.map((o) => `lifeboat ${o} ${s.runId} --reason "..."`).join('   or   ')}`);
  }
  if (s.measurements && Object.keys(s.measurements).length > 0) {
    const objectives = s.objectives ?? {};
    const m = s.measurements;
    const vs = (value: number | undefined, objective: number | undefined, unit: string) =>
      value === undefined
        ? undefined
        : `${value}${unit}${objective !== undefined ? ` (objective ${objective}${unit}: ${value <= objective ? 'met' : 'MISSED'})` : ''}`;
    // The objective is judged from detection when the run knows when the outage was detected.
    const fromDetection = m.rtoFromDetectionSeconds !== undefined;
    const parts = [
      m.rtoSeconds !== undefined ? `RTO ${fromDetection ? `${m.rtoSeconds}s from the run's start` : vs(m.rtoSeconds, objectives.rtoSeconds, 's')}` : '',
      fromDetection ? `RTO from detection ${vs(m.rtoFromDetectionSeconds, objectives.rtoSeconds, 's')}` : '',
      m.rpoSeconds !== undefined ? `RPO ${vs(m.rpoSeconds, objectives.rpoSeconds, 's')}` : '',
      m.rpoWrites !== undefined ? `lost writes ${m.rpoWrites}` : '',
      m.rpoBytes !== undefined ? `unreplayed WAL ${m.rpoBytes} bytes` : '',
    ].filter(Boolean);
    out.push('', `measured: ${parts.join('; ')}`);
  }
  if (s.reset) {
    const who = s.reset.by ? ` (asked by ${s.reset.by}${s.reset.reason ? `: ${s.reset.reason}` : ''})` : '';
    out.push(
      '',
      `reset: Temporal reset this run${who}; noticed at ${s.reset.at}. Decisions made before it no longer count; steps already run: ${s.reset.stepsRun.join(', ') || 'none'}; ${s.reset.next}`,
    );
  }
  if (s.pointOfNoReturn) {
    out.push(
      '',
      `point of no return passed after ${s.pointOfNoReturn.step} at ${s.pointOfNoReturn.at}: an abort undoes nothing now; to go back: ${s.pointOfNoReturn.undoInstead}`,
    );
  }
  for (const section of around.sections ?? []) out.push('', ...section);
  const details = Object.entries(s.details ?? {});
  if (details.length > 0) {
    out.push('', 'details:');
    for (const [key, value] of details) {
      if (key === 'conflicts' && Array.isArray(value)) out.push(...renderConflicts(value as ConflictLine[]));
      else if (key === 'handsOn' && isHandsOn(value)) out.push(...renderHandsOn(value, s.runId, s.state));
      else out.push(`  ${key}: ${compactDetail(value)}`);
    }
  }
  if (s.compensation.length > 0) {
    out.push('', 'rollback:');
    for (const c of s.compensation) out.push(`  ${c.status === 'succeeded' ? '✓' : '✗'} undo ${c.step}${c.error ? `: ${c.error}` : ''}`);
    if (s.compensation.some((c) => c.status === 'failed')) out.push('  ROLLBACK INCOMPLETE: undo the failed steps by hand');
  }
  const audit = s.audit.slice(-auditLines);
  out.push('', `audit (last ${audit.length} of ${s.audit.length}):`);
  out.push(
    table(
      audit.map((a) => [clock(a.at), a.actor, a.action, [a.detail, a.comment ? `"${a.comment}"` : ''].filter(Boolean).join(' ')]),
      '  ',
    ),
  );
  return out.join('\n');
}

/**
 * What Temporal ended and the run never recorded: who, why, the step it was in, the undos that never ran, and what
 * to do now. Shown under the state line, since a terminated failover can leave a service answering no one.
 */
function endedByTemporalLines(e: EndedByTemporal): string[] {
  const how = e.how.toUpperCase().replace('-', ' ');
  return [
    `${how} by Temporal${e.at ? ` at ${e.at}` : ''}${e.by ? ` by ${e.by}` : ''}${e.reason ? `: ${e.reason}` : ''}`,
    `  not ended by Lifeboat: it last said "${e.lastState}"${e.inStep ? ` and was in ${e.inStep}` : ''}; the step did not finish and no undo ran`,
    e.undosNotRun === undefined
      ? `  undos that never ran: unknown here (${e.statusRead ? 'the runbook is not in this CLI' : 'no worker answered for its steps'})`
      : e.undosNotRun.length > 0
        ? `  undos that never ran: ${e.undosNotRun.map((u) => `${u.step} (${u.undo})`).join(', ')}`
        : '  undos that never ran: none',
    'next:',
    ...e.next.map((line, i) => `  ${i + 1}. ${line}`),
  ];
}

/**
 * A detail as one readable line: long lists (a hands-on queue of hundreds of hosts) show their first entries and
 * a count, so the screen stays usable at 3 a.m.; `--json` has everything.
 */
export function compactDetail(value: unknown, maxItems = 8): string {
  if (typeof value === 'string') return value;
  const shorten = (v: unknown): unknown => {
    if (Array.isArray(v))
      return v.length > maxItems ? [...v.slice(0, maxItems).map(shorten), `... ${v.length - maxItems} more (--json for all)`] : v.map(shorten);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shorten(x)]));
    return v;
  };
  return JSON.stringify(shorten(value));
}

/** The hands-on checklist of a run (isolate-vendor-module): hosts a person must repair or waive. */
interface HandsOnLine {
  open: number;
  done: number;
  waived: number;
  deadline?: string;
  tasks: { host: string; reason?: string; status: string }[];
}

function isHandsOn(value: unknown): value is HandsOnLine {
  return typeof value === 'object' && value !== null && Array.isArray((value as HandsOnLine).tasks) && typeof (value as HandsOnLine).open === 'number';
}

/** The open hosts first, one line each (the first 10), and the command that closes one. */
function renderHandsOn(h: HandsOnLine, runId: string, state: string): string[] {
  const open = h.tasks.filter((t) => t.status === 'open');
  const lines = [`  hands-on: ${h.open} open, ${h.done} done, ${h.waived} waived${h.deadline ? `; deadline ${h.deadline}` : ''}`];
  lines.push(...open.slice(0, 10).map((t) => `    ${t.host}: ${t.reason ?? 'needs a person'}`));
  if (h.open > 10) lines.push(`    ... ${h.open - 10} more (lifeboat task list ${runId} --open)`);
  const over = terminalStates.includes(state as RunStatus['state']) || ['terminated', 'timed-out', 'canceled'].includes(state);
  if (open.length > 0 && !over) {
    lines.push(`    next: lifeboat task done ${runId} <host> --as <you>   or   lifeboat task waive ${runId} <host> --reason "why"`);
  }
  return lines;
}

/** The fields of a reconciliation conflict (manual-booking-mode) that a person deciding it reads. */
interface ConflictLine {
  id: string;
  status: string;
  kind: string;
  detail: string;
  options: string[];
  earliest?: string;
  resolution?: { decision: string; by: string; rule?: string };
  outcome?: string;
}

/** One line per conflict: open ones with their choices, decided ones with who decided what. */
function renderConflicts(conflicts: ConflictLine[]): string[] {
  return [
    `  conflicts (${conflicts.filter((c) => c.status === 'open').length} open of ${conflicts.length}):`,
    ...conflicts.map((c) => {
      const how = c.resolution
        ? `${c.resolution.decision} by ${c.resolution.by}${c.resolution.rule ? ` (${c.resolution.rule})` : ''}${c.outcome ? `: ${c.outcome}` : ''}`
        : `choose ${c.options.join(' | ')}${c.earliest ? `; earliest-wins picks ${c.earliest}` : ''}`;
      return `    ${c.id} [${c.status}] ${c.kind}: ${c.detail} -> ${how}`;
    }),
  ];
}

function duration(d: Parameters<typeof msToNumber>[0]): string {
  const ms = msToNumber(d);
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** One line per procedure entry, for `lifeboat plan`. */
export function describeEntry(entry: ProcedureEntry): string {
  if (entry.kind === 'gate') {
    const p = entry.policy;
    return `gate: ${describeApprovers({ approvers: p.approvers, quorum: p.quorum })}, never the requester; escalate after ${duration(p.escalateAfter)} then every ${duration(p.escalateEvery)}; expires after ${duration(p.expireAfter)} and then ${p.onExpiry === 'abort' ? 'aborts the run' : 'proceeds'}`;
  }
  const retry = retryPolicyOf(entry.retry);
  return [
    `${retry.maximumAttempts} attempt${retry.maximumAttempts === 1 ? '' : 's'}, ${duration(entry.timeout ?? '1 minute')} each`,
    entry.activityRetry
      ? `Temporal runs each attempt up to ${retryPolicyOf(entry.activityRetry).maximumAttempts} times${entry.heartbeatTimeout !== undefined ? ', resuming from its last heartbeat' : ''}`
      : '',
    entry.undo ? `undo: ${entry.undo}` : 'no undo',
    entry.skippable ? 'may be skipped' : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/**
 * The dry run: the ordered steps and gates of the same definition the workflow runs, for a real run or, with `drill`,
 * for a drill of that kind (the steps only it runs marked [drill]).
 */
export function renderPlan(runbook: RunbookDefinition, drill?: DrillKind, providers?: ProviderNames): string {
  const drills = drillsOf(runbook);
  const chosen = drill ? drills.find((d) => d.kind === drill) : undefined;
  const entries = chosen?.refused ? [] : planOf(runbook, drill);
  const heading = !drill
    ? []
    : chosen?.refused
      ? [`${runbook.id} has no ${drill} drill: ${chosen.summary}`]
      : [
          `${drill === 'isolated' ? 'An' : 'A'} ${drill} drill (--drill ${drill}) ${chosen?.summary ?? 'runs the procedure as it is, its notices marked as a drill'}.`,
          ...(chosen ? ['Steps marked [drill] only the drill runs.'] : []),
        ];
  return [
    `${runbook.id}: ${runbook.title}`,
    runbook.description,
    ...(heading.length ? ['', ...heading] : []),
    ...(entries.length ? [''] : []),
    ...entries.map((e, i) => {
      const acts = e.kind === 'step' ? actsThrough(e.uses, providers) : undefined;
      const spec = drill ? stepOf(runbook, e.name) : runbook.procedure[e.name]!;
      // A step that heartbeats says how soon a worker that dies in it is noticed, failing that attempt.
      const heartbeat =
        spec.kind === 'step' && spec.heartbeatTimeout !== undefined
          ? `; heartbeat timeout ${duration(spec.heartbeatTimeout)} (a worker that dies mid-step is noticed after that long)`
          : '';
      return `${String(i + 1).padStart(2)}. ${e.kind === 'gate' ? '[gate] ' : e.drillOnly ? '[drill] ' : ''}${e.name} — ${e.title}\n    ${describeEntry(spec)}${heartbeat}${acts ? `\n    ${acts}` : ''}`;
    }),
    ...(!drill && drills.length
      ? [
          '',
          `Drills (lifeboat plan ${runbook.id} --drill KIND lists what one runs):`,
          ...drills.map(
            (d) => `  - ${d.kind}: ${d.refused ? `refused: ${d.summary}` : d.summary}${d.steps.length ? `; its own steps: ${d.steps.join(', ')}` : ''}`,
          ),
        ]
      : []),
    '',
    `Readiness checks (lifeboat readiness ${runbook.id}; read-only):`,
    ...readinessOf(runbook).map((c) => `  - ${c.name} — ${c.verifies}\n    fix: ${c.fix}`),
    '',
    'Nothing was executed.',
  ].join('\n');
}

/** A procedure entry or a drill step, by name. */
function stepOf(runbook: RunbookDefinition, name: string): ProcedureEntry {
  return entriesOf(runbook).find((e) => e.name === name)!;
}
