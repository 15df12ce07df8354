import type { ArchivedClose } from '../../lib/findings/messages';
import type { AuditFinding, FindingsSnapshot } from '../../lib/findings/record';
import type { YearClosers } from './evidence-year-closers';
import type { SimulatedRun } from './evidence-year-run';

/**
 * The audit findings a simulated year's drills open and close, kept as the findings workflow keeps them: one book per
 * runbook and target. A drill that fails opens `drill-failed`, one that succeeds past its RTO or RPO opens
 * `objective-missed`; the next passing drill of the same runbook and target is the proof that closes them, signed by
 * the operator on call. Every third finding is left open (nobody has closed it yet), and every seventh is closed by
 * a risk lead's accepted risk instead of a drill, so the year has all three endings. Each close is signed
 * (evidence-year-closers.ts) and kept for the bundle's closes.json, so `lifeboat evidence verify` checks it again.
 */

/** A finding is due 30 days after it opened, the default deadline. */
const DEADLINE_MS = 30 * 24 * 3600 * 1000;

export class YearFindings {
  private readonly books = new Map<string, { runbook: string; target: string; findings: AuditFinding[]; closes: ArchivedClose[] }>();
  private next = 1;

  constructor(private readonly closers: YearClosers) {}

  /** Takes in one archived drill, in the order the drills finished. */
  observe(run: SimulatedRun, bundle: { key: string; runId: string }, failing: { reason: 'drill-failed' | 'objective-missed' } | undefined): void {
    if (!run.drill || run.kind !== 'runbook') return;
    const book = this.bookOf(run.id, run.target);
    if (failing) {
      book.findings.push(this.opened(run, bundle, failing.reason));
      return;
    }
    for (const finding of book.findings) {
      if (finding.state !== 'open' || this.staysOpen(finding)) continue;
      const at = new Date(Date.parse(run.finishedAt) + 3600_000).toISOString();
      const risk = this.acceptsRisk(finding);
      const { by, group } = this.closers.closerOf(run.id, risk ? 'bob' : run.requestedBy, risk);
      const comment = risk ? 'risk accepted until the standby hardware is replaced' : `fixed, and shown by the drill of ${run.finishedAt.slice(0, 10)}`;
      finding.state = 'closed';
      finding.closed = risk
        ? { by, at, comment, proof: { kind: 'risk-accepted', by, group: group!, at, comment } }
        : { by, at, comment, proof: { kind: 'passing-drill', runId: bundle.runId, temporalRunId: run.temporalRunId, finishedAt: run.finishedAt } };
      const body = risk
        ? { action: 'close-finding' as const, finding: finding.id, comment, proof: 'accept-risk' as const }
        : { action: 'close-finding' as const, finding: finding.id, comment, proof: 'drill' as const, drill: bundle.runId, drillRun: run.temporalRunId };
      book.closes.push({ finding: finding.id, decision: this.closers.close(run.id, run.target, by, body, at) });
    }
  }

  /** Each book as its snapshot at `at`: what a findings bundle holds. */
  snapshots(at: string): { snapshot: FindingsSnapshot; closes: ArchivedClose[] }[] {
    return [...this.books.values()].map((book) => ({
      snapshot: { lifeboat: 'findings/v1', runbook: book.runbook, target: book.target, at, findings: book.findings.map((f) => ({ ...f })) },
      closes: [...book.closes],
    }));
  }

  private opened(run: SimulatedRun, bundle: { key: string; runId: string }, reason: 'drill-failed' | 'objective-missed'): AuditFinding {
    const rto = run.objectives.rtoSeconds;
    const missedRto = reason === 'objective-missed' && rto !== undefined && run.rtoSeconds !== undefined && run.rtoSeconds > rto;
    const rpo = run.objectives.rpoSeconds;
    return {
      id: `F-${this.next++}`,
      runbook: run.id,
      target: run.target,
      reason,
      what:
        reason === 'drill-failed'
          ? `The drill of ${run.id} on ${run.target} ended ${run.state}.`
          : `The drill of ${run.id} on ${run.target} succeeded but missed its ${missedRto ? 'RTO' : 'RPO'}.`,
      openedAt: run.finishedAt,
      deadline: new Date(Date.parse(run.finishedAt) + DEADLINE_MS).toISOString(),
      run: { runId: bundle.runId, temporalRunId: run.temporalRunId },
      ...(reason === 'objective-missed'
        ? {
            objective: missedRto
              ? { name: 'rto' as const, targetSeconds: rto, achievedSeconds: run.rtoSeconds! }
              : { name: 'rpo' as const, targetSeconds: rpo ?? 0, achievedSeconds: run.rpoSeconds ?? 0 },
          }
        : {}),
      evidence: bundle.key,
      state: 'open',
    };
  }

  private staysOpen(finding: AuditFinding): boolean {
    return Number(finding.id.slice(2)) % 3 === 0;
  }

  private acceptsRisk(finding: AuditFinding): boolean {
    return Number(finding.id.slice(2)) % 7 === 1;
  }

  private bookOf(runbook: string, target: string) {
    const key = `${runbook}\u0000${target}`;
    if (!this.books.has(key)) this.books.set(key, { runbook, target, findings: [], closes: [] });
    return this.books.get(key)!;
  }
}
