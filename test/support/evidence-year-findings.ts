import type { AuditFinding, FindingsSnapshot } from '../../lib/findings/record';
import type { SimulatedRun } from './evidence-year-run';

/**
 * The audit findings a simulated year's drills open and close, kept as the findings workflow keeps them: one book per
 * runbook and target. A drill that fails opens `drill-failed`, one that succeeds past its RTO or RPO opens
 * `objective-missed`; the next passing drill of the same runbook and target is the proof that closes them, signed by
 * the operator on call. Every third finding is left open (nobody has closed it yet), and every seventh is closed by
 * a risk lead's accepted risk instead of a drill, so the year has all three endings.
 */

/** A finding is due 30 days after it opened, the default deadline. */
const DEADLINE_MS = 30 * 24 * 3600 * 1000;

export class YearFindings {
  private readonly books = new Map<string, { runbook: string; target: string; findings: AuditFinding[] }>();
  private next = 1;

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
      finding.state = 'closed';
      finding.closed = this.acceptsRisk(finding)
        ? {
            by: run.requestedBy,
            at,
            comment: 'risk accepted until the standby hardware is replaced',
            proof: { kind: 'risk-accepted', by: 'bob', group: 'sre-leads', at, comment: 'accepted by the SRE lead until the hardware refresh' },
          }
        : {
            by: run.requestedBy,
            at,
            comment: `fixed, and shown by the drill of ${run.finishedAt.slice(0, 10)}`,
            proof: { kind: 'passing-drill', runId: bundle.runId, temporalRunId: run.temporalRunId, finishedAt: run.finishedAt },
          };
    }
  }

  /** Each book as its snapshot at `at`: what a findings bundle holds. */
  snapshots(at: string): FindingsSnapshot[] {
    return [...this.books.values()].map((book) => ({
      lifeboat: 'findings/v1',
      runbook: book.runbook,
      target: book.target,
      at,
      findings: book.findings.map((f) => ({ ...f })),
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
    if (!this.books.has(key)) this.books.set(key, { runbook, target, findings: [] });
    return this.books.get(key)!;
  }
}
