import type { DrillIssue } from './drill-findings';
import { findingNumber } from './names';
import { AuditFinding, FindingsSnapshot } from './record';

/** What a new finding says besides its number: the issue, and the run that showed it. */
export interface NewFinding extends DrillIssue {
  run?: NonNullable<AuditFinding['run']>;
  evidence?: string;
}

/**
 * The findings of one runbook and target, open and closed: what the findings workflow holds. Pure (no Temporal, no
 * clock of its own), so it behaves the same in the workflow, on replay and in tests.
 */
export class FindingsBook {
  private readonly all: AuditFinding[];

  constructor(
    readonly runbook: string,
    readonly target: string,
    findings: readonly AuditFinding[] = [],
  ) {
    this.all = findings.map((f) => AuditFinding.parse(f));
  }

  get findings(): AuditFinding[] {
    return [...this.all];
  }

  /** The finding with this ID, or undefined. */
  get(id: string): AuditFinding | undefined {
    return this.all.find((f) => f.id === id);
  }

  /** Whether a finding already records this run with this reason: a drill's end told twice opens it once. */
  recorded(temporalRunId: string, reason: AuditFinding['reason']): boolean {
    return this.all.some((f) => f.run?.temporalRunId === temporalRunId && f.reason === reason);
  }

  /** Whether an open finding has this reason and no run (a readiness finding): one open at a time is enough. */
  openWithoutRun(reason: AuditFinding['reason']): boolean {
    return this.all.some((f) => f.state === 'open' && f.reason === reason && !f.run);
  }

  open(id: string, issue: NewFinding, openedAt: string, deadlineSeconds: number): AuditFinding {
    const finding = AuditFinding.parse({
      id,
      runbook: this.runbook,
      target: this.target,
      reason: issue.reason,
      what: issue.what,
      openedAt,
      deadline: new Date(Date.parse(openedAt) + deadlineSeconds * 1000).toISOString(),
      ...(issue.run ? { run: issue.run } : {}),
      ...(issue.objective ? { objective: issue.objective } : {}),
      ...(issue.evidence ? { evidence: issue.evidence } : {}),
      state: 'open',
    });
    this.all.push(finding);
    return finding;
  }

  close(id: string, closed: NonNullable<AuditFinding['closed']>): AuditFinding {
    const index = this.all.findIndex((f) => f.id === id);
    const finding = AuditFinding.parse({ ...this.all[index], state: 'closed', closed });
    this.all[index] = finding;
    return finding;
  }

  /** Open findings whose deadline has passed at `nowMs`. */
  overdue(nowMs: number): AuditFinding[] {
    return this.all.filter((f) => f.state === 'open' && Date.parse(f.deadline) <= nowMs);
  }

  /** The highest finding number held, 0 when none. */
  highestNumber(): number {
    return Math.max(0, ...this.all.map((f) => findingNumber(f.id) ?? 0));
  }

  snapshot(at: string): FindingsSnapshot {
    return FindingsSnapshot.parse({ lifeboat: 'findings/v1', runbook: this.runbook, target: this.target, at, findings: this.all });
  }
}
