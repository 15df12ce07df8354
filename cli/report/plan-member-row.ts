import type { PlanMemberView } from '../../kit';
import type { ShownStatus } from '../run-outcome';
import { buildReport, type BarKind, type InterventionRecord } from './model';
import type { MemberStatusRead, PlanBar, PlanMemberRow } from './plan-report-types';

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** One member's row: its span, from the plan's step for it to its run's end, with its own waits and the plan's for it set apart. */
export function memberRow(
  member: string,
  view: PlanMemberView,
  plan: ShownStatus,
  read: MemberStatusRead | undefined,
  planInterventions: InterventionRecord[],
  t0: number,
  planEnd: number,
): PlanMemberRow {
  const own = read && 'status' in read ? read.status : undefined;
  const step = plan.steps.find((s) => s.kind === 'step' && s.name === member);
  // The plan's step began with the member's first start; a retry starts a later run, which the view then names.
  const firstStart = earliest(step?.startedAt, view.startedAt);
  const finished = view.finishedAt ?? (step?.finishedAt && view.state !== 'running' ? step.finishedAt : undefined);
  const startMs = firstStart !== undefined ? firstStart - t0 : undefined;
  const endMs = finished ? Date.parse(finished) - t0 : undefined;
  const waits: PlanBar[] = [];
  if (own) {
    const ownT0 = Date.parse(own.startedAt) - t0;
    for (const bar of buildReport(own).timeline) {
      if (bar.kind !== 'gate-wait' && bar.kind !== 'operator-wait') continue;
      // A gate the plan's approval took opened and closed at once: nothing to draw, but it is listed with the gates.
      if (bar.endMs - bar.startMs <= 0) continue;
      waits.push({ kind: bar.kind, startMs: ownT0 + bar.startMs, endMs: ownT0 + bar.endMs, label: bar.label });
    }
  }
  for (const i of planInterventions.filter((p) => p.step === member)) {
    const from = Date.parse(i.at) - t0;
    waits.push({
      kind: 'operator-wait',
      startMs: from,
      endMs: i.waitedSeconds !== undefined ? from + i.waitedSeconds * 1000 : planEnd - t0,
      label: `operator: ${member}`,
    });
  }
  const spanEnd = endMs ?? (startMs !== undefined ? planEnd - t0 : undefined);
  const bars = startMs !== undefined && spanEnd !== undefined ? splitWork(startMs, spanEnd, waits) : [];
  const total = (kind: BarKind) => seconds(bars.filter((b) => b.kind === kind).reduce((sum, b) => sum + (b.endMs - b.startMs), 0));
  return {
    member,
    runbook: view.runbook,
    runId: view.runId,
    target: view.target,
    after: view.after ?? [],
    state: view.state,
    ...(startMs !== undefined ? { startMs } : {}),
    ...(endMs !== undefined ? { endMs } : {}),
    ...(view.rtoSeconds !== undefined
      ? { rtoSeconds: view.rtoSeconds }
      : own?.measurements?.rtoSeconds !== undefined
        ? { rtoSeconds: own.measurements.rtoSeconds }
        : {}),
    ...(view.rpoSeconds !== undefined
      ? { rpoSeconds: view.rpoSeconds }
      : own?.measurements?.rpoSeconds !== undefined
        ? { rpoSeconds: own.measurements.rpoSeconds }
        : {}),
    ...(view.rpoWrites !== undefined ? { rpoWrites: view.rpoWrites } : {}),
    ...(view.outcome ? { outcome: view.outcome } : {}),
    ...(view.error ? { error: view.error } : {}),
    onCriticalPath: false,
    bars,
    totals: { workSeconds: total('work'), gateWaitSeconds: total('gate-wait'), operatorWaitSeconds: total('operator-wait') },
    gates: (own?.gates ?? []).map((g) => ({
      name: g.name,
      title: g.title,
      status: g.status,
      delegated: g.delegatedFrom !== undefined,
      openedAt: g.openedAt,
      ...(g.decidedAt ? { decidedAt: g.decidedAt } : {}),
    })),
    ...(read && 'note' in read ? { statusNote: read.note } : {}),
  };
}

function earliest(...isos: (string | undefined)[]): number | undefined {
  const times = isos.filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return times.length ? Math.min(...times) : undefined;
}

/**
 * The member's span cut into work and waits: each wait (clipped to the span) is drawn as itself, and what no wait
 * covers is work. Overlapping waits of two kinds go to the one that began first, so no moment counts twice.
 */
export function splitWork(startMs: number, endMs: number, waits: PlanBar[]): PlanBar[] {
  const bars: PlanBar[] = [];
  let at = startMs;
  for (const wait of [...waits].sort((a, b) => a.startMs - b.startMs)) {
    const from = Math.max(wait.startMs, at);
    const to = Math.min(wait.endMs, endMs);
    if (to <= from) continue;
    if (from > at) bars.push({ kind: 'work', startMs: at, endMs: from, label: 'work' });
    bars.push({ ...wait, startMs: from, endMs: to });
    at = to;
  }
  if (endMs > at) bars.push({ kind: 'work', startMs: at, endMs, label: 'work' });
  return bars;
}
