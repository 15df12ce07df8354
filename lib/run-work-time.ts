import type { RunStatus } from '../kit';

/** The audit actions by which an operator answers a step that waits for them (kit/interventions.ts). */
const operatorAnswers = new Set(['retry', 'skip', 'abort']);

/** A stretch of a run's wall time, in epoch milliseconds. */
interface Span {
  from: number;
  to: number;
}

/**
 * How long one finished run worked, in seconds: from its start to its end, less the time it waited for people. In a
 * recovery plan a member's gates are approved by the plan's one decision as soon as they open, so the time a standalone
 * run or a drill spent waiting for approvers (a gate's openedAt to its decidedAt) or for an operator (an
 * `intervention-needed` in the audit trail to the retry, skip or abort that answered it) says nothing about how long
 * it would take inside a plan. Overlapping waits count once. Undefined for a run that has not finished.
 *
 * An operator wait whose start was dropped from the front of a long audit trail (auditDropped) cannot be seen here and
 * stays in the work time: the forecast errs slow, never fast.
 */
export function workSecondsOf(status: Pick<RunStatus, 'startedAt' | 'finishedAt' | 'gates' | 'audit'>): number | undefined {
  if (status.finishedAt === undefined) return undefined;
  const start = Date.parse(status.startedAt);
  const end = Date.parse(status.finishedAt);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) return undefined;
  const waits = [...gateWaitsOf(status, end), ...operatorWaitsOf(status, end)]
    .map((w) => ({ from: Math.max(w.from, start), to: Math.min(w.to, end) }))
    .filter((w) => w.to > w.from);
  return roundTenths((end - start - coveredMs(waits)) / 1000);
}

/** Each gate's wait for its approvers; a gate still open when the run ended waited until the end. */
function gateWaitsOf(status: Pick<RunStatus, 'gates'>, end: number): Span[] {
  return status.gates.map((g) => ({ from: Date.parse(g.openedAt), to: g.decidedAt ? Date.parse(g.decidedAt) : end })).filter(isSpan);
}

/** Each wait for an operator, paired in order from the audit trail: the need, then the answer to it. */
function operatorWaitsOf(status: Pick<RunStatus, 'audit'>, end: number): Span[] {
  const spans: Span[] = [];
  let since: number | undefined;
  for (const entry of status.audit) {
    if (entry.action === 'intervention-needed') {
      // A second need before any answer is a new wait; the first one ran until then at the latest.
      if (since !== undefined) spans.push({ from: since, to: Date.parse(entry.at) });
      since = Date.parse(entry.at);
    } else if (since !== undefined && operatorAnswers.has(entry.action)) {
      spans.push({ from: since, to: Date.parse(entry.at) });
      since = undefined;
    }
  }
  if (since !== undefined) spans.push({ from: since, to: end });
  return spans.filter(isSpan);
}

function isSpan(span: Span): boolean {
  return Number.isFinite(span.from) && Number.isFinite(span.to);
}

/** The milliseconds covered by the union of spans, so a wait inside another is not taken off twice. */
function coveredMs(spans: Span[]): number {
  let covered = 0;
  let reach = -Infinity;
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    if (span.to <= reach) continue;
    covered += span.to - Math.max(span.from, reach);
    reach = span.to;
  }
  return covered;
}

function roundTenths(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}
